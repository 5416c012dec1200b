// kill -9 at the three places a projection runs — `revtrail project`, `revtrail rebuild`, and the live runner inside
// `revtrail start` while events arrive — then a restart: the read models equal an uninterrupted build, document for
// document (both projections count the events they folded, so a double-applied or skipped event would show).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import type { Target } from '../../src/readmodel/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { comparePositions } from '../../schemas/index.js';
import type { Position } from '../../schemas/index.js';
import { PROGRESS_KEY } from '../../src/runner/index.js';
import { CLI, run, startService, stop } from '../support/cli.js';

const CONTRACTS = 400;

async function dump(path: string) {
  const read = new SqliteReadStore(path);
  try {
    return Object.fromEntries(await Promise.all(PROJECTIONS.map(async (p) => [p.name, await read.list(p.name)])));
  } finally {
    await read.close();
  }
}

async function head(path: string): Promise<Position> {
  const store = new SqliteEventStore({ path });
  try {
    return (await store.headPosition())!;
  } finally {
    await store.close();
  }
}

/** Polls until `ready` holds (or the time is up), then kills the child with SIGKILL; resolves to its signal. */
async function killWhen(
  child: ReturnType<typeof spawn>,
  ready: () => Promise<boolean>,
): Promise<NodeJS.Signals | null> {
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  try {
    for (let i = 0; i < 4000 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 5));
  } finally {
    child.kill('SIGKILL');
  }
  return exited;
}

async function checkpointOf(readPath: string, target: (read: SqliteReadStore) => Promise<Target | null>) {
  const read = new SqliteReadStore(readPath);
  try {
    const t = await target(read);
    return t === null ? null : await read.checkpoint(t);
  } finally {
    await read.close();
  }
}

describe('projections killed with SIGKILL', () => {
  let dir: string;
  let events: string;
  let clean: Awaited<ReturnType<typeof dump>>;
  /** The company's events: the store holds the first 60%, the live test delivers the rest. */
  let rest: unknown[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-crash-'));
    events = join(dir, 'events.db');
    const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
    await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, new Date(0));
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date(0));
    const all = [...generateCompany({ contracts: CONTRACTS, seed: 3 })];
    const cut = Math.floor(all.length * 0.6);
    await new Ingestor(store).ingestAll(all.slice(0, cut), { actor: 'test' });
    rest = all.slice(cut);
    await store.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The read models of an uninterrupted `revtrail project` over the store as it is now. */
  async function cleanBuild(name: string) {
    const path = join(dir, `${name}.db`);
    expect((await run(['project'], { REVTRAIL_STORE: events, REVTRAIL_READ_STORE: path })).code).toBe(0);
    return dump(path);
  }

  it('a killed `revtrail project` resumes to the same read models', { timeout: 180_000 }, async () => {
    const killedRead = join(dir, 'read-project.db');
    // Small batches, each fsynced: the run is long enough to be killed in the middle.
    const env = {
      REVTRAIL_STORE: events,
      REVTRAIL_READ_STORE: killedRead,
      REVTRAIL_RUNNER_BATCH: '20',
      REVTRAIL_SQLITE_SYNC: 'full',
    };
    const child = spawn(process.execPath, [CLI, 'project'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const cp = () => checkpointOf(killedRead, async () => 'revenue-schedule');
    expect(await killWhen(child, async () => (await cp()) !== null)).toBe('SIGKILL');
    const atKill = await cp();
    expect(atKill).not.toBeNull();
    expect(comparePositions(atKill!, await head(events))).toBe(-1); // really killed mid-run

    expect((await run(['project'], env)).code).toBe(0);
    clean = await cleanBuild('clean-1');
    expect(clean['contract-versions']!.length).toBeGreaterThan(CONTRACTS / 2);
    expect(await dump(killedRead)).toEqual(clean);
  });

  it(
    'a killed `revtrail rebuild` resumes its generation and swaps to the same read models',
    { timeout: 180_000 },
    async () => {
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
      expect(await dump(readPath)).toEqual(clean);
    },
  );

  it('the live runner of a killed `revtrail start` resumes to the same read models', { timeout: 240_000 }, async () => {
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

    const again = await startService(env);
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
    expect(uninterrupted['contract-versions']!.length).toBe(CONTRACTS);
    expect(liveBuilt).toEqual(uninterrupted);
  });
});
