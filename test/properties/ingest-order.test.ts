// Property: shuffled, duplicated, batched deliveries end with exactly one stored event per idempotency key and the
// same contract state as in-order delivery.
//
// Delivery model: contract versions may arrive in any order (v3 before v2 is held), anything may arrive before the
// booking (held), duplicates arrive anywhere after the first copy, and batches are cut at random. Here a record that
// refers to another (an invoice to a line, a credit memo to an invoice) arrives after the record it refers to; one
// arriving before it is held until it arrives (test/properties/order-independence.test.ts covers that).
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

type Inbound = {
  type: string;
  contractId: string;
  source: { system: string; id: string; version: number };
  occurredAt: string;
  data: Record<string, unknown>;
};
interface Node {
  event: Inbound;
  after: number[]; // indexes of events that must be delivered first
}

const at = '2026-01-15T10:00:00Z';
const lineOf = (id: string, amount: number) => ({
  lineId: id,
  sku: `SKU-${id}`,
  quantity: '1',
  amount: `${amount}.00`,
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
});

/** One contract's history: booking, amendments (some adding a line), invoices and credit memos, maybe a cancellation. */
const contractArb = (c: number) =>
  fc
    .record({
      lines: fc.integer({ min: 1, max: 3 }),
      amendments: fc.array(fc.boolean(), { maxLength: 3 }), // true: the amendment adds a line
      invoices: fc.array(fc.nat(), { maxLength: 4 }), // which known line each invoice bills
      creditMemos: fc.array(fc.nat(), { maxLength: 2 }), // which invoice each credit memo credits
      cancel: fc.boolean(),
    })
    .map(({ lines, amendments, invoices, creditMemos, cancel }) => {
      const cid = `C-${c}`;
      const nodes: Node[] = [];
      let current = Array.from({ length: lines }, (_, i) => lineOf(`L${i}`, 1000 + i));
      nodes.push({
        event: {
          type: 'ContractBooked',
          contractId: cid,
          source: { system: 'crm', id: cid, version: 1 },
          occurredAt: at,
          data: {
            version: 1,
            customerId: 'K',
            legalEntity: 'US01',
            currency: 'USD',
            bookingDate: '2026-01-15',
            lines: current,
          },
        },
        after: [],
      });
      const introducedBy = new Map(current.map((l) => [l.lineId, 0]));
      amendments.forEach((adds, i) => {
        const version = i + 2;
        if (adds) current = [...current, lineOf(`L${current.length}`, 500)];
        else current = current.map((l, k) => (k === 0 ? { ...l, amount: `${1000 + version * 10}.00` } : l));
        for (const l of current) if (!introducedBy.has(l.lineId)) introducedBy.set(l.lineId, nodes.length);
        nodes.push({
          event: {
            type: 'ContractAmended',
            contractId: cid,
            source: { system: 'crm', id: cid, version },
            occurredAt: at,
            data: { version, effectiveDate: '2026-04-01', lines: current },
          },
          after: [],
        });
      });
      const known = [...introducedBy.keys()];
      const invoiceNodes: number[] = [];
      invoices.forEach((pick, n) => {
        const lineId = known[pick % known.length]!;
        invoiceNodes.push(nodes.length);
        nodes.push({
          event: {
            type: 'InvoiceIssued',
            contractId: cid,
            source: { system: 'billing', id: `${cid}-INV-${n}`, version: 1 },
            occurredAt: at,
            data: { invoiceId: `${cid}-INV-${n}`, invoiceDate: '2026-02-01', lines: [{ lineId, amount: '100.00' }] },
          },
          after: [introducedBy.get(lineId)!],
        });
      });
      if (invoiceNodes.length > 0) {
        creditMemos.forEach((pick, n) => {
          const inv = invoiceNodes[pick % invoiceNodes.length]!;
          const invEvent = nodes[inv]!.event;
          const lineId = (invEvent.data.lines as { lineId: string }[])[0]!.lineId;
          nodes.push({
            event: {
              type: 'CreditMemoIssued',
              contractId: cid,
              source: { system: 'billing', id: `${cid}-CM-${n}`, version: 1 },
              occurredAt: at,
              data: {
                creditMemoId: `${cid}-CM-${n}`,
                invoiceId: invEvent.data.invoiceId,
                issuedOn: '2026-03-01',
                lines: [{ lineId, amount: '10.00' }],
                reducesTransactionPrice: n % 2 === 0,
              },
            },
            after: [inv],
          });
        });
      }
      if (cancel) {
        const version = amendments.length + 2;
        nodes.push({
          event: {
            type: 'ContractCancelled',
            contractId: cid,
            source: { system: 'crm', id: cid, version },
            occurredAt: at,
            data: { version, effectiveDate: '2026-09-30' },
          },
          after: [],
        });
      }
      return nodes;
    });

