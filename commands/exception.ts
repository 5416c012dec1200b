// Exceptions as work items: what people do with one (assign, acknowledge, resolve, ignore with a reason, note) and the
// replays of a refused input, kept in the exception's own stream so every step says who did what and when. The
// status machine: open -> acknowledged -> resolved | ignored. Repeating a step that is already so changes nothing (a
// retried request); a step the status does not allow is refused with EXCEPTION_TRANSITION_INVALID. An item the
// system resolved (its cause went away: the read model says so, and the command carries it) takes notes only.
import type { DomainError, JsonObject, ProposedEvent } from '../schemas/index.js';
import { domainError, eventIdFor } from '../schemas/index.js';
import type { Decider } from './decider.js';

export const exceptionStream = (exceptionId: string): string => `exception-${exceptionId}`;
export const EXCEPTION_STREAM_PREFIX = 'exception-';

export type ExceptionStatus = 'open' | 'acknowledged' | 'resolved' | 'ignored';

export const EXCEPTION_EVENTS = [
  'ExceptionAssigned',
  'ExceptionAcknowledged',
  'ExceptionResolved',
  'ExceptionIgnored',
  'ExceptionNoted',
  'ExceptionReplayed',
] as const;
export type ExceptionEventType = (typeof EXCEPTION_EVENTS)[number];

export interface ExceptionState {
  exceptionId: string;
  status: ExceptionStatus;
  owner: string | null;
  /** Events in the stream (part of each event's id, so a retried append maps to the same id). */
  changes: number;
  replays: number;
}

/**
 * What the item is, as the read side saw it when the command was given: kept on every event, so that the exception
 * stays readable (kind, contract, amount) after its cause went away.
 */
export interface ExceptionSubject extends JsonObject {
  kind: string;
  code: string;
  /** The read-model document the item belongs to (e.g. `contract:<id>`, `rejection:<eventId>`). */
  document: string;
  contractId: string | null;
  legalEntity: string | null;
  amount: string;
  currency: string | null;
  firstSeen: string;
  message: string;
}

export type ExceptionAction =
  | { action: 'assign'; owner: string }
  | { action: 'acknowledge' }
  | { action: 'resolve'; reason: string | null }
  | { action: 'ignore'; reason: string }
  | { action: 'note'; text: string }
  | {
      action: 'replay';
      /** accepted: the resubmitted input was appended (or held, or already stored); refused: it was refused again. */
      outcome: 'accepted' | 'refused';
      corrected: boolean;
      /** The event it became, or the InputRejected of its new refusal. */
      eventId: string | null;
    };

export type ExceptionCommand = ExceptionAction & {
  subject: ExceptionSubject;
  /** Set when the read side has the item resolved by the system (its cause went away): why. */
  resolvedBySystem: string | null;
  at: string;
  actor: string;
  correlationId?: string | null;
};

export const initialExceptionState = (exceptionId: string): ExceptionState => ({
  exceptionId,
  status: 'open',
  owner: null,
  changes: 0,
  replays: 0,
});

const CLOSED: ReadonlySet<ExceptionStatus> = new Set(['resolved', 'ignored']);

function refused(state: ExceptionState, action: string, why: string): DomainError {
  return domainError(
    'EXCEPTION_TRANSITION_INVALID',
    `exception ${state.exceptionId} is ${why}: it cannot be ${action}`,
    'action',
  );
}

