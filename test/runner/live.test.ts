// The live runner (src/runner/live.ts) over a real SQLite store: a read store far behind the log — empty, or part of
// the way through it — is caught up stream by stream, then the runner follows the log; stopped in the middle of a
// catch-up, it resumes; either way the documents and tags equal those of a plain log-order build of the same log.
// And the API runs it in a worker thread of its own.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import type { ReadStore } from '../../src/readmodel/index.js';
import { LiveRunner, PROGRESS_KEY, ProjectionRunner } from '../../src/runner/index.js';
import type { LivePhase } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import { dump } from '../support/dump.js';
import { booking } from '../support/fixtures.js';

const CONTRACTS = 80;
const BUDGET = { maxSteps: 1_000_000 };

/** Resolves once every projection's active generation has folded the whole log (polled: the runner commits). */
async function caughtUp(store: EventStore, read: ReadStore): Promise<void> {
  const status = new ProjectionRunner(store, read, PROJECTIONS);
  while (!(await status.status()).every((s) => s.caughtUp)) await new Promise((r) => setTimeout(r, 20));
}

/** The reference: the runner folding the whole log in position order into a fresh read store. */
async function logOrderBuild(events: string, path: string) {
  const store = new SqliteEventStore({ path: events });
  const read = new SqliteReadStore(path, { synchronous: 'normal' });
  await new ProjectionRunner(store, read, PROJECTIONS, { batchSize: 500 }).catchUp();
  await read.close();
  await store.close();
  return dump(path);
}