const companyArb = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, c) => contractArb(c))));

/** A delivery order: a random topological order of the dependency edges, duplicates inserted after first copies. */
const deliveryArb = (contracts: Node[][]) => {
  const all = contracts.flatMap((nodes, c) =>
    nodes.map((n, i) => ({ ...n, id: `${c}:${i}`, after: n.after.map((a) => `${c}:${a}`) })),
  );
  return fc
    .tuple(
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: all.length, maxLength: all.length }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
    )
    .map(([priority, dups, cuts]) => {
      const order: typeof all = [];
      const done = new Set<string>();
      const pending = all.map((n, i) => ({ n, p: priority[i]! }));
      while (pending.length > 0) {
        const ready = pending.filter(({ n }) => n.after.every((a) => done.has(a))).sort((a, b) => a.p - b.p);
        const next = ready[0]!;
        pending.splice(pending.indexOf(next), 1);
        order.push(next.n);
        done.add(next.n.id);
      }
      const delivered = order.map((n) => n.event);
      for (const [which, where] of dups) {
        const i = which % delivered.length;
        const pos = i + 1 + (where % (delivered.length - i));
        delivered.splice(pos, 0, structuredClone(delivered[i]!));
      }
      const batches: Inbound[][] = [];
      for (let i = 0, k = 0; i < delivered.length; k++) {
        const size = cuts[k % cuts.length]!;
        batches.push(delivered.slice(i, i + size));
        i += size;
      }
      return batches;
    });
};

async function deliver(batches: Inbound[][], contractIds: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-prop-'));
  const store = new SqliteEventStore({ path: join(dir, 'r.db'), synchronous: 'normal' });
  try {
    const ingestor = new Ingestor(store, { now: () => new Date('2026-11-25T00:00:00Z') });
    const statuses: string[] = [];
    for (const b of batches) for (const r of await ingestor.ingest(b, { actor: 'prop' })) statuses.push(r.status);
    const fresh = new Ingestor(store); // no cache: the state as folded from the stream alone
    const states = [];
    for (const c of contractIds) {
      const s = await fresh.loadState(c);
      const stored: string[] = [];
      for await (const e of store.readStream(`contract-${c}`)) stored.push(e.eventId);
      states.push({
        contractId: c,
        storedIds: [...stored].sort(),
        storedCount: stored.length,
        keys: [...s.keys.entries()].map(([k, v]) => [k, v.eventId, v.contentHash]).sort(),
        appliedVersion: s.appliedVersion,
        versions: [...s.versions.entries()].sort(),
        cancelledAt: s.cancelledAt,
        lines: [...s.lines.entries()].sort(),
        invoices: [...s.invoices].sort(),
      });
    }
    return { statuses, states };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('delivery order, duplicates and batching do not change the outcome', () => {
  it('one stored event per idempotency key and the in-order state, for any delivery', async () => {
    await fc.assert(
      fc.asyncProperty(
        companyArb.chain((contracts) => fc.tuple(fc.constant(contracts), deliveryArb(contracts))),
        async ([contracts, batches]) => {
          const ids = contracts.map((_, c) => `C-${c}`);
          const inOrder = await deliver([contracts.flatMap((nodes) => nodes.map((n) => n.event))], ids);
          const shuffled = await deliver(batches, ids);
          expect(inOrder.statuses.every((s) => s === 'appended')).toBe(true);
          expect(shuffled.statuses).not.toContain('rejected');
          expect(shuffled.states).toEqual(inOrder.states);
          const unique = contracts.reduce((n, nodes) => n + nodes.length, 0);
          expect(shuffled.states.reduce((n, s) => n + s.storedCount, 0)).toBe(unique);
        },
      ),
      { numRuns: 40 },
    );
  });
});
