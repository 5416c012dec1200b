// The state of one contract's replay: its obligations by line id, the credits against its usage lines, the exceptions
// raised so far. The engine creates one per schedule; modifications, credits and periods read and extend it.
import type { Line, ProductMapping } from '../../schemas/index.js';
import type { Facts } from './facts.js';
import { gatherFacts } from './facts.js';
import type { Dec } from './money.js';
import { ZERO, sumMoney } from './money.js';
import type { ObligationState } from './phases.js';
import type { ContractEvent, ScheduleException } from './types.js';
import { dataOf } from './types.js';

/** A credit against a usage line, on its date, already capped at what it can reduce. */
export interface UsageCredit {
  date: string;
  amount: Dec;
}

export interface Replay {
  readonly currency: string;
  /** The product mapping per SKU; every SKU of the contract has one (checked before the replay starts). */
  readonly products: ReadonlyMap<string, ProductMapping>;
  readonly facts: Facts;
  /** Every line the contract has had, by line id, in the order it first appeared. */
  readonly obligations: Map<string, ObligationState>;
  /** Credits against usage lines, per line id, in application order. */
  readonly usageCredits: Map<string, UsageCredit[]>;
  readonly exceptions: ScheduleException[];
  /** Set by the first cancellation: a contract ends once, and later amendments change nothing. */
  cancelled: boolean;
}

/** The replay of a contract before its booking: its facts gathered, no line yet. */
export function startReplay(
  events: readonly ContractEvent[],
  currency: string,
  products: ReadonlyMap<string, ProductMapping>,
): Replay {
  // The first cancellation is the one that applies (a contract ends once); usage needs its date up front.
  const cancellation = events.find((event) => event.type === 'ContractCancelled');
  const cancelledOn = cancellation ? dataOf(cancellation, 'ContractCancelled').effectiveDate : undefined;
  const exceptions: ScheduleException[] = [];
  const facts = gatherFacts(events, cancelledOn, exceptions);
  return { currency, products, facts, obligations: new Map(), usageCredits: new Map(), exceptions, cancelled: false };
}

export function mappingOf(replay: Replay, line: Line): ProductMapping {
  return replay.products.get(line.sku) as ProductMapping;
}

/** The credits applied to a usage line on or before `date`. */
export function creditedBy(replay: Replay, lineId: string, date: string): Dec {
  const credits = replay.usageCredits.get(lineId);
  return credits === undefined
    ? ZERO
    : sumMoney(credits.filter((credit) => credit.date <= date).map((credit) => credit.amount));
}

/** A line entering the contract (booked or added by an amendment), with nothing allocated yet. */
export function openObligation(replay: Replay, line: Line, eventId: string): ObligationState {
  const mapping = mappingOf(replay, line);
  if (mapping.pattern === 'ratable' && line.serviceStart === undefined) {
    replay.exceptions.push({
      code: 'MISSING_SERVICE_PERIOD',
      message: `line ${line.lineId} (${line.sku}) is ratable but has no service period; nothing is recognised`,
      lineId: line.lineId,
      sku: line.sku,
      eventId,
    });
  }
  return {
    line,
    mapping,
    allocated: ZERO,
    phases: [],
    eventIds: [eventId],
    active: true,
    reduced: ZERO,
    group: 0,
  };
}

export function raiseUnknownLine(replay: Replay, event: ContractEvent, lineId: string): void {
  replay.exceptions.push({
    code: 'UNKNOWN_LINE',
    message: `${event.type} names unknown line ${lineId}`,
    lineId,
    eventId: event.eventId,
  });
}
