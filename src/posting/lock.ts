// Holding the posting-run lock (commands/posting-lock.ts) for the length of a run: taken with optimistic concurrency
// on the lock stream, its lease renewed on a timer while the run goes on, released at the end. A renewal that finds
// the lock taken over (this process stalled past its lease) aborts the run's signal, so it submits no further batch;
// the run also confirms the lock before each micro-batch (one read of the lock's last event), so a process that
// stalled past its lease learns it has lost the lock before it sends anything more, not only at the next renewal.
import type { PostingLockState } from '../../commands/posting-lock.js';
import {
  POSTING_LOCK_STREAM,
  decideAcquire,
  decideRelease,
  decideRenew,
  evolvePostingLock,
  initialPostingLockState,
} from '../../commands/posting-lock.js';
import type { DomainError, ProposedEvent } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import { WrongExpectedVersionError } from '../store/index.js';

/** How long a lease lasts without renewal: a crashed holder's lock is taken over after at most this long. */
export const DEFAULT_POSTING_LEASE_MS = 60_000;

export interface PostingLock {
  /** Aborted (reason: a PostingLockLostError) when another run took the lock over. */
  signal: AbortSignal;
  /** Reads the lock now and aborts `signal` when another run holds it. */
  confirm(): Promise<void>;
  release(): Promise<void>;
}

/** Another run took the posting-run lock over (this one's lease had expired): this run must post nothing more. */
export class PostingLockLostError extends Error {
  override readonly name = 'PostingLockLostError';
  readonly code = 'POSTING_RUN_LOCK_LOST';
}

export interface PostingLockOptions {
  /** Lease length; renewed every third of it. Default DEFAULT_POSTING_LEASE_MS. */
  leaseMs?: number;
  now?: () => Date;
}

async function readLock(store: EventStore): Promise<PostingLockState> {
  let state = initialPostingLockState;
  for await (const e of store.readStream(POSTING_LOCK_STREAM, { direction: 'backwards', maxCount: 1 }))
    state = evolvePostingLock(state, e);
  return state;
}

/** Reads the lock, decides, appends at the revision read; on a clash reads and decides again. */
async function decideOnLock(
  store: EventStore,
  decide: (s: PostingLockState) => ProposedEvent | DomainError | null,
): Promise<DomainError | null> {
  for (let attempt = 0; ; attempt++) {
    const state = await readLock(store);
    const decision = decide(state);
    if (decision === null || !('eventId' in decision)) return decision;
    try {
      await store.append(POSTING_LOCK_STREAM, [decision], { expectedRevision: state.revision ?? 'no_stream' });
      return null;
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= 10) throw err;
    }
  }
}

/** Takes the posting-run lock for `holder`, or answers why not (POSTING_RUN_IN_PROGRESS). */
export async function acquirePostingLock(
  store: EventStore,
  holder: string,
  options: PostingLockOptions = {},
): Promise<PostingLock | DomainError> {
  const leaseMs = options.leaseMs ?? DEFAULT_POSTING_LEASE_MS;
  const now = options.now ?? (() => new Date());
  const refused = await decideOnLock(store, (s) => decideAcquire(s, holder, leaseMs, now()));
  if (refused) return refused;
  const abort = new AbortController();
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    const lost = await decideOnLock(store, (s) => decideRenew(s, holder, leaseMs, now())).catch(() => null);
    if (lost) abort.abort(new PostingLockLostError(lost.message));
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, leaseMs / 3);
  timer.unref();
  return {
    signal: abort.signal,
    confirm: async () => {
      const state = await readLock(store);
      if (state.holder !== holder && !abort.signal.aborted)
        abort.abort(new PostingLockLostError(`posting run ${holder} lost the posting lock to ${state.holder}`));
    },
    release: async () => {
      clearInterval(timer);
      await renewing;
      await decideOnLock(store, (s) => decideRelease(s, holder, now()));
    },
  };
}
