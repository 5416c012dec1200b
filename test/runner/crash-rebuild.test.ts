// kill -9 in the middle of `revtrail rebuild`, then a restart: it resumes the generation it was building, swaps, and
// the read models equal an uninterrupted build's.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import type { Target } from '../../src/readmodel/index.js';
import { PROGRESS_KEY } from '../../src/runner/index.js';
import { CLI, run } from '../support/cli.js';
import { checkpointOf, cleanBuild, dump, killWhen, useCrashStore } from '../support/crash.js';

describe('projections killed with SIGKILL', () => {
  const seeded = useCrashStore();

  it(
    'a killed `revtrail rebuild` resumes its generation and swaps to the same read models',
    { timeout: 180_000 },
    async () => {
      const { dir, events } = seeded;
      const readPath = join(dir, 'read-rebuild.db');
      const env = { REVTRAIL_STORE: events, REVTRAIL_READ_STORE: readPath, REVTRAIL_SQLITE_SYNC: 'full' };
      expect((await run(['project'], env)).code).toBe(0);
      const rebuildEnv = { ...env, REVTRAIL_REBUILD_BATCH: '50' };
      const child = spawn(process.execPath, [CLI, 'rebuild'], {
        env: { ...process.env, ...rebuildEnv },
        stdio: 'ignore',
      });
      const building = async (read: SqliteReadStore): Promise<Target | null> => {
        const g = await read.generations('revenue-schedule');
        return g.building === null ? null : { projection: 'revenue-schedule', generation: g.building };
      };
      // The replay goes stream by stream (src/runner/by-stream.ts), committing its progress with the documents.
      const progress = async () => {
        const read = new SqliteReadStore(readPath);
        try {
          const t = await building(read);
          return t === null ? null : await read.get(t, PROGRESS_KEY);
        } finally {
          await read.close();
        }
      };
      expect(await killWhen(child, async () => (await progress()) !== null)).toBe('SIGKILL');
      expect(await progress()).not.toBeNull(); // a generation was being built, part of its streams committed …
      expect(await checkpointOf(readPath, building)).toBeNull(); // … and its replay had not finished

      const resumed = await run(['rebuild'], rebuildEnv);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout.trim().split('\n').pop()!)).toMatchObject({ activated: true });
      const read = new SqliteReadStore(readPath);
      expect(await read.generations('revenue-schedule')).toEqual({
        projection: 'revenue-schedule',
        active: 2,
        building: null,
      });
      await read.close();
      expect(await dump(readPath)).toEqual(await cleanBuild(dir, events, 'clean'));
    },
  );
});
