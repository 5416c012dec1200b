// One posting run at a time across processes: two `revtrail post` processes on one store cannot both post; the one
// that does not hold the store's posting-run lock answers POSTING_RUN_IN_PROGRESS (exit 4). A holder killed -9 keeps
// the lock only until its lease expires; then the next run takes it over and settles what the dead one left.
import { readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTING_LOCK_STREAM } from '../../commands/posting-lock.js';
import { contractJournals } from '../../src/posting/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { fileConnectorEnv, run, seededCliStore, withCliStore } from '../support/cli.js';

describe('posting runs in separate processes', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    ({ dir, env } = await seededCliStore('revtrail-lock-cli-', fileConnectorEnv, { contracts: 150, seed: 4 }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const withStore = <T>(f: (store: SqliteEventStore) => Promise<T>): Promise<T> => withCliStore(env, f);
  const journals = () =>
    withStore(async (s) => [...(await contractJournals(s)).values()].flatMap((c) => [...c.journals.values()]));
  const lockEvents = () =>
    withStore(async (s) => {
      const out: { type: string; data: Record<string, unknown> }[] = [];
      for await (const e of s.readStream(POSTING_LOCK_STREAM)) out.push(e);
      return out;
    });

  it('two processes at once: one posts, the other is refused POSTING_RUN_IN_PROGRESS and writes nothing', async () => {
    // One journal per micro-batch keeps the first run going long after the second has asked for the lock.
    const slow = { ...env, REVTRAIL_POSTING_BATCH: '1' };
    const results = await Promise.all([
      run(['post', '--period', '2026-03'], slow),
      run(['post', '--period', '2026-03'], slow),
    ]);
    // The run that holds the lock exits 3: the demo company holds contracts no run can journal (blocked).
    expect(results.map((r) => r.code).sort()).toEqual([3, 4]);
    const refused = results.find((r) => r.code === 4)!;
    expect(JSON.parse(refused.stderr)).toMatchObject({ code: 'POSTING_RUN_IN_PROGRESS' });
    expect(refused.stdout).toBe('');
    const posted = JSON.parse(results.find((r) => r.code === 3)!.stdout) as {
      runName: string;
      posted: number;
      rejected: Record<string, number>;
      blocked: Record<string, number>;
    };
    expect(posted.rejected).toEqual({});
    expect(Object.keys(posted.blocked).length).toBeGreaterThan(0);
    const all = await journals();
    expect(posted.posted).toBe(all.length);
    expect(all.every((j) => j.status === 'posted')).toBe(true);
    // Only the run that held the lock wrote ERP files.
    expect(readdirSync(env.REVTRAIL_ERP_DIR!).sort()).toEqual([`${posted.runName}.csv`, `${posted.runName}.journal`]);
    expect((await lockEvents()).map((e) => e.type)).toEqual(['PostingRunLockAcquired', 'PostingRunLockReleased']);
  });

  it('a holder killed -9 keeps others out until its lease expires; then the lock is taken over', async () => {
    const lease = { ...env, REVTRAIL_POSTING_LEASE_MS: '4000' };
    const killed = await run(['post', '--period', '2026-03'], {
      ...lease,
      REVTRAIL_TEST_DIE_AFTER_ERP_WRITE: '1',
      REVTRAIL_POSTING_BATCH: '1',
    });
    expect(killed.code).toBeNull();
    const [acquired] = await lockEvents();
    expect(acquired!.type).toBe('PostingRunLockAcquired');

    const refused = await run(['post', '--period', '2026-03'], lease);
    // A run that ended before the lease did was refused (on a loaded machine it may have started after).
    if (Date.now() < Date.parse(acquired!.data.expiresAt as string)) {
      expect(refused.code).toBe(4);
      expect(JSON.parse(refused.stderr)).toMatchObject({ code: 'POSTING_RUN_IN_PROGRESS' });
    }
    // Wait out the dead holder's lease (not a timed assertion: the wait only has to be long enough).
    const wait = Date.parse(acquired!.data.expiresAt as string) - Date.now();
    if (wait > 0) await sleep(wait + 10);
    const next = await run(['post', '--period', '2026-03'], lease);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(3); // blocked contracts, as above
    expect(JSON.parse(next.stdout)).toMatchObject({ rejected: {}, retrying: 0 });
    const all = await journals();
    expect(all.every((j) => j.status === 'posted')).toBe(true);
    const events = await lockEvents();
    expect(events.filter((e) => e.data.takenOverFrom !== undefined).map((e) => e.data.takenOverFrom)).toEqual([
      acquired!.data.holder,
    ]);
    expect(events.at(-1)!.type).toBe('PostingRunLockReleased');
  });
});
