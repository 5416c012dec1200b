// The posting-run lock: one posting run at a time on one store, across every process and node. It is a stream whose
// last event says who holds the lock and until when (a lease): taking it appends at the revision read (optimistic
// concurrency), so of two processes that read the same free lock only one append lands. A holder renews its lease
// while it runs and releases it at the end; a holder that crashed stops renewing, and once its lease has expired the
// next run takes the lock over. Only the last event matters, so a reader needs the stream's last event alone.
import type { DomainError, ProposedEvent, RecordedEvent } from '../schemas/index.js';
import { domainError, eventIdFor } from '../schemas/index.js';
import type { Decider } from './decider.js';
import { accepted } from './decider.js';

export const POSTING_LOCK_STREAM = 'posting-run-lock';

export interface PostingLockState {
  /** The lock stream's last revision (null: no stream yet). */
  revision: number | null;
  /** The run holding the lock and when its lease ends; null when released. */
  holder: string | null;
  expiresAt: string | null;
}

export const initialPostingLockState: PostingLockState = { revision: null, holder: null, expiresAt: null };

export function evolvePostingLock(state: PostingLockState, e: RecordedEvent): PostingLockState {
  switch (e.type) {
    case 'PostingRunLockAcquired':
    case 'PostingRunLockRenewed':
      return { revision: e.revision, holder: e.data.holder as string, expiresAt: e.data.expiresAt as string };
    case 'PostingRunLockReleased':
      return { revision: e.revision, holder: null, expiresAt: null };
    default:
      return { ...state, revision: e.revision };
  }
}

const lockEvent = (type: string, state: PostingLockState, data: Record<string, string>, now: Date): ProposedEvent => ({
  // The id names the revision it follows: a retried append is idempotent, a competing one a clash.
  eventId: eventIdFor(`${POSTING_LOCK_STREAM}|${(state.revision ?? -1) + 1}|${type}|${data.holder}`),
  type,
  data,
  metadata: {
    schemaVersion: 1,
    source: null,
    receivedAt: now.toISOString(),
    correlationId: null,
    causationId: null,
    actor: data.holder!,
  },
});

const held = (state: PostingLockState, now: Date): boolean =>
  state.holder !== null && state.expiresAt !== null && Date.parse(state.expiresAt) > now.getTime();

export type PostingLockCommand =
  | { action: 'acquire'; holder: string; leaseMs: number; now: Date }
  | { action: 'renew'; holder: string; leaseMs: number; now: Date }
  | { action: 'release'; holder: string; now: Date };

/** Takes the lock for `holder` when it is free, released, or its lease has expired. */
function acquire(state: PostingLockState, holder: string, leaseMs: number, now: Date): ProposedEvent[] | DomainError {
  if (held(state, now) && state.holder !== holder)
    return domainError(
      'POSTING_RUN_IN_PROGRESS',
      `posting run ${state.holder} holds the posting lock until ${state.expiresAt}`,
    );
  const expiresAt = new Date(now.getTime() + leaseMs).toISOString();
  const data: Record<string, string> = { holder, expiresAt };
  if (state.holder !== null && state.holder !== holder) data.takenOverFrom = state.holder;
  return [lockEvent('PostingRunLockAcquired', state, data, now)];
}

/** Extends the holder's lease; refused once another run has taken the lock over (the lease had expired). */
function renew(state: PostingLockState, holder: string, leaseMs: number, now: Date): ProposedEvent[] | DomainError {
  if (state.holder !== holder)
    return domainError('POSTING_RUN_LOCK_LOST', `posting run ${holder} lost the posting lock to ${state.holder}`);
  const expiresAt = new Date(now.getTime() + leaseMs).toISOString();
  return [lockEvent('PostingRunLockRenewed', state, { holder, expiresAt }, now)];
}

/** Releases the holder's lock; nothing when another run holds it now. */
function release(state: PostingLockState, holder: string, now: Date): ProposedEvent[] {
  if (state.holder !== holder) return [];
  return [lockEvent('PostingRunLockReleased', state, { holder }, now)];
}

function decide(state: PostingLockState, command: PostingLockCommand): ProposedEvent[] | DomainError {
  switch (command.action) {
    case 'acquire':
      return acquire(state, command.holder, command.leaseMs, command.now);
    case 'renew':
      return renew(state, command.holder, command.leaseMs, command.now);
    case 'release':
      return release(state, command.holder, command.now);
    default:
      return command satisfies never;
  }
}

/** The one posting-run lock of the store (its stream has no key). */
export const postingLock: Decider<PostingLockState, PostingLockCommand, RecordedEvent, DomainError, void> = {
  stream: () => POSTING_LOCK_STREAM,
  initial: () => initialPostingLockState,
  evolve: evolvePostingLock,
  decide,
};

/** The one event a lock command appends, or why it is refused; null when it changes nothing. */
function single(decided: ProposedEvent[] | DomainError): ProposedEvent | DomainError | null {
  return accepted(decided) ? (decided[0] ?? null) : decided;
}

export function decideAcquire(
  state: PostingLockState,
  holder: string,
  leaseMs: number,
  now: Date,
): ProposedEvent | DomainError {
  return single(acquire(state, holder, leaseMs, now))!; // acquiring always appends or refuses
}

export function decideRenew(
  state: PostingLockState,
  holder: string,
  leaseMs: number,
  now: Date,
): ProposedEvent | DomainError {
  return single(renew(state, holder, leaseMs, now))!; // renewing always appends or refuses
}

export function decideRelease(state: PostingLockState, holder: string, now: Date): ProposedEvent | null {
  return release(state, holder, now)[0] ?? null;
}
