// Builders for revenue-engine tests: inbound events to stored contract events, and small contracts.
import type { InboundEvent, Line, ProductMapping } from '../../schemas/index.js';
import { toStored } from '../../commands/contract.js';
import type { ContractEvent, Schedule } from '../../src/revenue/index.js';
import { computeSchedule } from '../../src/revenue/index.js';

/** The stored event id the builders give an inbound event. */
export function idOf(e: InboundEvent): string {
  return `${e.source.system}/${e.source.id}/${e.source.version}/${e.type}`;
}

export function stored(events: readonly InboundEvent[]): ContractEvent[] {
  return events.map((e) => {
    const s = toStored(e);
    return { type: s.type, data: s.data, eventId: idOf(e) };
  });
}

export function schedule(contractId: string, events: readonly InboundEvent[], products: ProductMapping[]): Schedule {
  return computeSchedule({ contractId, events: stored(events), products, mappingVersion: 1 });
}

let n = 0;
export function ev<T extends InboundEvent['type']>(
  type: T,
  data: Extract<InboundEvent, { type: T }>['data'],
  contractId = 'C-1',
): InboundEvent {
  n += 1;
  return {
    type,
    contractId,
    source: { system: 'test', id: `e${n}`, version: 1 },
    occurredAt: '2026-01-01T00:00:00Z',
    data,
  } as InboundEvent;
}

/** Revenue of one line in one month ("0.00" style) or undefined when the month is not in the schedule. */
export function amountIn(s: Schedule, period: string, lineId: string): string | undefined {
  return s.periods.find((p) => p.period === period)?.lines[lineId];
}

/** A booking (version 1) of `lines` on 2026-01-01. */
export function booked(lines: Line[], currency = 'USD'): InboundEvent {
  return ev('ContractBooked', {
    version: 1,
    customerId: 'CU',
    legalEntity: 'US01',
    currency,
    bookingDate: '2026-01-01',
    lines,
  });
}
