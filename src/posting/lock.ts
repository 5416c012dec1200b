// Holding the posting-run lock (commands/posting-lock.ts) for the length of a run: taken with optimistic concurrency
// on the lock stream, its lease renewed on a timer while the run goes on, released at the end. A renewal that finds
// the lock taken over (this process stalled past its lease) aborts the run's signal, so it submits no further batch;
// the run also confirms the lock before each micro-batch (one read of the lock's last event), so a process that
// stalled past its lease learns it has lost the lock before it sends anything more, not only at the next renewal.
import { accepted } from '../../commands/decider.js';
import type { PostingLockCommand, PostingLockState } from '../../commands/posting-lock.js';
import {
  POSTING_LOCK_STREAM,
  evolvePostingLock,
  initialPostingLockState,
  postingLock,
} from '../../commands/posting-lock.js';
import type { DomainError } from '../../schemas/index.js';
import { handleCommand } from '../handling/index.js';
import type { EventStore } from '../store/index.js';

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

/** Decides a lock command on the lock's last event and appends what it decided; null, or why it is refused. */
async function decideOnLock(store: EventStore, command: () => PostingLockCommand): Promise<DomainError | null> {
  const { decided } = await handleCommand(store, postingLock, undefined, command, { lastEventOnly: true });
  return accepted(decided) ? null : decided;
}

/** Takes the posting-run lock for `holder`, or answers why not (POSTING_RUN_IN_PROGRESS). */
export async function acquirePostingLock(
  store: EventStore,
  holder: string,
  options: PostingLockOptions = {},
): Promise<PostingLock | DomainError> {
  const leaseMs = options.leaseMs ?? DEFAULT_POSTING_LEASE_MS;
  const now = options.now ?? (() => new Date());
  const refused = await decideOnLock(store, () => ({ action: 'acquire', holder, leaseMs, now: now() }));
  if (refused) return refused;
  const abort = new AbortController();
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    const lost = await decideOnLock(store, () => ({ action: 'renew', holder, leaseMs, now: now() })).catch(() => null);
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
      await decideOnLock(store, () => ({ action: 'release', holder, now: now() }));
    },
  };
}
