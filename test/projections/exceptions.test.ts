// The exceptions projection as a pure fold: items the log records, and items that resolve themselves when their cause
// goes away (a mapping for the SKU, a later tie-out without the break, an accepted replay), saying why.
import { describe, expect, it } from 'vitest';
import { effectiveStatus, exceptionIdOf, exceptions } from '../../projections/index.js';
import type { ExceptionsDoc, MappedSkus } from '../../projections/exceptions.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';

let position = 0;
const event = (streamId: string, type: string, data: JsonObject, at = '2026-03-01T00:00:00Z'): RecordedEvent => ({
  eventId: `e-${++position}`,
  type,
  data,
  metadata: { schemaVersion: 1, receivedAt: at, actor: 'test', contentHash: '', prevHash: '' },
  streamId,
  revision: 0,
  position: { commit: BigInt(position), prepare: BigInt(position) },
  recordedAt: at,
});

/** Folds events as the runner does: shared-state changes reach the documents carrying an affected tag. */
function fold(events: RecordedEvent[]): { docs: Map<string, ExceptionsDoc>; shared: MappedSkus } {
  const docs = new Map<string, ExceptionsDoc>();
  let shared = exceptions.shared!.initial();
  for (const e of events) {
    if (exceptions.shared!.accepts(e)) {
      const before = shared;
      shared = exceptions.shared!.evolve(before, e);
      const tags = new Set(exceptions.shared!.affected(before, shared));
      for (const [k, d] of docs)
        if (exceptions.tagsOf!(d).some((t) => tags.has(t))) docs.set(k, exceptions.evolve(d, e, shared));
      continue;
    }
    const key = exceptions.keyOf(e);
    if (key !== null) docs.set(key, exceptions.evolve(docs.get(key) ?? exceptions.initial(key), e, shared));
  }
  return { docs, shared };
}

const products = (version: number, ...skus: string[]) =>
  event('mapping-products', 'ProductMappingPublished', { version, products: skus.map((sku) => ({ sku })) });
const booked = event('contract-C-1', 'ContractBooked', {
  contractId: 'C-1',
  version: 1,
  legalEntity: 'US01',
  currency: 'USD',
  bookingDate: '2026-01-01',
  lines: [
    { lineId: 'A', sku: 'PLAT', amount: '100.00' },
    { lineId: 'B', sku: 'ADDON', amount: '250.00' },
  ],
});

describe('exceptions projection', () => {
  it('a SKU without a product mapping is an item; the mapping resolves it by the system, and dropping it reopens it', () => {
    const id = exceptionIdOf('schedule', 'C-1', 'UNMAPPED_SKU', 'ADDON');
    const open = fold([products(1, 'PLAT'), booked]).docs.get('contract:C-1')!.items[id]!;
    expect(open).toMatchObject({ code: 'UNMAPPED_SKU', amount: '250.00', legalEntity: 'US01', systemResolution: null });
    expect(Object.keys(fold([products(1, 'PLAT'), booked]).docs.get('contract:C-1')!.items)).toEqual([id]);

    const fixed = fold([products(1, 'PLAT'), booked, products(2, 'PLAT', 'ADDON')]).docs.get('contract:C-1')!;
    expect(effectiveStatus(fixed.items[id]!)).toBe('resolved');
    expect(fixed.items[id]!.systemResolution!.reason).toBe('product mapping version 2 maps ADDON');

    const dropped = fold([products(1, 'PLAT'), booked, products(2, 'PLAT', 'ADDON'), products(3, 'PLAT')]);
    expect(effectiveStatus(dropped.docs.get('contract:C-1')!.items[id]!)).toBe('open');
    expect(dropped.docs.get('contract:C-1')!.items[id]!.firstSeen).toBe(open.firstSeen);
  });

  it('a fact that changes none of its items leaves the document as it is, the same object; a new SKU does not', () => {
    const invoiced = event('contract-C-1', 'InvoiceIssued', { contractId: 'C-1', invoiceId: 'INV-1' });
    const { docs, shared } = fold([products(1, 'PLAT'), booked]);
    const doc = docs.get('contract:C-1')!;
    // An open item stays open (the same subject), a resolved one resolved: nothing to change, nothing to write again.
    expect(exceptions.evolve(doc, invoiced, shared)).toBe(doc);
    const mapped = fold([products(1, 'PLAT', 'ADDON'), booked]);
    expect(exceptions.evolve(mapped.docs.get('contract:C-1')!, invoiced, mapped.shared)).toBe(
      mapped.docs.get('contract:C-1')!,
    );
    const amended = event('contract-C-1', 'ContractAmended', {
      contractId: 'C-1',
      version: 2,
      effectiveDate: '2026-02-01',
      lines: [
        { lineId: 'A', sku: 'PLAT', amount: '100.00' },
        { lineId: 'B', sku: 'ADDON', amount: '300.00' },
      ],
    });
    const after = exceptions.evolve(doc, amended, shared);
    expect(after).not.toBe(doc);
    expect(after.items[exceptionIdOf('schedule', 'C-1', 'UNMAPPED_SKU', 'ADDON')]!.amount).toBe('300.00');
  });

  it('a tie-out break is an item until a later tie-out of the same scope no longer finds it', () => {
    const difference = { legalEntity: 'US01', account: '4000', currency: 'USD', erp: '-90.00', revtrail: '-100.00' };
    const tieOut = (differences: JsonObject[]) =>
      event('tie-out-2026-03', 'TieOutRecorded', { period: '2026-03', legalEntity: 'US01', differences });
    const id = exceptionIdOf('reconciliation_break', '2026-03', 'US01', '4000', 'USD');
    const first = fold([tieOut([{ ...difference, difference: '10.00', journals: [] }])]);
    expect(first.docs.get('tie-out:US01:2026-03')!.items[id]).toMatchObject({
      amount: '10.00',
      systemResolution: null,
    });
    const later = fold([tieOut([{ ...difference, difference: '10.00', journals: [] }]), tieOut([])]);
    expect(effectiveStatus(later.docs.get('tie-out:US01:2026-03')!.items[id]!)).toBe('resolved');
  });

  it('a refused input resolves when a replay of it is accepted, and counts every replay', () => {
    const refused = event('rejections-2026-03-01', 'InputRejected', {
      index: 0,
      input: {
        type: 'ContractBooked',
        contractId: 'C-2',
        source: { system: 'crm' },
        data: { lines: [{ amount: '5.00' }] },
      },
      errors: [{ code: 'INVALID_CURRENCY', message: 'bad', path: 'data.currency' }],
    });
    const id = exceptionIdOf('refused_input', refused.eventId);
    const subject = { document: `rejection:${refused.eventId}`, kind: 'refused_input', code: 'INVALID_CURRENCY' };
    const replay = (outcome: string) =>
      event(`exception-${id}`, 'ExceptionReplayed', { exceptionId: id, subject, outcome, replayEventId: 'E-1' });
    const { docs } = fold([refused, replay('refused'), replay('accepted')]);
    const item = docs.get(`rejection:${refused.eventId}`)!.items[id]!;
    expect(item).toMatchObject({ replays: 2, code: 'INVALID_CURRENCY', contractId: 'C-2', amount: '5.00' });
    expect(item.details).toMatchObject({ day: '2026-03-01', system: 'crm' });
    expect(effectiveStatus(item)).toBe('resolved');
    expect(item.history.map((h) => h.action)).toEqual(['replayed', 'replayed']);
  });
});
