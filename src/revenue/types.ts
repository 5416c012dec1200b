// The shapes the revenue engine reads and writes: a contract's stored events in, its ASC 606 / IFRS 15 schedule out
// (obligations, monthly periods, lineage, exceptions). Also the one place the engine reads an event's inbound data.
import type { InboundOf, InboundType, ProductMapping } from '../../schemas/index.js';
import type { Convention } from './calendar.js';

/** A stored contract event as read from `contract-<id>`: type, data ({contractId, occurredAt, ...inbound data}), id. */
export interface ContractEvent {
  type: string;
  data: Record<string, unknown>;
  eventId: string;
}

export interface ScheduleInput {
  contractId: string;
  /** The contract's events in application order (versions in version order, other facts where they applied). */
  events: readonly ContractEvent[];
  products: readonly ProductMapping[];
  mappingVersion: number;
  /**
   * The most work the schedule may take, in steps (default: unbounded): one step per obligation per month of the
   * schedule, times the phases and usage records that obligation's cumulative is computed from at each month end.
   * Counted from the facts before the months are computed, so a contract over budget costs almost nothing and the
   * outcome does not depend on what earlier contracts left in the engine's caches.
   */
  maxSteps?: number;
}

/** A schedule that would take more steps than `ScheduleInput.maxSteps` allows; nothing of it is computed. */
export class ScheduleBudgetExceededError extends Error {
  readonly code = 'SCHEDULE_BUDGET_EXCEEDED';
  constructor(
    readonly steps: number,
    readonly maxSteps: number,
    readonly months: number,
  ) {
    super(`the schedule needs ${steps} steps (${months} months) and the derivation budget allows ${maxSteps}`);
    this.name = 'ScheduleBudgetExceededError';
  }
}

export type ExceptionCode =
  | 'NO_BOOKING'
  | 'UNMAPPED_SKU'
  | 'MISSING_SERVICE_PERIOD'
  | 'UNKNOWN_LINE'
  | 'NEGATIVE_REMAINING_CONSIDERATION'
  /** Usage recorded for days on or after the cancellation date: those days are not recognised. */
  | 'USAGE_AFTER_CANCELLATION'
  /** A credit larger than what it can reduce (the line's allocation, or the usage recognised by its date). */
  | 'CREDIT_EXCEEDS_CONSIDERATION';

export interface ScheduleException {
  code: ExceptionCode;
  message: string;
  lineId?: string;
  sku?: string;
  eventId?: string;
}

/**
 * One change of an obligation's fixed allocation. At a date, the allocation in force is the one of the last entry
 * (in list order) whose `from` is on or before that date; `from` null means from inception.
 */
export interface AllocationChange {
  from: string | null;
  allocated: string;
  eventId: string;
}

export interface Obligation {
  lineId: string;
  sku: string;
  pattern: ProductMapping['pattern'];
  convention?: Convention;
  /** Fixed consideration allocated (ASC 606-10-32-28), after modifications, price reductions and cancellation. */
  allocated: string;
  /** Every change of `allocated`, in the order the events applied (empty on usage lines). */
  allocationHistory: AllocationChange[];
  /** Variable consideration (usage) recognised on the line, net of the credits against it. */
  variable: string;
  /** Everything the schedule recognises on the line. */
  recognised: string;
  serviceStart?: string;
  serviceEnd?: string;
  /** False once the line left the contract through an amendment or the contract was cancelled. */
  active: boolean;
  /**
   * The presentation group of a line added by a `separate` modification: the amendment version. Such a modification
   * is a separate contract (ASC 606-10-25-12), presented apart (45-1). Absent on the lines of the original contract.
   */
  group?: number;
}

export interface SchedulePeriod {
  /** `YYYY-MM`. */
  period: string;
  /** Revenue of the month per line id (every obligation appears, "0.00" included). */
  lines: Record<string, string>;
  total: string;
  /** Contract revenue recognised through the end of this month. */
  cumulative: string;
}

export interface ScheduleLineage {
  lineId: string;
  /** Ids of the stored events that shaped this line, in stream order. */
  eventIds: string[];
  mappingVersion: number;
}

export interface Schedule {
  contractId: string;
  status: 'ok' | 'exception';
  currency: string | null;
  /** Fixed consideration (excludes usage), after modifications and price reductions. */
  transactionPrice: string;
  mappingVersion: number;
  obligations: Obligation[];
  periods: SchedulePeriod[];
  lineage: ScheduleLineage[];
  exceptions: ScheduleException[];
}

/** The data of a stored contract event of inbound type `T`. */
export type InboundData<T extends InboundType> = InboundOf<T>['data'];

export function dataOf<T extends InboundType>(event: ContractEvent, _type: T): InboundData<T> {
  // The stored data was validated by the inbound schema when it was accepted (commands/contract.ts).
  return event.data as unknown as InboundData<T>;
}

/** The date before every date: a phase that starts on it is in force from inception. */
export const BEGINNING = '0000-01-01';
