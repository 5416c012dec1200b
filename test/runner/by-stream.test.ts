// The rebuild's stream-by-stream replay (src/runner/by-stream.ts) against the log-order fold it replaces: over a real
// SQLite store holding a company whose product mapping changes twice while contracts run and whose journals are
// prepared and posted part way through, the documents and their tags equal those the live runner folded in log
// order, and those the log-order rebuild gives; a replay stopped after a commit resumes to the same read models.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import type { Projection, RevenueScheduleDoc } from '../../projections/index.js';
import { contractVersions } from '../../projections/contract-versions.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { PROGRESS_KEY, ProjectionRunner, rebuild } from '../../src/runner/index.js';
import type { EventStore, ReadByStreamOptions } from '../../src/store/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';
import { dump } from '../support/dump.js';
import { PLATFORM_LINE, booking } from '../support/fixtures.js';

const CONTRACTS = 300;

/** The store with its `readByStream` replaced (undefined: none). */
function withReadByStream(store: SqliteEventStore, readByStream: EventStore['readByStream']): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'readByStream') return readByStream;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The same store without `readByStream`: a rebuild then replays the log in position order. */
const inLogOrder = (store: SqliteEventStore): EventStore => withReadByStream(store, undefined);

describe('rebuild stream by stream', () => {
  let dir: string;
  let events: string;
  let live: Awaited<ReturnType<typeof dump>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-by-stream-'));
    events = join(dir, 'events.db');
    const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
    const at = new Date('2026-01-01T00:00:00Z');
    await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, at);
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, at);
    const all = [...generateCompany({ contracts: CONTRACTS, seed: 5 })];
    const ingestor = new Ingestor(store);
    await ingestor.ingestAll(all.slice(0, Math.floor(all.length / 2)), { actor: 'test' });
    // Journals prepared and posted while contracts run, then the mapping fixed mid-log: premium support monthly.
    const erp = new SimulatedConnector();
    for (const period of ['2026-01', '2026-02', '2026-03', '2026-04'])
      await postingRun(store, { period, connector: erp, backoffMs: 1 });
    const fixed = CATALOGUE.map((p) => (p.sku === 'SUP-PREM' ? { ...p, convention: 'monthly' as const } : p));
    await publishMapping(store, 'products', { products: fixed, reason: 'SUP-PREM is monthly' }, at);
    await ingestor.ingestAll(all.slice(Math.floor(all.length / 2)), { actor: 'test' });
    // And once more at the very end, after every contract's last event: standard support's SSP.
    const repriced = fixed.map((p) => (p.sku === 'SUP-STD' ? { ...p, ssp: '7000.00' } : p));
    await publishMapping(store, 'products', { products: repriced, reason: 'SUP-STD SSP' }, at);
    await store.close();

    // The reference: the live runner folding the log in position order, deriving after every batch.
    const livePath = join(dir, 'live.db');
    const s = new SqliteEventStore({ path: events });
    const read = new SqliteReadStore(livePath, { synchronous: 'normal' });
    await new ProjectionRunner(s, read, PROJECTIONS, { batchSize: 500 }).catchUp();
    await read.close();
    await s.close();
    live = await dump(livePath);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the reference is not vacuous: journals, both mapping changes and amendments are in it', () => {
    const docs = (name: string) =>
      (live[name] as { docs: { key: string; doc: unknown }[] }).docs.filter((d) => !d.key.startsWith('$'));
    const schedules = docs('revenue-schedule').map((d) => d.doc as RevenueScheduleDoc);
    expect(schedules).toHaveLength(CONTRACTS);
    expect(schedules.filter((d) => d.facts.some((f) => f.type === 'ContractAmended')).length).toBeGreaterThan(30);
    const products = (live['revenue-schedule'] as { docs: { key: string; doc: { version: number } }[] }).docs.find(
      (d) => d.key === '$products',
    );
    expect(products?.doc.version).toBe(3);
    const journals = docs('posting-status').filter((d) => (d.doc as { journals: unknown[] }).journals.length > 0);
    expect(journals.length).toBeGreaterThan(25);
  });

  it('equals the live build, documents and tags, and so does the log-order rebuild', { timeout: 300_000 }, async () => {
    for (const [name, source] of [
      ['by-stream', (s: SqliteEventStore) => s],
      ['log-order', inLogOrder],
    ] as const) {
      const path = join(dir, `${name}.db`);
      const store = new SqliteEventStore({ path: events });
      const read = new SqliteReadStore(path, { synchronous: 'normal' });
      const report = await rebuild(source(store), read, PROJECTIONS, { batchSize: 5000 });
      expect(report.activated).toBe(true);
      await read.close();
      await store.close();
      expect(await dump(path), name).toEqual(live);
    }
  });

  it('`revtrail rebuild` folds in worker threads, and equals the live build too', { timeout: 300_000 }, async () => {
    const path = join(dir, 'cli.db');
    const out = await run(['rebuild'], {
      REVTRAIL_STORE: events,
      REVTRAIL_READ_STORE: path,
      REVTRAIL_REBUILD_BATCH: '2000',
    });
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout.trim().split('\n').pop()!) as { activated: boolean; workers: number };
    expect(report.activated).toBe(true);
    expect(report.workers).toBeGreaterThanOrEqual(2);
    expect(await dump(path)).toEqual(live);
  });

  it(
    'events appended while the replay runs, a mapping change among them, are caught up before the swap',
    { timeout: 300_000 },
    async () => {
      const path = join(dir, 'growing-events.db');
      copyFileSync(events, path);
      const store = new SqliteEventStore({ path });
      const late = [
        booking('LATE-1', [{ ...PLATFORM_LINE, sku: 'PLAT-ENT' }]),
        booking('LATE-2', [{ ...PLATFORM_LINE, sku: 'SUP-PREM', amount: '6000.00' }]),
      ];
      // Part way through the contract streams, new events land: two bookings, and premium support daily again.
      let appended = false;
      const growing = withReadByStream(store, async function* (options: ReadByStreamOptions) {
        let n = 0;
        for await (const e of store.readByStream(options)) {
          if (options.streamPrefix === 'contract-' && ++n === 5000) {
            await new Ingestor(store).ingest(late, { actor: 'test' });
            const products = { products: [...CATALOGUE], reason: 'SUP-PREM daily again' };
            await publishMapping(store, 'products', products, new Date('2026-06-01T00:00:00Z'));
            appended = true;
          }
          yield e;
        }
      });
      const readPath = join(dir, 'growing.db');
      const read = new SqliteReadStore(readPath, { synchronous: 'normal' });
      expect((await rebuild(growing, read, PROJECTIONS, { batchSize: 2000 })).activated).toBe(true);
      expect(appended).toBe(true);
      await read.close();

      const livePath = join(dir, 'growing-live.db');
      const liveRead = new SqliteReadStore(livePath, { synchronous: 'normal' });
      await new ProjectionRunner(store, liveRead, PROJECTIONS, { batchSize: 500 }).catchUp();
      await liveRead.close();
      await store.close();
      const rebuilt = await dump(readPath);
      expect(rebuilt).toEqual(await dump(livePath));
      const keys = (rebuilt['revenue-schedule'] as { docs: { key: string }[] }).docs.map((d) => d.key);
      expect(keys).toEqual(expect.arrayContaining(['LATE-1', 'LATE-2']));
    },
  );

  it(
    'a replay stopped after a commit resumes after its last stream to the same read models',
    { timeout: 300_000 },
    async () => {
      const path = join(dir, 'stopped.db');
      const store = new SqliteEventStore({ path: events });
      const read = new SqliteReadStore(path, { synchronous: 'normal' });
      let commits = 0;
      const stopped = rebuild(store, read, PROJECTIONS, {
        batchSize: 400,
        onProgress: (p) => {
          if (p.phase === 'replay' && ++commits === 5) throw new Error('stopped');
        },
      });
      await expect(stopped).rejects.toThrow('stopped');
      const building = await read.generations('revenue-schedule');
      expect(building.building).not.toBeNull();
      const target = { projection: 'revenue-schedule', generation: building.building! };
      const progress = (await read.get(target, PROGRESS_KEY)) as { ranges: { after: string | null }[] } | null;
      expect(progress?.ranges.some((r) => r.after?.startsWith('contract-'))).toBe(true);
      expect(await read.checkpoint(target)).toBeNull();
      // Streams up to the one named are written, the ones after it not yet.
      const keys = (await read.list(target, { limit: 10_000 })).map((d) => d.key).filter((k) => !k.startsWith('$'));
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThan(CONTRACTS);

      const report = await rebuild(store, read, PROJECTIONS, { batchSize: 400 });
      expect(report.activated).toBe(true);
      await read.close();
      await store.close();
      expect(await dump(path)).toEqual(live);
    },
  );

  it('refuses a projection that declares its documents by stream but folds two streams into one', async () => {
    // Every contract's events into one document, against the declaration: found within one commit and across commits.
    const merged: Projection = { ...contractVersions, name: 'merged', keyOf: () => 'all' };
    for (const batchSize of [1_000_000, 1]) {
      const store = new SqliteEventStore({ path: events });
      const read = new SqliteReadStore(join(dir, `merged-${batchSize}.db`), { synchronous: 'normal' });
      await expect(rebuild(store, read, [merged], { batchSize })).rejects.toThrow(
        'projection merged declares its documents by stream but all is fed by more than one',
      );
      const building = await read.generations('merged');
      expect(await read.checkpoint({ projection: 'merged', generation: building.building! })).toBeNull();
      await read.close();
      await store.close();
    }
  });
});