describe('the live runner catching up a far-behind read store', () => {
  let dir: string;
  /** The log, and a read store that folded its first half in log order. */
  let events: string;
  let halfway: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-live-'));
    events = join(dir, 'events.db');
    halfway = join(dir, 'halfway.db');
    const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
    const at = new Date('2026-01-01T00:00:00Z');
    await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, at);
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, at);
    const all = [...generateCompany({ contracts: CONTRACTS, seed: 7 })];
    const ingestor = new Ingestor(store);
    await ingestor.ingestAll(all.slice(0, Math.floor(all.length / 2)), { actor: 'test' });
    const read = new SqliteReadStore(halfway, { synchronous: 'normal' });
    await new ProjectionRunner(store, read, PROJECTIONS, { batchSize: 500 }).catchUp();
    await read.close();
    // Journals posted and the product mapping changed after the half-way read store, then the rest of the company.
    const erp = new SimulatedConnector();
    for (const period of ['2026-01', '2026-02']) await postingRun(store, { period, connector: erp, backoffMs: 1 });
    const fixed = CATALOGUE.map((p) => (p.sku === 'SUP-PREM' ? { ...p, convention: 'monthly' as const } : p));
    await publishMapping(store, 'products', { products: fixed, reason: 'SUP-PREM is monthly' }, at);
    await ingestor.ingestAll(all.slice(Math.floor(all.length / 2)), { actor: 'test' });
    await store.close();
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the log, so that a test may append to it. */
  const copyOfLog = (name: string): string => {
    const path = join(dir, `${name}-events.db`);
    copyFileSync(events, path);
    return path;
  };

  it('a read store half the log behind catches up stream by stream, then follows the log, as a log-order build', async () => {
    const log = copyOfLog('halfway');
    const path = join(dir, 'halfway-live.db');
    copyFileSync(halfway, path);
    const store = new SqliteEventStore({ path: log });
    const read = new SqliteReadStore(path);
    const phases: LivePhase[] = [];
    const live = new LiveRunner(store, read, PROJECTIONS, {
      batchSize: 500,
      deriveBudget: BUDGET,
      catchUpEvents: 100,
      onPhase: (phase) => phases.push(phase),
    });
    const running = live.run();
    await caughtUp(store, read);
    // Following now: a new contract reaches the read store through the log.
    const ingestor = new Ingestor(store);
    await ingestor.ingestAll([booking('LIVE-1')], { actor: 'test' });
    await caughtUp(store, read);
    await live.stop();
    await running;
    await read.close();
    await store.close();
    expect(phases).toEqual(['catching-up', 'following']);
    const reference = await logOrderBuild(log, join(dir, 'halfway-reference.db'));
    const docs = (reference['revenue-schedule'] as { docs: { key: string }[] }).docs.map((d) => d.key);
    expect(docs).toContain('LIVE-1');
    expect(await dump(path)).toEqual(reference);
  });

  it('below the threshold it follows the log from its checkpoint, with the same result', async () => {
    const path = join(dir, 'near-live.db');
    copyFileSync(halfway, path);
    const store = new SqliteEventStore({ path: events });
    const read = new SqliteReadStore(path);
    const phases: LivePhase[] = [];
    const live = new LiveRunner(store, read, PROJECTIONS, {
      batchSize: 500,
      deriveBudget: BUDGET,
      catchUpEvents: 1_000_000,
      onPhase: (phase) => phases.push(phase),
    });
    const running = live.run();
    await caughtUp(store, read);
    await live.stop();
    await running;
    await read.close();
    await store.close();
    expect(phases).toEqual(['following']);
    expect(await dump(path)).toEqual(await logOrderBuild(events, join(dir, 'near-reference.db')));
  });

  it('stopped in the middle of a catch-up of an empty read store, it resumes to the same read models', async () => {
    const path = join(dir, 'stopped.db');
    const store = new SqliteEventStore({ path: events });
    const options = { batchSize: 500, deriveBudget: BUDGET, catchUpEvents: 100, rebuildBatch: 300 };

    // The first run stops after its second stream-by-stream commit.
    const read = new SqliteReadStore(path);
    let commits = 0;
    let live: LiveRunner | null = null;
    let stopped: Promise<void> = Promise.resolve();
    const counting: ReadStore = new Proxy(read, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (key !== 'commit') return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return async (writes: Parameters<ReadStore['commit']>[0]) => {
          await target.commit(writes);
          const progress = writes[0]?.docs.get(PROGRESS_KEY);
          if (progress && 'doc' in progress && progress.doc !== null && ++commits === 2) stopped = live!.stop();
        };
      },
    });
    live = new LiveRunner(store, counting, PROJECTIONS, options);
    await live.run();
    await stopped;
    // Stopped mid-way: the active generations are still empty; those replayed stream by stream are building with
    // their progress, the others (replayed from the log after them) not started yet.
    expect(commits).toBe(2);
    const byStream = PROJECTIONS.filter((p) => p.documentsByStream !== undefined);
    expect(byStream.length).toBeGreaterThan(0);
    for (const p of PROJECTIONS) {
      const g = await read.generations(p.name);
      expect(await read.checkpoint({ projection: p.name, generation: g.active })).toBeNull();
      if (!byStream.includes(p)) continue;
      expect(g.building).not.toBeNull();
      expect(await read.get({ projection: p.name, generation: g.building! }, PROGRESS_KEY)).not.toBeNull();
    }
    await read.close();

    // The second run resumes the building generations and swaps them in.
    const again = new SqliteReadStore(path);
    const resumed = new LiveRunner(store, again, PROJECTIONS, options);
    const running = resumed.run();
    await caughtUp(store, again);
    await resumed.stop();
    await running;
    await again.close();
    await store.close();
    expect(await dump(path)).toEqual(await logOrderBuild(events, join(dir, 'stopped-reference.db')));
  });
});

describe('the live projections of the API', () => {
  it('run in a worker thread of their own, and the API reports their lag from the read store', async () => {
    const t = await startTestApp();
    try {
      expect(t.app.live?.where).toBe('worker');
      expect((await t.post([booking('W-1')])).counts.appended).toBe(1);
      let caught = false;
      while (!caught) {
        const lag = await t.call('GET', '/v1/projections', undefined, KEYS.reader);
        caught = (lag.body.projections as { caughtUp: boolean }[]).every((p) => p.caughtUp);
        if (!caught) await new Promise((r) => setTimeout(r, 20));
      }
      const schedule = await t.call('GET', '/v1/contracts/W-1/schedule', undefined, KEYS.reader);
      expect(schedule.status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