/** The event a command decides on the state, [] when it changes nothing, or why it is refused. */
function decide(state: ExceptionState, cmd: ExceptionCommand): ProposedEvent[] | DomainError {
  if (cmd.action === 'note') return [eventOf(state, cmd, 'ExceptionNoted', { text: cmd.text })];
  if (cmd.resolvedBySystem !== null && cmd.action !== 'replay')
    return refused(state, pastTense(cmd.action), `resolved by the system (${cmd.resolvedBySystem})`);
  switch (cmd.action) {
    case 'assign':
      if (CLOSED.has(state.status)) return refused(state, 'assigned', state.status);
      if (state.owner === cmd.owner) return [];
      return [eventOf(state, cmd, 'ExceptionAssigned', { owner: cmd.owner, previousOwner: state.owner })];
    case 'acknowledge':
      if (state.status === 'acknowledged') return [];
      if (state.status !== 'open') return refused(state, 'acknowledged', state.status);
      return [eventOf(state, cmd, 'ExceptionAcknowledged', {})];
    case 'resolve':
      return close(state, cmd, 'resolved', 'ExceptionResolved', cmd.reason);
    case 'ignore':
      return close(state, cmd, 'ignored', 'ExceptionIgnored', cmd.reason);
    case 'replay':
      if (CLOSED.has(state.status) || cmd.resolvedBySystem !== null)
        return domainError(
          'REPLAY_NOT_ALLOWED',
          `exception ${state.exceptionId} is ${cmd.resolvedBySystem === null ? state.status : 'resolved'}: there is nothing to replay`,
          'id',
        );
      return [
        eventOf(state, cmd, 'ExceptionReplayed', {
          outcome: cmd.outcome,
          corrected: cmd.corrected,
          replayEventId: cmd.eventId,
        }),
      ];
    default:
      return assertNever(cmd);
  }
}

/** Resolve and ignore: from acknowledged only; the same close again changes nothing; the other close is refused. */
function close(
  state: ExceptionState,
  cmd: ExceptionCommand,
  to: 'resolved' | 'ignored',
  type: ExceptionEventType,
  reason: string | null,
): ProposedEvent[] | DomainError {
  if (state.status === to) return [];
  if (state.status !== 'acknowledged')
    return refused(state, to, state.status === 'open' ? 'open (acknowledge it first)' : state.status);
  return [eventOf(state, cmd, type, { reason })];
}

const pastTense = (action: string): string =>
  ({ assign: 'assigned', acknowledge: 'acknowledged', resolve: 'resolved', ignore: 'ignored' })[action] ?? action;

function eventOf(state: ExceptionState, cmd: ExceptionCommand, type: ExceptionEventType, data: JsonObject) {
  return {
    // One event per position in the stream: a retried append of the same decision is a no-op.
    eventId: eventIdFor(`exception|${state.exceptionId}|${state.changes}|${type}`),
    type,
    data: { exceptionId: state.exceptionId, subject: cmd.subject, ...data },
    metadata: {
      schemaVersion: 1,
      source: null,
      receivedAt: cmd.at,
      correlationId: cmd.correlationId ?? null,
      causationId: null,
      actor: cmd.actor,
    },
  } satisfies ProposedEvent;
}

function evolve(state: ExceptionState, e: { type: string; data: JsonObject }): ExceptionState {
  const next = { ...state, changes: state.changes + 1 };
  switch (e.type as ExceptionEventType) {
    case 'ExceptionAssigned':
      return { ...next, owner: e.data.owner as string };
    case 'ExceptionAcknowledged':
      return { ...next, status: 'acknowledged' };
    case 'ExceptionResolved':
      return { ...next, status: 'resolved' };
    case 'ExceptionIgnored':
      return { ...next, status: 'ignored' };
    case 'ExceptionReplayed':
      // An accepted replay takes the cause away: the refused input is in the ledger now.
      return { ...next, replays: state.replays + 1, status: e.data.outcome === 'accepted' ? 'resolved' : state.status };
    default:
      return next;
  }
}

function assertNever(x: never): never {
  throw new Error(`unknown exception action ${JSON.stringify(x)}`);
}

/** One exception's work-item stream, keyed by the exception id. */
export const exception: Decider<ExceptionState, ExceptionCommand, { type: string; data: JsonObject }> = {
  stream: exceptionStream,
  initial: initialExceptionState,
  evolve,
  decide,
};
