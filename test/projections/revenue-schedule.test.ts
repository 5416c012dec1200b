// given / when / then over the pure revenue-schedule projection: facts in application order, the mapping in force,
// which documents a mapping change reaches, and the derived schedule with balances and lineage.
import { describe, expect, it } from 'vitest';
import { revenueSchedule } from '../../projections/index.js';
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';
import { prepareJournal } from '../../src/posting/index.js';

let seq = 0;
const recorded = (type: string, data: JsonObject, streamId = 'contract-C-1'): RecordedEvent => {
  seq++;
  return {
    eventId: `e${seq}`,
    type,
    data: streamId.startsWith('contract-') ? { contractId: 'C-1', occurredAt: '2026-01-15T10:00:00Z', ...data } : data,
    metadata: { schemaVersion: 1, receivedAt: '2026-01-15T10:00:00Z', contentHash: 'h', prevHash: 'p', source: null },
    streamId,
    revision: seq,
    position: { commit: BigInt(seq), prepare: BigInt(seq) },
    recordedAt: '2026-01-15T10:00:00Z',
  };
};

const SUPPORT = { sku: 'SUP', pattern: 'ratable', ssp: '1200.00', convention: 'daily' };
const SETUP = { sku: 'SETUP', pattern: 'point_in_time', ssp: '600.00', trigger: 'service_start' };
const mapping = (version: number, products: JsonObject[]) =>
  recorded('ProductMappingPublished', { version, products, reason: 'test' }, 'mapping-products');

const supportLine = {
  lineId: 'L1',
  sku: 'SUP',
  quantity: '1',
  amount: '1200.00',
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
};
const setupLine = { lineId: 'L2', sku: 'SETUP', quantity: '1', amount: '600.00', serviceStart: '2026-01-10' };
const booked = (lines: JsonObject[] = [supportLine]) =>
  recorded('ContractBooked', {
    version: 1,
    customerId: 'K',
    legalEntity: 'US01',
    currency: 'USD',
    bookingDate: '2026-01-01',
    lines,
  });
const amended = (version: number, lines: JsonObject[], effectiveDate = '2026-07-01') =>
  recorded('ContractAmended', { version, effectiveDate, lines, treatment: 'prospective' });
const invoice = (invoiceId: string, invoiceDate: string, amount: string) =>
  recorded('InvoiceIssued', { invoiceId, invoiceDate, lines: [{ lineId: 'L1', amount }], taxAmount: '10.00' });
const p = revenueSchedule;

/**
 * Folds events the way the runner does: shared events into the mapping in force, and into the document when the
 * change concerns it; the rest into the document. Derives at the end, or after every event with `deriveEach`.
 */
function fold(events: RecordedEvent[], deriveEach = false): { doc: RevenueScheduleDoc; shared: ProductsInForce } {
  let shared = p.shared!.initial();
  let doc = p.initial('C-1');
  for (const e of events) {
    if (p.shared!.accepts(e)) {
      const before = shared;
      shared = p.shared!.evolve(before, e);
      if (p.shared!.affected(before, shared).some((t) => p.tagsOf!(doc).includes(t))) doc = p.evolve(doc, e, shared);
    } else doc = p.evolve(doc, e, shared);
    if (deriveEach) doc = p.derive!(doc, shared);
  }
  return { doc: p.derive!(doc, shared), shared };
}
const given = (...events: RecordedEvent[]) => fold(events);

