// The company the audit tests ask their questions of (test/audit directly, test/graphql over HTTP): a generated
// company posted to the simulated ERP, plus seeded cases appended on a controlled clock, one per question — a held
// amendment (A-HELD), a journal the ERP refused for a closed period (A-REJ), an amendment after the posting (A-ASOF),
// a contract with an unmapped SKU (A-UNMAPPED), and a mapping fix (SUP-PREM) published after posting.
import { expect } from 'vitest';
import { postingStatus } from '../../projections/index.js';
import type { PostingJournal, PostingStatusDoc } from '../../projections/index.js';
import { CATALOGUE, publishMapping, seedDemo } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import type { IngestResult } from '../../src/ingest/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import type { ReadStore } from '../../src/readmodel/index.js';
import type { EventStore } from '../../src/store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';

/** The seeding clock: when each seeded case reached the ledger. */
export const T = {
  seeded: '2026-01-05T00:00:00.000Z',
  booked: '2026-02-01T00:00:00.000Z',
  posted: '2026-04-02T00:00:00.000Z',
  refused: '2026-04-03T00:00:00.000Z',
  amended: '2026-04-10T00:00:00.000Z',
  fixed: '2026-04-15T00:00:00.000Z',
  lagging: '2026-04-20T00:00:00.000Z',
};
/** The SKU whose mapping is fixed after posting. */
export const FIXED_SKU = 'SUP-PREM';

const line = (amount: string, quantity: string, sku = 'PLAT-STD') => ({
  lineId: 'L1',
  sku,
  quantity,
  amount,
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
});

export function booked(contractId: string, sku = 'PLAT-STD') {
  return {
    type: 'ContractBooked',
    contractId,
    source: { system: 'salesforce', id: `OPP-${contractId}`, version: 1 },
    occurredAt: '2026-01-01T09:00:00Z',
    data: {
      version: 1,
      customerId: 'CUST-AUDIT',
      legalEntity: 'US01',
      currency: 'USD',
      bookingDate: '2026-01-01',
      lines: [line('12000.00', '10', sku)],
    },
  };
}

export function invoiced(contractId: string, invoiceId: string, date: string, amount: string) {
  return {
    type: 'InvoiceIssued',
    contractId,
    source: { system: 'billing', id: invoiceId, version: 1 },
    occurredAt: `${date}T10:00:00Z`,
    data: { invoiceId, invoiceDate: date, lines: [{ lineId: 'L1', amount }] },
  };
}

export function amended(contractId: string, version: number, effectiveDate: string) {
  return {
    type: 'ContractAmended',
    contractId,
    source: { system: 'salesforce', id: `AMD-${contractId}-${version}`, version: 1 },
    occurredAt: `${effectiveDate}T09:00:00Z`,
    data: { version, effectiveDate, treatment: 'prospective', lines: [line('18000.00', '15')] },
  };
}

export interface AuditCompany {
  /** The ERP the journals were posted to (its documents carry the ERP document ids). */
  erp: SimulatedConnector;
  /** Ingests with the seeding clock set to `at`. */
  ingest(at: string, events: unknown[]): Promise<IngestResult[]>;
}

/**
 * Seeds the company into `store` and brings the read models up to date with `catchUp` (the caller's projection
 * runner: its own over a read store, or the app's).
 */
export async function seedAuditCompany(store: EventStore, catchUp: () => Promise<unknown>): Promise<AuditCompany> {
  let clock = T.seeded;
  const now = () => new Date(clock);
  const ingest = async (at: string, events: unknown[]) => {
    clock = at;
    return new Ingestor(store, { now }).ingest(events, { actor: 'audit-test' });
  };
  const erp = new SimulatedConnector();
  await seedDemo(store, { contracts: 30, seed: 9, now });

  const seeded = await ingest(T.booked, [
    booked('A-ASOF'),
    invoiced('A-ASOF', 'INV-ASOF-1', '2026-01-31', '12000.00'),
    booked('A-HELD'),
    amended('A-HELD', 3, '2026-03-01'),
    booked('A-REJ'),
    invoiced('A-REJ', 'INV-REJ-1', '2026-01-31', '3000.00'),
    booked('A-UNMAPPED', 'LEGACY-SKU'),
  ]);
  expect(seeded.map((r) => r.status)).toEqual([
    'appended',
    'appended',
    'appended',
    'held',
    'appended',
    'appended',
    'appended',
  ]);

  clock = T.posted;
  const first = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1, now });
  expect(first.posted).toBe(first.prepared);

  // A late March invoice, journaled after the ERP closed March: refused PERIOD_CLOSED.
  await ingest(T.refused, [invoiced('A-REJ', 'INV-REJ-2', '2026-03-25', '3000.00')]);
  erp.closePeriod('2026-03');
  clock = T.refused;
  const second = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1, now });
  expect(second).toMatchObject({ prepared: 1, posted: 0, rejected: { PERIOD_CLOSED: 1 } });

  await ingest(T.amended, [amended('A-ASOF', 2, '2026-04-01')]);
  const products = CATALOGUE.map((c) => (c.sku === FIXED_SKU ? { ...c, convention: 'monthly' as const } : c));
  await publishMapping(
    store,
    'products',
    { products, reason: `${FIXED_SKU} is recognised monthly` },
    new Date(T.fixed),
  );
  await catchUp();
  return { erp, ingest };
}

/** A contract's stream as stored. */
export async function streamOf(store: EventStore, contractId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(`contract-${contractId}`)) out.push(e);
  return out;
}

/** The contract's first posted journal, as the posting-status read model holds it. */
export async function postedJournalOf(read: ReadStore, contractId: string): Promise<PostingJournal> {
  const doc = (await read.get(postingStatus.name, contractId)) as PostingStatusDoc;
  return doc.journals.find((j) => j.status === 'posted')!;
}

/**
 * What mapping drift the fix makes, read off the log: per legal entity, the contracts using the fixed SKU that have a
 * posted journal, in contract id order.
 */
export async function expectedDrift(store: EventStore): Promise<Map<string, string[]>> {
  const users = new Set<string>();
  const withPosted = new Set<string>();
  const entityOf = new Map<string, string>();
  for await (const e of store.readAll({ filter: { streamPrefixes: ['contract-'] } })) {
    const contractId = e.data.contractId as string;
    if (e.type === 'ContractBooked') entityOf.set(contractId, e.data.legalEntity as string);
    if (
      (e.type === 'ContractBooked' || e.type === 'ContractAmended') &&
      (e.data.lines as { sku: string }[]).some((x) => x.sku === FIXED_SKU)
    )
      users.add(contractId);
    if (e.type === 'JournalPosted') withPosted.add(contractId);
  }
  const expected = new Map<string, string[]>();
  for (const id of [...users].filter((x) => withPosted.has(x)).sort()) {
    const le = entityOf.get(id)!;
    expected.set(le, [...(expected.get(le) ?? []), id]);
  }
  return expected;
}
