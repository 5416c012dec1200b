// given / when / then over the pure projection.
import { describe, expect, it } from 'vitest';
import { contractVersions } from '../../projections/index.js';
import type { ContractVersions } from '../../projections/index.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';

let seq = 0;
const recorded = (type: string, data: JsonObject): RecordedEvent => {
  seq++;
  return {
    eventId: `e${seq}`,
    type,
    data: { contractId: 'C-1', occurredAt: '2026-01-15T10:00:00Z', ...data },
    metadata: { schemaVersion: 1, receivedAt: '2026-01-15T10:00:00Z', contentHash: 'h', prevHash: 'p', source: null },
    streamId: 'contract-C-1',
    revision: seq,
    position: { commit: BigInt(seq), prepare: BigInt(seq) },
    recordedAt: '2026-01-15T10:00:00Z',
  };
};
const line = (lineId: string, amount: string) => ({ lineId, sku: 'PLATFORM', quantity: '1', amount });
const booked = recorded('ContractBooked', {
  version: 1,
  customerId: 'K',
  legalEntity: 'US01',
  currency: 'USD',
  bookingDate: '2026-01-15',
  lines: [line('L1', '100.00')],
});
const amended = (version: number, amount: string) =>
  recorded('ContractAmended', { version, effectiveDate: `2026-0${version}-01`, lines: [line('L1', amount)] });
const cancelled = (version: number) => recorded('ContractCancelled', { version, effectiveDate: '2026-09-30' });
const invoice = recorded('InvoiceIssued', { invoiceId: 'I1', invoiceDate: '2026-01-31', lines: [] });

const given = (...events: RecordedEvent[]): ContractVersions =>
  events.reduce((doc, e) => contractVersions.evolve(doc, e, {}), contractVersions.initial('C-1'));

describe('contract-versions', () => {
  it('a booking puts version 1 in force with its lines', () => {
    expect(given(booked)).toMatchObject({
      status: 'active',
      versionInForce: 1,
      lines: [line('L1', '100.00')],
      currency: 'USD',
      heldVersions: [],
    });
  });

  it('a later version waits until the gap is filled, then both apply in order', () => {
    const v3 = amended(3, '300.00');
    const waiting = given(booked, v3);
    expect(waiting).toMatchObject({ versionInForce: 1, heldVersions: [3], lines: [line('L1', '100.00')] });
    const filled = contractVersions.evolve(waiting, amended(2, '200.00'), {});
    expect(filled).toMatchObject({ versionInForce: 3, heldVersions: [], lines: [line('L1', '300.00')] });
    expect(filled.versions.map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('events before the booking wait for it', () => {
    const early = given(invoice, amended(2, '200.00'));
    expect(early).toMatchObject({
      status: 'awaiting_booking',
      versionInForce: 0,
      eventsAwaitingBooking: 1,
      heldVersions: [2],
    });
    expect(contractVersions.evolve(early, booked, {})).toMatchObject({
      status: 'active',
      versionInForce: 2,
      eventsAwaitingBooking: 0,
    });
  });

  it('a cancellation in force ends the contract; one still held does not', () => {
    expect(given(booked, cancelled(3))).toMatchObject({ status: 'active', heldVersions: [3] });
    expect(given(booked, amended(2, '200.00'), cancelled(3))).toMatchObject({
      status: 'cancelled',
      cancelledOn: '2026-09-30',
      versionInForce: 3,
    });
  });

  it('keeps the lineage of every version: event id, source, received time', () => {
    const doc = given(booked);
    expect(doc.versions[0]).toMatchObject({
      version: 1,
      type: 'ContractBooked',
      eventId: booked.eventId,
      receivedAt: '2026-01-15T10:00:00Z',
    });
  });
});
