// kill -9 of `revtrail start` while events arrive and its live runner projects them, then a restart: the read
// models equal an uninterrupted build's over the same events.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { comparePositions } from '../../schemas/index.js';
import { run, startService, stop } from '../support/cli.js';
import { CRASH_CONTRACTS, checkpointOf, dump, head, killWhen, useCrashStore } from '../support/crash.js';

describe('projections killed with SIGKILL', () => {
  const seeded = useCrashStore();

  it('the live runner of a killed `revtrail start` resumes to the same read models', { timeout: 240_000 }, async () => {
    const { dir, events, rest } = seeded;
    const liveEvents = join(dir, 'live-events.db');
    copyFileSync(events, liveEvents);
    const readPath = join(dir, 'read-live.db');
    const env = {
      REVTRAIL_STORE: liveEvents,
      REVTRAIL_READ_STORE: readPath,
      REVTRAIL_DATA_DIR: dir,
      REVTRAIL_DEMO_CONTRACTS: '0',
      REVTRAIL_RUNNER_BATCH: '20',
      REVTRAIL_SQLITE_SYNC: 'full',
    };
    const svc = await startService(env);
    // The rest of the company arrives while the service projects (another process appending to the same store).
    const store = new SqliteEventStore({ path: liveEvents, synchronous: 'normal' });
    const ingestor = new Ingestor(store);
    const half = Math.floor(rest.length / 2);
    const delivering = ingestor.ingestAll(rest.slice(0, half), { actor: 'test' }, { batchSize: 200 });
    const cp = () => checkpointOf(readPath, async () => 'revenue-schedule');
    const signal = await killWhen(svc.child, async () => (await cp()) !== null);
    expect(signal).toBe('SIGKILL');
    const atKill = await cp();
    await delivering;
    expect(atKill).not.toBeNull();
    expect(comparePositions(atKill!, await head(liveEvents))).toBe(-1);

    // The restart resumes from the killed run's checkpoint; it need not be killable mid-batch, so it folds in the
    // default batches without an fsync per batch.
    const again = await startService({ ...env, REVTRAIL_RUNNER_BATCH: '500', REVTRAIL_SQLITE_SYNC: 'normal' });
    try {
      await ingestor.ingestAll(rest.slice(half), { actor: 'test' }, { batchSize: 200 });
      const deadline = Date.now() + 180_000;
      for (;;) {
        const health = (await (await fetch(`${again.url}/health`)).json()) as { projections: { caughtUp: boolean }[] };
        if (health.projections.every((p) => p.caughtUp)) break;
        if (Date.now() > deadline) throw new Error(`live projections never caught up: ${JSON.stringify(health)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      expect(await stop(again.child)).toBe(0);
      await store.close();
    }
    const liveBuilt = await dump(readPath);
    const path = join(dir, 'clean-live.db');
    expect((await run(['project'], { REVTRAIL_STORE: liveEvents, REVTRAIL_READ_STORE: path })).code).toBe(0);
    const uninterrupted = await dump(path);
    expect(uninterrupted['contract-versions']!.length).toBe(CRASH_CONTRACTS);
    expect(liveBuilt).toEqual(uninterrupted);
  });
});
