// Closing and reopening accounting periods per legal entity. Closing a closed period (or reopening an open one)
// changes nothing and says so: the request is idempotent.
import type { DomainError, JsonObject, ProposedEvent } from '../schemas/index.js';
import { domainError, eventIdFor } from '../schemas/index.js';

export const periodsStream = (legalEntity: string): string => `periods-${legalEntity}`;

export interface PeriodsState {
  closed: Set<string>;
  /** How many close/reopen events the stream holds (part of each event's id, so a retry maps to the same id). */
  changes: number;
}
export const initialPeriodsState = (): PeriodsState => ({ closed: new Set(), changes: 0 });

export type PeriodAction = 'close' | 'reopen';
export type PeriodDecision =
  | { outcome: 'changed'; event: ProposedEvent }
  | { outcome: 'unchanged' }
  | { outcome: 'rejected'; errors: DomainError[] };

export function decidePeriod(
  state: PeriodsState,
  cmd: { action: PeriodAction; legalEntity: string; period: string; reason: string; receivedAt: string; actor: string },
): PeriodDecision {
  const isClosed = state.closed.has(cmd.period);
  if ((cmd.action === 'close') === isClosed) return { outcome: 'unchanged' };
  const type = cmd.action === 'close' ? 'PeriodClosed' : 'PeriodReopened';
  const data: JsonObject = { legalEntity: cmd.legalEntity, period: cmd.period, reason: cmd.reason };
  return {
    outcome: 'changed',
    event: {
      eventId: eventIdFor(`period|${cmd.legalEntity}|${state.changes}|${type}|${cmd.period}`),
      type,
      data,
      metadata: {
        schemaVersion: 1,
        source: null,
        receivedAt: cmd.receivedAt,
        correlationId: null,
        causationId: null,
        actor: cmd.actor,
      },
    },
  };
}

export function evolvePeriods(state: PeriodsState, e: { type: string; data: JsonObject }): PeriodsState {
  const closed = new Set(state.closed);
  const period = e.data.period as string;
  if (e.type === 'PeriodClosed') closed.add(period);
  if (e.type === 'PeriodReopened') closed.delete(period);
  return { closed, changes: state.changes + 1 };
}

/** A rule the posting side uses: the period is closed in Revtrail. */
export function periodClosedError(legalEntity: string, period: string): DomainError {
  return domainError('PERIOD_ALREADY_CLOSED', `period ${period} of ${legalEntity} is closed`, 'period');
}
