// Closing and reopening accounting periods per legal entity. Closing a closed period (or reopening an open one)
// changes nothing and says so: the request is idempotent.
import type { DomainError, JsonObject, ProposedEvent } from '../schemas/index.js';
import { domainError, eventIdFor } from '../schemas/index.js';
import type { Decider } from './decider.js';
import { accepted } from './decider.js';

export const periodsStream = (legalEntity: string): string => `periods-${legalEntity}`;

export interface PeriodsState {
  closed: Set<string>;
  /** How many close/reopen events the stream holds (part of each event's id, so a retry maps to the same id). */
  changes: number;
}
export const initialPeriodsState = (): PeriodsState => ({ closed: new Set(), changes: 0 });

export type PeriodAction = 'close' | 'reopen';

export interface ChangePeriod {
  action: PeriodAction;
  legalEntity: string;
  period: string;
  reason: string;
  receivedAt: string;
  actor: string;
  /** The correlation id of the request that closes or reopens it. */
  correlationId?: string | null;
}

/** What a close or reopen answers: whether this request changed the period. */
export type PeriodDecision =
  | { outcome: 'changed'; event: ProposedEvent }
  | { outcome: 'unchanged' }
  | { outcome: 'rejected'; errors: DomainError[] };

function decide(state: PeriodsState, cmd: ChangePeriod): ProposedEvent[] {
  const isClosed = state.closed.has(cmd.period);
  if ((cmd.action === 'close') === isClosed) return [];
  const type = cmd.action === 'close' ? 'PeriodClosed' : 'PeriodReopened';
  const data: JsonObject = { legalEntity: cmd.legalEntity, period: cmd.period, reason: cmd.reason };
  return [
    {
      eventId: eventIdFor(`period|${cmd.legalEntity}|${state.changes}|${type}|${cmd.period}`),
      type,
      data,
      metadata: {
        schemaVersion: 1,
        source: null,
        receivedAt: cmd.receivedAt,
        correlationId: cmd.correlationId ?? null,
        causationId: null,
        actor: cmd.actor,
      },
    },
  ];
}

function evolve(state: PeriodsState, e: { type: string; data: JsonObject }): PeriodsState {
  const closed = new Set(state.closed);
  const period = e.data.period as string;
  if (e.type === 'PeriodClosed') closed.add(period);
  if (e.type === 'PeriodReopened') closed.delete(period);
  return { closed, changes: state.changes + 1 };
}

/** The closed periods of one legal entity (the key). */
export const periods: Decider<PeriodsState, ChangePeriod, { type: string; data: JsonObject }> = {
  stream: periodsStream,
  initial: initialPeriodsState,
  evolve,
  decide,
};

/** The close or reopen decided, as POST /v1/periods answers it. */
export function decidePeriod(state: PeriodsState, cmd: ChangePeriod): PeriodDecision {
  const decided = periods.decide(state, cmd);
  if (!accepted(decided)) return { outcome: 'rejected', errors: [decided] };
  const [event] = decided;
  return event === undefined ? { outcome: 'unchanged' } : { outcome: 'changed', event };
}

export const evolvePeriods = evolve;

/** A rule the posting side uses: the period is closed in Revtrail. */
export function periodClosedError(legalEntity: string, period: string): DomainError {
  return domainError('PERIOD_ALREADY_CLOSED', `period ${period} of ${legalEntity} is closed`, 'period');
}