describe('revenue-schedule', () => {
  it('recognises a ratable line daily and tracks billed, deferred revenue and contract asset per month end', () => {
    const { doc } = given(mapping(1, [SUPPORT]), booked(), invoice('I1', '2026-01-01', '1200.00'));
    const schedule = doc.schedule!;
    expect(schedule.status).toBe('ok');
    expect(schedule.periods).toHaveLength(12);
    expect(schedule.periods[0]).toMatchObject({ period: '2026-01', total: '101.92' }); // 1200 × 31/365
    expect(schedule.periods[11]!.cumulative).toBe('1200.00');
    expect(doc.balances[0]).toMatchObject({
      period: '2026-01',
      billedToDate: '1200.00',
      recognisedToDate: '101.92',
      deferredRevenue: '1098.08',
      contractAsset: '0.00',
    });
    expect(doc.balances[11]).toMatchObject({ deferredRevenue: '0.00', contractAsset: '0.00' });
  });

  it('revenue recognised ahead of billing is a contract asset', () => {
    const { doc } = given(mapping(1, [SUPPORT]), booked(), invoice('I1', '2026-03-31', '300.00'));
    expect(doc.balances[1]).toMatchObject({ period: '2026-02', billedToDate: '0.00', contractAsset: '193.97' });
    expect(doc.balances[2]).toMatchObject({ period: '2026-03', billedToDate: '300.00', deferredRevenue: '4.11' });
  });

  it('a SKU with no mapping is an exception, not a guess; publishing its mapping computes the schedule', () => {
    const unmapped = given(mapping(1, [SUPPORT]), booked([supportLine, setupLine]));
    expect(unmapped.doc.schedule!.status).toBe('exception');
    expect(unmapped.doc.schedule!.exceptions.map((x) => x.code)).toEqual(['UNMAPPED_SKU']);
    expect(p.tagsOf!(unmapped.doc)).toContain('exception:UNMAPPED_SKU');
    const fixed = given(mapping(1, [SUPPORT]), booked([supportLine, setupLine]), mapping(2, [SUPPORT, SETUP]));
    expect(fixed.doc.schedule!.status).toBe('ok');
    expect(fixed.doc.schedule!.obligations.map((o) => o.allocated)).toEqual(['1200.00', '600.00']);
  });

  it('a later version waits for the one before it; facts before the booking wait for the booking', () => {
    const early = invoice('I0', '2026-01-01', '100.00');
    const v3 = amended(3, [{ ...supportLine, amount: '1800.00' }], '2026-10-01');
    const v2 = amended(2, [{ ...supportLine, amount: '1500.00' }]);
    const { doc } = given(mapping(1, [SUPPORT]), early, v3, booked(), v2);
    expect(doc.versionInForce).toBe(3);
    expect(doc.pending).toEqual([]);
    expect(doc.facts.map((f) => f.type)).toEqual(['ContractBooked', 'ContractAmended', 'ContractAmended']);
    expect(doc.facts.map((f) => f.data.version)).toEqual([1, 2, 3]);
    expect(doc.schedule!.transactionPrice).toBe('1800.00');
    const held = given(mapping(1, [SUPPORT]), booked(), v3);
    expect(held.doc.versionInForce).toBe(1);
    expect(held.doc.pending.map((f) => f.data.version)).toEqual([3]);
    expect(held.doc.schedule!.transactionPrice).toBe('1200.00');
  });

  it('a mapping change reaches the contracts using a changed SKU and no other', () => {
    const before = p.shared!.evolve(p.shared!.initial(), mapping(1, [SUPPORT, SETUP]));
    const sameContent = p.shared!.evolve(before, mapping(2, [{ ...SETUP }, { ...SUPPORT }]));
    expect(p.shared!.affected(before, sameContent)).toEqual([]);
    const fixed = p.shared!.evolve(sameContent, mapping(3, [SETUP, { ...SUPPORT, convention: 'monthly' }]));
    expect(p.shared!.affected(sameContent, fixed)).toEqual(['sku:SUP']);
    expect(fixed.products.SETUP!.since).toBe(1);
    expect(fixed.products.SUP!.since).toBe(3);
    const dropped = p.shared!.evolve(fixed, mapping(4, [SETUP]));
    expect(p.shared!.affected(fixed, dropped)).toEqual(['sku:SUP']);
  });

  it('each schedule line records the events and the mapping version of its SKU entry', () => {
    const { doc } = given(
      mapping(1, [SUPPORT, SETUP]),
      booked([supportLine, setupLine]),
      mapping(2, [SETUP, { ...SUPPORT, convention: 'monthly' }]),
    );
    const schedule = doc.schedule!;
    expect(schedule.mappingVersion).toBe(2);
    expect(schedule.lineage).toEqual([
      { lineId: 'L1', eventIds: [doc.facts[0]!.eventId], mappingVersion: 2 },
      { lineId: 'L2', eventIds: [doc.facts[0]!.eventId], mappingVersion: 1 },
    ]);
    expect(schedule.periods[0]!.lines.L1).toBe('100.00'); // monthly convention now: 1200 / 12
  });

  it('deriving late gives the same document as deriving after every event', () => {
    const events = [
      mapping(1, [SUPPORT, SETUP]),
      booked([supportLine, setupLine]),
      invoice('I1', '2026-01-31', '1800.00'),
      amended(2, [{ ...supportLine, amount: '1500.00' }, setupLine]),
      mapping(2, [SETUP, { ...SUPPORT, convention: 'monthly' }]),
    ];
    expect(fold(events, true).doc).toEqual(fold(events).doc);
  });

  it('the dry-run diff names the periods that change and by how much', () => {
    const a = given(mapping(1, [SUPPORT]), booked()).doc;
    const b = given(mapping(1, [SUPPORT]), booked(), mapping(2, [{ ...SUPPORT, convention: 'monthly' }])).doc;
    const diff = p.diff!(a, b);
    expect(diff).toContain('2026-01 101.92 -> 100.00 (-1.92)');
    expect(diff).toContain('2026-02 92.05 -> 100.00 (+7.95)');
    expect(diff.some((l) => l.startsWith('transaction price'))).toBe(false);
  });
});

