// Builders for revenue-engine tests: inbound events to stored contract events, and small contracts.
import type { InboundEvent, ProductMapping } from '../../schemas/index.js';
import { toStored } from '../../commands/contract.js';
import type { ContractEvent, Schedule } from '../../src/revenue/index.js';
import { computeSchedule } from '../../src/revenue/index.js';

export function stored(events: readonly InboundEvent[]): ContractEvent[] {
  return events.map((e) => {
    const s = toStored(e);
    return { type: s.type, data: s.data, eventId: `${e.source.system}/${e.source.id}/${e.source.version}/${e.type}` };
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
