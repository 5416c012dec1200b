// kill -9 in the middle of `revtrail project`, then a restart: the read models equal an uninterrupted build's.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePositions } from '../../schemas/index.js';
import { CLI, run } from '../support/cli.js';
import { CRASH_CONTRACTS, checkpointOf, cleanBuild, dump, head, killWhen, useCrashStore } from '../support/crash.js';

describe('projections killed with SIGKILL', () => {
  const seeded = useCrashStore();

  it('a killed `revtrail project` resumes to the same read models', { timeout: 180_000 }, async () => {
    const { dir, events } = seeded;
    const killedRead = join(dir, 'read-project.db');
    // Small batches, each fsynced: the run is long enough to be killed in the middle.
    const env = {
      REVTRAIL_STORE: events,
      REVTRAIL_READ_STORE: killedRead,
      REVTRAIL_RUNNER_BATCH: '20',
      REVTRAIL_RUNNER_MAX_BATCH: '20',
      REVTRAIL_SQLITE_SYNC: 'full',
    };
    const child = spawn(process.execPath, [CLI, 'project'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const cp = () => checkpointOf(killedRead, async () => 'revenue-schedule');
    expect(await killWhen(child, async () => (await cp()) !== null)).toBe('SIGKILL');
    const atKill = await cp();
    expect(atKill).not.toBeNull();
    expect(comparePositions(atKill!, await head(events))).toBe(-1); // really killed mid-run

    // The restart resumes from the killed run's checkpoint; it need not be killable mid-batch.
    expect(
      (await run(['project'], { ...env, REVTRAIL_RUNNER_BATCH: '500', REVTRAIL_SQLITE_SYNC: 'normal' })).code,
    ).toBe(0);
    const clean = await cleanBuild(dir, events, 'clean-1');
    expect(clean['contract-versions']!.length).toBeGreaterThan(CRASH_CONTRACTS / 2);
    expect(await dump(killedRead)).toEqual(clean);
  });
});
