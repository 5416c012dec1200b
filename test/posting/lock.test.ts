// One posting run at a time on one store: the posting-run lock is taken with optimistic concurrency on its stream,
// refused while another run's lease lasts, and taken over once a crashed holder's lease has expired.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decideAcquire,
  decideRelease,
  decideRenew,
  evolvePostingLock,
  initialPostingLockState,
} from '../../commands/posting-lock.js';
import type { PostingLockState } from '../../commands/posting-lock.js';
import { acquirePostingLock } from '../../src/posting/lock.js';
import { SqliteEventStore } from '../../src/store/index.js';
import type { ProposedEvent, RecordedEvent } from '../../schemas/index.js';

const T0 = Date.parse('2026-04-01T08:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

/** The state after `events`, as the lock stream's reader folds them. */
function given(...events: unknown[]): PostingLockState {
  return (events as ProposedEvent[]).reduce(
    (s, e, revision) => evolvePostingLock(s, { ...e, revision } as unknown as RecordedEvent),
    initialPostingLockState,
  );
}

describe('the posting-run lock (decisions)', () => {
  it('a free lock is taken; a held one is refused POSTING_RUN_IN_PROGRESS', () => {
    const a = decideAcquire(initialPostingLockState, 'run-a', 1000, at(0));
    expect(a).toMatchObject({ type: 'PostingRunLockAcquired', data: { holder: 'run-a' } });
    expect(decideAcquire(given(a), 'run-b', 1000, at(999))).toMatchObject({ code: 'POSTING_RUN_IN_PROGRESS' });
  });

  it("a crashed holder's lease expires and the lock is taken over; the old holder's renewal is refused", () => {
    const a = decideAcquire(initialPostingLockState, 'run-a', 1000, at(0));
    const b = decideAcquire(given(a), 'run-b', 1000, at(1000));
    expect(b).toMatchObject({ type: 'PostingRunLockAcquired', data: { holder: 'run-b', takenOverFrom: 'run-a' } });
    expect(decideRenew(given(a, b), 'run-a', 1000, at(1001))).toMatchObject({ code: 'POSTING_RUN_LOCK_LOST' });
    expect(decideRelease(given(a, b), 'run-a', at(1001))).toBeNull();
  });

  it('a released lock is free at once; a renewed lease holds the others off', () => {
    const a = decideAcquire(initialPostingLockState, 'run-a', 1000, at(0));
    const renewed = decideRenew(given(a), 'run-a', 1000, at(900));
    expect(decideAcquire(given(a, renewed), 'run-b', 1000, at(1500))).toMatchObject({
      code: 'POSTING_RUN_IN_PROGRESS',
    });
    const released = decideRelease(given(a), 'run-a', at(10));
    expect(decideAcquire(given(a, released), 'run-b', 1000, at(11))).toMatchObject({ data: { holder: 'run-b' } });
  });
});

describe('the posting-run lock on a store', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-lock-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('of two runs asking at once one holds it; after its crash the lease expires and the other takes over', async () => {
    const now = { t: 0 };
    const clock = { leaseMs: 60_000, now: () => at(now.t) };
    const [x, y] = await Promise.all([
      acquirePostingLock(store, 'run-a', clock),
      acquirePostingLock(store, 'run-b', clock),
    ]);
    const held = [x, y].filter((l) => 'signal' in l);
    const refused = [x, y].filter((l) => 'code' in l);
    expect(held).toHaveLength(1);
    expect(refused).toEqual([{ code: 'POSTING_RUN_IN_PROGRESS', message: expect.stringMatching(/run-[ab]/) }]);
    // The holder "crashes": it never releases. Before its lease ends the lock is refused; after, taken over.
    now.t = 59_999;
    expect(await acquirePostingLock(store, 'run-c', clock)).toMatchObject({ code: 'POSTING_RUN_IN_PROGRESS' });
    now.t = 60_000;
    const c = await acquirePostingLock(store, 'run-c', clock);
    expect('signal' in c).toBe(true);
    if ('signal' in c) await c.release();
    const d = await acquirePostingLock(store, 'run-d', clock);
    expect('signal' in d).toBe(true);
    if ('signal' in d) await d.release();
  });
});
