// The synthetic company: deterministic, well-formed, internally consistent event streams that the ledger accepts,
// with the configured scenarios at roughly their rates, generated as a stream.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Decimal } from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { asFoldable, decide, fold, initialContractState } from '../../commands/contract.js';
import type { ContractState } from '../../commands/contract.js';
import { ProductMappingSet, idempotencyKey, isCalendarDate, minorUnits, parseInbound } from '../../schemas/index.js';
import type { InboundEvent, InboundOf, Line } from '../../schemas/index.js';
import { CATALOGUE, DEFAULT_RATES, generateCompany, summarise, writeJsonl } from '../../src/demo/index.js';
import type { Rates } from '../../src/demo/index.js';

const generate = (contracts: number, seed = 20260101, rates?: Partial<Rates>) => [
  ...generateCompany({ contracts, seed, ...(rates ? { rates } : {}) }),
];

const company = generate(300);
const keyOf = idempotencyKey;

/** Each event once (duplicates dropped), in delivery order. */
function distinct(events: readonly InboundEvent[]): InboundEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = keyOf(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function byContract(events: readonly InboundEvent[]): Map<string, InboundEvent[]> {
  const m = new Map<string, InboundEvent[]>();
  for (const e of events) m.set(e.contractId, [...(m.get(e.contractId) ?? []), e]);
  return m;
}

type VersionEvent = InboundOf<'ContractBooked'> | InboundOf<'ContractAmended'> | InboundOf<'ContractCancelled'>;
const isVersion = (e: InboundEvent): e is VersionEvent =>
  e.type === 'ContractBooked' || e.type === 'ContractAmended' || e.type === 'ContractCancelled';

/** Line sets by version (cancellations carry none), in version order. */
function versions(events: readonly InboundEvent[]): { version: number; lines?: Line[]; event: VersionEvent }[] {
  return events
    .filter(isVersion)
    .map((e) => ({ version: e.data.version, event: e, ...('lines' in e.data ? { lines: e.data.lines } : {}) }))
    .sort((a, b) => a.version - b.version);
}

function currencyOf(events: readonly InboundEvent[]): string {
  const b = events.find((e): e is InboundOf<'ContractBooked'> => e.type === 'ContractBooked');
  if (!b) throw new Error('no booking');
  return b.data.currency;
}

/** Every money string of an event, with where it sits. */
function moneyOf(e: InboundEvent): [string, string][] {
  const d = e.data;
  switch (e.type) {
    case 'ContractBooked':
    case 'ContractAmended':
      return e.data.lines.flatMap((l, i): [string, string][] => [
        [`lines.${i}.amount`, l.amount],
        ...(l.ssp === undefined ? [] : [[`lines.${i}.ssp`, l.ssp] as [string, string]]),
      ]);
    case 'UsageRecorded':
    case 'ServiceCreditApproved':
      return [['amount', e.data.amount]];
    case 'InvoiceIssued':
      return [
        ...e.data.lines.map((l, i): [string, string] => [`lines.${i}.amount`, l.amount]),
        ...(e.data.taxAmount === undefined ? [] : [['taxAmount', e.data.taxAmount] as [string, string]]),
      ];
    case 'CreditMemoIssued':
      return e.data.lines.map((l, i): [string, string] => [`lines.${i}.amount`, l.amount]);
    default:
      expect(JSON.stringify(d)).not.toMatch(/amount/);
      return [];
  }
}

function datesOf(e: InboundEvent): string[] {
  switch (e.type) {
    case 'ContractBooked':
      return [e.data.bookingDate, ...e.data.lines.flatMap((l) => [l.serviceStart ?? [], l.serviceEnd ?? []].flat())];
    case 'ContractAmended':
      return [e.data.effectiveDate, ...e.data.lines.flatMap((l) => [l.serviceStart ?? [], l.serviceEnd ?? []].flat())];
    case 'ContractCancelled':
      return [e.data.effectiveDate];
    case 'ServiceActivated':
      return [e.data.activatedOn];
    case 'MilestoneCompleted':
      return [e.data.completedOn];
    case 'UsageRecorded':
      return [e.data.periodStart, e.data.periodEnd];
    case 'InvoiceIssued':
      return [e.data.invoiceDate];
    case 'CreditMemoIssued':
      return [e.data.issuedOn];
    case 'ServiceCreditApproved':
      return [e.data.approvedOn];
  }
}

/** The line a non-contract event refers to, if any. */
function lineRefs(e: InboundEvent): string[] {
  switch (e.type) {
    case 'ServiceActivated':
    case 'MilestoneCompleted':
    case 'UsageRecorded':
      return [e.data.lineId];
    case 'ServiceCreditApproved':
      return e.data.lineId === undefined ? [] : [e.data.lineId];
    case 'InvoiceIssued':
    case 'CreditMemoIssued':
      return e.data.lines.map((l) => l.lineId);
    default:
      return [];
  }
}

const nextDay = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const sum = (xs: string[]) => xs.reduce((s, x) => s.plus(x), new Decimal(0));

describe('a generated company is deterministic', () => {
  it('the same seed and options give byte-identical output', () => {
    const again = generate(300);
    expect(again.map((e) => JSON.stringify(e)).join('\n')).toBe(company.map((e) => JSON.stringify(e)).join('\n'));
  });

  it('a different seed gives a different company', () => {
    const other = generate(300, 20260102);
    expect(other.map((e) => JSON.stringify(e)).join('\n')).not.toBe(company.map((e) => JSON.stringify(e)).join('\n'));
  });

  it('bookings start on startDate and contracts are numbered C-000001 up', () => {
    const events = distinct([...generateCompany({ contracts: 50, seed: 1, startDate: '2027-03-15' })]);
    const bookings = events.filter((e): e is InboundOf<'ContractBooked'> => e.type === 'ContractBooked');
    expect(bookings.map((b) => b.contractId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `C-${String(i + 1).padStart(6, '0')}`),
    );
    expect(bookings.every((b) => b.data.bookingDate >= '2027-03-15' && b.data.bookingDate < '2028-03-15')).toBe(true);
  });

  it('refuses options it cannot honour', () => {
    expect(() => generateCompany({ contracts: -1, seed: 1 }).next()).toThrow(RangeError);
    expect(() => generateCompany({ contracts: 1, seed: 1.5 }).next()).toThrow(RangeError);
    expect(() => generateCompany({ contracts: 1, seed: 1, startDate: '2026-02-30' }).next()).toThrow(RangeError);
    expect(() => generateCompany({ contracts: 1, seed: 1, rates: { renewal: 2 } }).next()).toThrow(RangeError);
    expect([...generateCompany({ contracts: 0, seed: 1 })]).toEqual([]);
  });
});

describe('every generated event is well formed', () => {
  it('every event parses with the inbound schema', () => {
    const failures = company
      .map((e) => ({ e, r: parseInbound(e) }))
      .filter(({ r }) => !r.ok)
      .slice(0, 3);
    expect(failures).toEqual([]);
  });

  it("every money string has exactly the currency's minor-unit digits", () => {
    const seen = new Set<string>();
    for (const [, events] of byContract(company)) {
      const currency = currencyOf(events);
      seen.add(currency);
      const digits = minorUnits(currency);
      const shape = digits === 0 ? /^(0|[1-9]\d*)$/ : new RegExp(`^(0|[1-9]\\d*)\\.\\d{${digits}}$`);
      for (const e of events)
        for (const [path, amount] of moneyOf(e)) expect(amount, `${e.contractId} ${e.type} ${path}`).toMatch(shape);
    }
    expect([...seen].sort()).toEqual(['BHD', 'EUR', 'JPY', 'USD']);
  });

  it('all dates are real calendar dates and service periods never end before they start', () => {
    for (const e of company) {
      expect(e.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(isCalendarDate(e.occurredAt.slice(0, 10))).toBe(true);
      for (const d of datesOf(e)) expect(isCalendarDate(d), `${e.type} ${d}`).toBe(true);
      if (e.type === 'ContractBooked' || e.type === 'ContractAmended') {
        for (const l of e.data.lines) if (l.serviceEnd) expect(l.serviceEnd >= (l.serviceStart ?? '')).toBe(true);
      }
      if (e.type === 'UsageRecorded') expect(e.data.periodEnd >= e.data.periodStart).toBe(true);
    }
  });

  it('source systems match what sends each type, and a source record keeps its id', () => {
    const systems: Record<string, string> = {
      ContractBooked: 'salesforce',
      ContractAmended: 'salesforce',
      ContractCancelled: 'salesforce',
      ServiceActivated: 'fulfilment',
      MilestoneCompleted: 'fulfilment',
      UsageRecorded: 'metering',
      InvoiceIssued: 'stripe',
      CreditMemoIssued: 'stripe',
      ServiceCreditApproved: 'zendesk',
    };
    for (const e of company) expect(e.source.system).toBe(systems[e.type]);
    // One source record -> one content: the same key never arrives with different JSON.
    const byKey = new Map<string, string>();
    for (const e of company) {
      const json = JSON.stringify(e);
      expect(byKey.get(keyOf(e)) ?? json).toBe(json);
      byKey.set(keyOf(e), json);
    }
    // Contract events carry the contract version as source version; others are version 1.
    for (const e of company) expect(e.source.version).toBe(isVersion(e) ? e.data.version : 1);
  });

  it('every SKU used is in the catalogue, and the catalogue publishes as a product mapping', () => {
    const skus = new Set(CATALOGUE.map((c) => c.sku));
    for (const e of company)
      if (e.type === 'ContractBooked' || e.type === 'ContractAmended')
        for (const l of e.data.lines) expect(skus.has(l.sku)).toBe(true);
    expect(ProductMappingSet.safeParse({ products: CATALOGUE, reason: 'generated catalogue' }).success).toBe(true);
  });
});

describe('delivery order', () => {
  it('events arrive in the order they occurred, but for redeliveries and held-back amendments', () => {
    let latest = '';
    const maxVersion = new Map<string, number>();
    let heldBack = 0;
    for (const e of distinct(company)) {
      if (e.occurredAt < latest) {
        // Only the earlier of two amendments signed minutes apart arrives after its successor.
        expect(isVersion(e) && e.data.version < (maxVersion.get(e.contractId) ?? 0), `${e.type} ${e.occurredAt}`).toBe(
          true,
        );
        heldBack++;
      }
      latest = e.occurredAt > latest ? e.occurredAt : latest;
      if (isVersion(e)) maxVersion.set(e.contractId, Math.max(maxVersion.get(e.contractId) ?? 0, e.data.version));
    }
    expect(heldBack).toBe(summarise(company).outOfOrderAmendments);
  });

  it('a redelivery is byte-identical to the first delivery and comes after it', () => {
    const first = new Map<string, number>();
    let duplicates = 0;
    company.forEach((e, i) => {
      const k = keyOf(e);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else {
        duplicates++;
        expect(JSON.stringify(e)).toBe(JSON.stringify(company[j]));
        expect(e).not.toBe(company[j]);
      }
    });
    expect(duplicates).toBeGreaterThan(0);
  });
});

describe('each contract hangs together', () => {
  const contracts = byContract(distinct(company));

  it('amendment versions are consecutive from 2, and a cancellation is the last version', () => {
    for (const [id, events] of contracts) {
      const vs = versions(events);
      expect(
        vs.map((v) => v.version),
        id,
      ).toEqual(vs.map((_, i) => i + 1));
      const cancelledAt = vs.findIndex((v) => v.event.type === 'ContractCancelled');
      expect(cancelledAt === -1 || cancelledAt === vs.length - 1, id).toBe(true);
    }
  });

  it('line ids are unique within a version and stable across amendments', () => {
    for (const [id, events] of contracts) {
      const everSeen = new Map<string, string>();
      let previous: Line[] = [];
      for (const v of versions(events)) {
        if (!v.lines) continue;
        const ids = v.lines.map((l) => l.lineId);
        expect(new Set(ids).size, id).toBe(ids.length);
        for (const p of previous) {
          const kept = v.lines.find((l) => l.lineId === p.lineId);
          expect(kept?.sku, `${id} v${v.version} keeps ${p.lineId}`).toBe(p.sku);
          expect(kept?.serviceStart).toBe(p.serviceStart);
        }
        for (const l of v.lines) {
          if (!previous.some((p) => p.lineId === l.lineId)) expect(everSeen.has(l.lineId), id).toBe(false);
          everSeen.set(l.lineId, l.sku);
        }
        previous = v.lines;
      }
    }
  });

  it('invoices, credit memos, usage, milestones and credits name lines delivered before them', () => {
    for (const [id, events] of byContract(company)) {
      const known = new Set<string>();
      const invoices = new Set<string>();
      for (const e of events) {
        if ((e.type === 'ContractBooked' || e.type === 'ContractAmended') && e.data.lines)
          for (const l of e.data.lines) known.add(l.lineId);
        for (const lineId of lineRefs(e)) expect(known.has(lineId), `${id} ${e.type} ${lineId}`).toBe(true);
        if (e.type === 'InvoiceIssued') invoices.add(e.data.invoiceId);
        if (e.type === 'CreditMemoIssued') expect(invoices.has(e.data.invoiceId ?? ''), id).toBe(true);
      }
    }
  });

  it('credit memos never credit more than their invoice billed on a line', () => {
    const open = new Map<string, Decimal>(); // invoiceId + lineId -> left to credit
    for (const e of distinct(company)) {
      if (e.type === 'InvoiceIssued')
        for (const l of e.data.lines) open.set(`${e.data.invoiceId} ${l.lineId}`, new Decimal(l.amount));
      if (e.type !== 'CreditMemoIssued') continue;
      for (const l of e.data.lines) {
        const key = `${e.data.invoiceId ?? ''} ${l.lineId}`;
        const left = (open.get(key) ?? new Decimal(0)).minus(l.amount);
        expect(left.gte(0), key).toBe(true);
        open.set(key, left);
      }
    }
  });

  it("a cancelled contract's final credit memos leave nothing billed for service after the cancellation", () => {
    for (const [id, events] of contracts) {
      const c = events.find((e): e is InboundOf<'ContractCancelled'> => e.type === 'ContractCancelled');
      if (!c) continue;
      const net = new Map<string, Decimal>();
      const add = (lineId: string, amount: Decimal) =>
        net.set(lineId, (net.get(lineId) ?? new Decimal(0)).plus(amount));
      for (const e of events) {
        if (e.type === 'InvoiceIssued') for (const l of e.data.lines) add(l.lineId, new Decimal(l.amount));
        if (e.type === 'CreditMemoIssued') for (const l of e.data.lines) add(l.lineId, new Decimal(l.amount).neg());
      }
      const fixedPrice = versions(events)
        .flatMap((v) => v.lines ?? [])
        .filter((l) => l.sku !== 'API-CALLS');
      for (const l of fixedPrice) {
        const billed = net.get(l.lineId) ?? new Decimal(0);
        expect(billed.gte(0), `${id} ${l.lineId}`).toBe(true);
        expect(billed.lte(l.amount), `${id} ${l.lineId}`).toBe(true);
        if ((l.serviceStart ?? '') >= c.data.effectiveDate) expect(billed.isZero(), `${id} ${l.lineId}`).toBe(true);
      }
    }
  });

  it('after a cancellation takes effect nothing happens but a final credit memo', () => {
    let cancelled = 0;
    for (const [id, events] of contracts) {
      const c = events.find((e): e is InboundOf<'ContractCancelled'> => e.type === 'ContractCancelled');
      if (!c) continue;
      cancelled++;
      for (const e of events) {
        if (e.type === 'CreditMemoIssued') continue;
        expect(e.occurredAt.slice(0, 10) <= c.data.effectiveDate, `${id} ${e.type} ${e.occurredAt}`).toBe(true);
        if (e.type === 'UsageRecorded') expect(e.data.periodEnd < c.data.effectiveDate).toBe(true);
      }
      for (const e of events)
        if (e.type === 'ContractAmended') expect(e.data.effectiveDate < c.data.effectiveDate, id).toBe(true);
    }
    expect(cancelled).toBeGreaterThan(0);
  });

  it('a contract that runs its course is invoiced exactly its final line amounts, and usage as rated', () => {
    let checked = 0;
    for (const [id, events] of contracts) {
      if (events.some((e) => e.type === 'ContractCancelled')) continue;
      const final = versions(events).pop()?.lines ?? [];
      const invoiced = new Map<string, string[]>();
      const rated = new Map<string, string[]>();
      for (const e of events) {
        if (e.type === 'InvoiceIssued')
          for (const l of e.data.lines) invoiced.set(l.lineId, [...(invoiced.get(l.lineId) ?? []), l.amount]);
        if (e.type === 'UsageRecorded') rated.set(e.data.lineId, [...(rated.get(e.data.lineId) ?? []), e.data.amount]);
      }
      for (const l of final) {
        const expected = l.sku === 'API-CALLS' ? sum(rated.get(l.lineId) ?? []) : new Decimal(l.amount);
        expect(sum(invoiced.get(l.lineId) ?? []).toFixed(), `${id} ${l.lineId}`).toBe(expected.toFixed());
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(250);
  });

  it("an onboarding line's milestone fractions sum to 1 (or less when cancelled first)", () => {
    for (const [id, events] of contracts) {
      const fractions = new Map<string, string[]>();
      for (const e of events)
        if (e.type === 'MilestoneCompleted')
          fractions.set(e.data.lineId, [...(fractions.get(e.data.lineId) ?? []), e.data.fraction]);
      const cancelled = events.some((e) => e.type === 'ContractCancelled');
      for (const [lineId, fs] of fractions) {
        const total = sum(fs);
        if (cancelled) expect(total.lte(1), `${id} ${lineId}`).toBe(true);
        else expect(total.toFixed(), `${id} ${lineId}`).toBe('1');
      }
    }
  });

  it('a ramp deal is consecutive yearly subscription lines whose price steps up', () => {
    const platform = new Set(CATALOGUE.filter((c) => c.dimensions.productLine === 'platform').map((c) => c.sku));
    let ramps = 0;
    for (const events of contracts.values()) {
      const booking = versions(events)[0]?.lines ?? [];
      const steps = booking.filter((l) => platform.has(l.sku));
      if (steps.length < 2) continue;
      ramps++;
      for (let i = 1; i < steps.length; i++) {
        const [a, b] = [steps[i - 1]!, steps[i]!];
        expect(b.serviceStart).toBe(nextDay(a.serviceEnd ?? ''));
        expect(new Decimal(b.amount).gte(a.amount)).toBe(true);
      }
    }
    expect(ramps).toBeGreaterThan(0);
  });
});

describe('the ledger accepts the company', () => {
  it('the contract command accepts every event: duplicates answered as such, early amendments held', () => {
    const states = new Map<string, ContractState>();
    const outcomes = { appended: 0, held: 0, duplicate: 0, rejected: 0 };
    const rejections: unknown[] = [];
    for (const raw of company) {
      const parsed = parseInbound(raw);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const state = states.get(raw.contractId) ?? initialContractState(raw.contractId);
      const d = decide(state, { event: parsed.event, receivedAt: '2030-01-01T00:00:00Z', actor: 'test' });
      outcomes[d.outcome]++;
      if (d.outcome === 'rejected') rejections.push({ contractId: raw.contractId, type: raw.type, errors: d.errors });
      if (d.outcome === 'appended' || d.outcome === 'held')
        states.set(raw.contractId, fold(state, [asFoldable(d, (state.revision ?? -1) + 1)]));
    }
    const s = summarise(company);
    expect(rejections.slice(0, 3)).toEqual([]);
    expect(outcomes.duplicate).toBe(s.duplicates);
    expect(outcomes.held).toBe(s.outOfOrderAmendments);
    expect([...states.values()].every((st) => st.held === 0)).toBe(true);
  });
});

describe('scenario rates', () => {
  const n = 2000;
  const events = generate(n, 7);
  const once = distinct(events);
  const contracts = [...byContract(once).values()];
  const summary = summarise(events);
  const share = (pred: (events: InboundEvent[]) => boolean, among = contracts) =>
    among.filter(pred).length / among.length;
  /** Within four standard deviations of a binomial share (plus a little for modelling slack). */
  const near = (actual: number, p: number, trials = n) =>
    expect(Math.abs(actual - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / trials) + 0.005);

  /** Lines an amendment added, and whether they start after everything before (a renewal) or within it. */
  function added(events: InboundEvent[]): { renewal: boolean }[] {
    const vs = versions(events);
    return vs.slice(1).flatMap((v, i) => {
      const before = vs[i]?.lines ?? [];
      const lastEnd = before.reduce((m, l) => (l.serviceEnd && l.serviceEnd > m ? l.serviceEnd : m), '');
      return (v.lines ?? [])
        .filter((l) => !before.some((b) => b.lineId === l.lineId))
        .map((l) => ({ renewal: (l.serviceStart ?? '') > lastEnd }));
    });
  }
  const upgraded = (events: InboundEvent[]) => {
    const vs = versions(events);
    return vs.slice(1).some((v, i) =>
      (v.lines ?? []).some((l) => {
        const b = vs[i]?.lines?.find((x) => x.lineId === l.lineId);
        return b !== undefined && Number(l.quantity) > Number(b.quantity);
      }),
    );
  };
  const has = (type: InboundEvent['type']) => (events: InboundEvent[]) => events.some((e) => e.type === type);
  const platform = new Set(CATALOGUE.filter((c) => c.dimensions.productLine === 'platform').map((c) => c.sku));
  const notCancelled = contracts.filter((c) => !has('ContractCancelled')(c));

  it('every booked contract is there', () => {
    expect(summary.contracts).toBe(n);
    expect(summary.byType.ContractBooked).toBe(n);
    expect(summary.events).toBe(once.length + summary.duplicates);
  });

  it('contract scenarios occur at about their configured rates', () => {
    const r = DEFAULT_RATES;
    near(
      share((c) => (versions(c)[0]?.lines ?? []).filter((l) => platform.has(l.sku)).length > 1),
      r.rampDeal,
    );
    near(share(upgraded), r.midTermUpgrade);
    near(
      share((c) => added(c).some((a) => !a.renewal)),
      r.coTermAddOn,
    );
    near(
      share((c) => added(c).some((a) => a.renewal)),
      r.renewal,
    );
    near(share(has('ContractCancelled')), r.cancellation);
    near(share(has('CreditMemoIssued'), notCancelled), r.creditMemo, notCancelled.length);
    near(share(has('ServiceCreditApproved')), r.serviceCredit);
    near(summary.outOfOrderAmendments / n, r.outOfOrderAmendment);
    near((summary.currencies.USD ?? 0) / n, r.currencyMix.USD);
  });

  it('about 3% of deliveries are duplicates', () => {
    near(summary.duplicates / once.length, DEFAULT_RATES.duplicateDelivery, once.length);
  });

  it('rates of zero switch every scenario and all delivery noise off', () => {
    const quiet = generate(500, 3, {
      rampDeal: 0,
      midTermUpgrade: 0,
      coTermAddOn: 0,
      renewal: 0,
      cancellation: 0,
      creditMemo: 0,
      serviceCredit: 0,
      duplicateDelivery: 0,
      outOfOrderAmendment: 0,
      currencyMix: { USD: 1, EUR: 0, JPY: 0, BHD: 0 },
    });
    const s = summarise(quiet);
    expect(s).toMatchObject({ duplicates: 0, outOfOrderAmendments: 0, currencies: { USD: 500 } });
    expect(s.byType).toMatchObject({ ContractAmended: 0, ContractCancelled: 0, CreditMemoIssued: 0, ServiceCreditApproved: 0 }); // prettier-ignore
  });
});

/** A forced collection when the runtime lets us ask for one, so heap samples measure what is live. */
function collector(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return () => void gc();
  } catch {
    // no gc available: samples include garbage, the bound below still holds with room
  }
  return () => {};
}

describe('streaming', () => {
  it('10,000 contracts stream holding only the contracts open at once, not the events made', () => {
    const gc = collector();
    gc();
    const base = process.memoryUsage().heapUsed;
    let events = 0;
    let peak = 0;
    for (const _ of generateCompany({ contracts: 10_000, seed: 99 })) {
      if (++events % 50_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(events).toBeGreaterThan(300_000);
    // ~370k events would take several hundred MB as objects; the open contracts' plans take ~60 MB.
    expect(peak / 1e6).toBeLessThan(200);
  });

  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writeJsonl writes one JSON object per line and counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'revtrail-gen-'));
    dirs.push(dir);
    const path = join(dir, 'company.jsonl');
    const { lines } = await writeJsonl(path, generateCompany({ contracts: 200, seed: 5 }));
    const text = await readFile(path, 'utf8');
    const expected = [...generateCompany({ contracts: 200, seed: 5 })].map((e) => JSON.stringify(e));
    expect(lines).toBe(expected.length);
    expect(text).toBe(expected.join('\n') + '\n');
  });

  it('writeJsonl fails when the file cannot be written', async () => {
    await expect(writeJsonl(join(tmpdir(), 'no-such-dir-revtrail', 'x.jsonl'), [{ a: 1 }])).rejects.toThrow(/ENOENT/);
  });
});