describe('a separate modification is a separate contract for presentation too (ASC 606-10-25-12, 45-1)', () => {
  const SUB = { sku: 'SUB', pattern: 'ratable', ssp: '1200.00', convention: 'monthly' };
  const SET = { sku: 'SETUP', pattern: 'point_in_time', ssp: '700.00', trigger: 'service_start' };
  const original = { lineId: 'O', sku: 'SETUP', quantity: '1', amount: '700.00', serviceStart: '2026-01-10' };
  const added = {
    lineId: 'A',
    sku: 'SUB',
    quantity: '1',
    amount: '1200.00',
    serviceStart: '2026-01-01',
    serviceEnd: '2026-12-31',
  };
  const separate = () =>
    recorded('ContractAmended', {
      version: 2,
      effectiveDate: '2026-01-01',
      lines: [original, added],
      treatment: 'separate',
    });
  const bill = (invoiceId: string, invoiceDate: string, lines: JsonObject[]) =>
    recorded('InvoiceIssued', { invoiceId, invoiceDate, lines });

  it('given the original 700.00 recognised and unbilled and the added group billed 300.00 with 100.00 recognised, then the balances show a 700.00 contract asset and 200.00 of deferred revenue, and so do the journals', () => {
    const { doc } = given(
      mapping(1, [SUB, SET]),
      booked([original]),
      separate(),
      bill('I1', '2026-01-20', [{ lineId: 'A', amount: '300.00' }]),
    );
    expect(doc.schedule!.obligations.map((o) => [o.lineId, o.group])).toEqual([
      ['O', undefined],
      ['A', 2],
    ]);
    expect(doc.billing.map((b) => b.groups)).toEqual([{ '2': '300' }]); // spelled as `amount` is: the sum of the lines
    expect(doc.balances[0]).toEqual({
      period: '2026-01',
      billed: '300.00',
      recognised: '800.00',
      billedToDate: '300.00',
      recognisedToDate: '800.00',
      deferredRevenue: '200.00',
      contractAsset: '700.00',
    });
    const accounts = {
      receivable: 'AR',
      deferredRevenue: 'DR',
      contractAsset: 'CA',
      revenue: 'REV',
      taxPayable: 'TAX',
    };
    const journal = prepareJournal({
      contract: { contractId: 'C-1', legalEntity: 'US01', customerId: 'K', currency: 'USD' },
      schedule: doc.schedule!,
      billing: doc.billing,
      accounts,
      revenueAccountOf: () => 'REV',
      journaled: [],
      through: '2026-01',
      postIn: '2026-01',
      accountMappingVersion: 1,
    })!;
    const byAccount = (account: string) =>
      journal.lines.filter((l) => l.account === account).map((l) => [l.debit, l.credit]);
    expect(byAccount('DR')).toEqual([['0.00', '200.00']]);
    expect(byAccount('CA')).toEqual([['700.00', '0.00']]);
    expect(byAccount('AR')).toEqual([['300.00', '0.00']]);
  });

  it('a contract without a separate modification keeps its bills without groups', () => {
    const { doc } = given(mapping(1, [SUPPORT]), booked(), invoice('I1', '2026-01-01', '1200.00'));
    expect(doc.schedule!.obligations.every((o) => !('group' in o))).toBe(true);
    expect(doc.billing.every((b) => !('groups' in b))).toBe(true);
  });
});
