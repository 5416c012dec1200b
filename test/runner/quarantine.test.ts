// Quarantine: a document its projection cannot fold or derive is marked PROJECTION_FAILED (error, event position) and
// the runner goes on with every other document, live and in each rebuild path alike; a restart after kill -9 reaches
// the head; a rebuild with the cause fixed clears the mark.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revenueSchedule } from '../../projections/index.js';
import type { Projection } from '../../projections/index.js';
import { publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { ProjectionRunner, QUARANTINE_TAG, rebuild } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { comparePositions, formatPosition } from '../../schemas/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import { CLI, run, startService, stop } from '../support/cli.js';
import { PLATFORM_LINE, booking, invoice } from '../support/fixtures.js';

/** Counts each contract's events; the broken version throws on every invoice of `C-2`. */
const counting = (broken: boolean, byStream: boolean): Projection => ({
  name: 'count',
  filter: { streamPrefixes: ['contract-'] },
  ...(byStream ? { documentsByStream: 'contract-' } : {}),
  keyOf: (e) => e.data.contractId as string,
  initial: () => ({ n: 0 }),
  evolve: (doc, e) => {
    if (broken && e.data.contractId === 'C-2' && e.type === 'InvoiceIssued')
      throw new Error('cannot fold this invoice');
    return { n: (doc.n as number) + 1 };
  },
});

const PRODUCTS = {
  reason: 'catalogue',
  products: [{ sku: 'PLATFORM', pattern: 'ratable' as const, ssp: '1200.00', accounts: { revenue: '4000' } }],
};

describe('quarantine', () => {
  let dir: string;
  let store: SqliteEventStore;
  let read: SqliteReadStore;
  let ingestor: Ingestor;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-quarantine-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
    read = new SqliteReadStore(join(dir, 'read.db'));
    ingestor = new Ingestor(store);
  });
  afterEach(async () => {
    await read.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const contracts = async (ids: number[], invoices: number) => {
    const events = [];
    for (const c of ids) {
      events.push(booking(`C-${c}`));
      for (let i = 0; i < invoices; i++) events.push(invoice(`C-${c}`, `INV-${c}-${i}`));
    }
    await ingestor.ingest(events, { actor: 'test' });
  };

  const positionsOf = async (streamId: string): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    for await (const e of store.readStream(streamId)) out.push(e);
    return out;
  };

  it('a fold that throws for one contract marks it PROJECTION_FAILED at the event and the runner goes on', async () => {
    await contracts([0, 1, 2, 3, 4], 2);
    const runner = new ProjectionRunner(store, read, counting(true, false), { batchSize: 4 });
    expect(await runner.catchUp()).toBe(15);
    const c2 = await positionsOf('contract-C-2');
    for (const c of [0, 1, 3, 4]) expect(await read.get('count', `C-${c}`)).toEqual({ n: 3 });
    expect(await read.get('count', 'C-2')).toEqual({
      n: 0,
      quarantine: {
        code: 'PROJECTION_FAILED',
        stage: 'evolve',
        message: 'cannot fold this invoice',
        position: formatPosition(c2[1]!.position),
        eventId: c2[1]!.eventId,
        eventType: 'InvoiceIssued',
        laterEvents: 1,
        later: [formatPosition(c2[2]!.position)],
      },
    });
    expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual(['C-2']);
    const [status] = await runner.status();
    expect(status).toMatchObject({ caughtUp: true, eventsBehind: 0, quarantined: 1 });

    // Live: later events of the quarantined contract are recorded, not folded; the others go on.
    const live = runner.run();
    await ingestor.ingest([invoice('C-2', 'INV-2-9'), booking('C-5')], { actor: 'test' });
    for (let i = 0; i < 200 && (await read.get('count', 'C-5')) === null; i++)
      await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    await live;
    expect(await read.get('count', 'C-5')).toEqual({ n: 1 });
    expect(await read.get('count', 'C-2')).toMatchObject({ n: 0, quarantine: { laterEvents: 2 } });
  });

  for (const byStream of [true, false])
    it(`a rebuild (${byStream ? 'stream by stream' : 'in log order'}) quarantines as the live runner did, and with the fold fixed clears the mark`, async () => {
      await contracts([0, 1, 2, 3], 2);
      await new ProjectionRunner(store, read, counting(true, byStream), { batchSize: 3 }).catchUp();
      const live = await read.list('count');
      expect(await rebuild(store, read, [counting(true, byStream)], { workers: 0 })).toMatchObject({ activated: true });
      expect(await read.list('count')).toEqual(live);
      expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual(['C-2']);

      await rebuild(store, read, [counting(false, byStream)], { workers: 0 });
      expect(await read.get('count', 'C-2')).toEqual({ n: 3 });
      expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual([]);
      expect((await new ProjectionRunner(store, read, counting(false, byStream)).status())[0]).toMatchObject({
        quarantined: 0,
      });
    });

  describe('the revenue schedule over its derivation budget', () => {
    // A one-year ratable line takes 24 steps (12 months, one phase); the long contract's eight years take 192.
    const BUDGET = { maxSteps: 100 };
    const LONG = { ...PLATFORM_LINE, serviceEnd: '2033-12-31' };
    /** The same projection without the stream-by-stream replay, so a rebuild derives in the log-order path. */
    const logOrder = { ...revenueSchedule, name: 'revenue-schedule-log-order', documentsByStream: undefined };

    beforeEach(async () => {
      await publishMapping(store, 'products', PRODUCTS, new Date(0));
      await ingestor.ingest([booking('C-1'), booking('C-LONG', [LONG]), invoice('C-1', 'INV-1')], { actor: 'test' });
    });

    it('an ordinary contract over a low budget is quarantined with the engine’s error; the others are scheduled', async () => {
      const runner = new ProjectionRunner(store, read, [revenueSchedule, logOrder], {
        batchSize: 2,
        deriveBudget: BUDGET,
      });
      await runner.catchUp();
      const [booked] = await positionsOf('contract-C-LONG');
      expect(await read.get('revenue-schedule', 'C-1')).toMatchObject({ schedule: { status: 'ok' } });
      const long = await read.get('revenue-schedule', 'C-LONG');
      expect(long).toMatchObject({
        // Facts are sequenced where the schedule is derived: a document whose derivation failed holds them as folded.
        contractId: 'C-LONG',
        schedule: null,
        quarantine: {
          code: 'PROJECTION_FAILED',
          stage: 'derive',
          position: formatPosition(booked!.position),
          message: 'the schedule needs 192 steps (96 months) and the derivation budget allows 100',
        },
      });
      expect(await read.keysByTag('revenue-schedule', ['exception:PROJECTION_FAILED'])).toEqual(['C-LONG']);
      expect((await runner.status()).map((s) => [s.projection, s.caughtUp, s.quarantined])).toEqual([
        ['revenue-schedule', true, 1],
        ['revenue-schedule-log-order', true, 1],
      ]);

      // A later event of the contract keeps folding its facts, and the mark moves to it.
      await ingestor.ingest([invoice('C-LONG', 'INV-L')], { actor: 'test' });
      await runner.catchUp();
      const [, invoiced] = await positionsOf('contract-C-LONG');
      expect(await read.get('revenue-schedule', 'C-LONG')).toMatchObject({
        eventCount: 2,
        quarantine: { stage: 'derive', position: formatPosition(invoiced!.position) },
      });

      // Each rebuild path marks the same documents the same way.
      const live = { stream: await read.list('revenue-schedule'), log: await read.list(logOrder.name) };
      await rebuild(store, read, [revenueSchedule, logOrder], { workers: 0, deriveBudget: BUDGET });
      expect(await read.list('revenue-schedule')).toEqual(live.stream);
      expect(await read.list(logOrder.name)).toEqual(live.log);

      // A budget the contract fits: the rebuild clears the mark.
      await rebuild(store, read, [revenueSchedule, logOrder], { workers: 0 });
      for (const name of ['revenue-schedule', logOrder.name]) {
        const doc = await read.get(name, 'C-LONG');
        expect(doc).toMatchObject({ schedule: { status: 'ok' } });
        expect(doc).not.toHaveProperty('quarantine');
        expect(await read.keysByTag(name, [QUARANTINE_TAG])).toEqual([]);
      }
    });
  });

  it(
    'a service killed with SIGKILL restarts past a quarantined contract and reaches the head',
    { timeout: 240_000 },
    async () => {
      // The store: 3,000 contracts, one of them (in the middle) over the derivation budget the service runs with.
      await publishMapping(store, 'products', PRODUCTS, new Date(0));
      const events = [];
      for (let c = 0; c < 3000; c++) {
        const id = c === 1500 ? 'C-LONG' : `C-${c}`;
        events.push(id === 'C-LONG' ? booking(id, [{ ...PLATFORM_LINE, serviceEnd: '2033-12-31' }]) : booking(id));
        for (let i = 0; i < 4; i++) events.push(invoice(id, `INV-${c}-${i}`));
      }
      await ingestor.ingestAll(events, { actor: 'test' });
      const head = (await store.headPosition())!;
      const readPath = join(dir, 'read-live.db');
      const env = {
        REVTRAIL_STORE: join(dir, 'events.db'),
        REVTRAIL_READ_STORE: readPath,
        REVTRAIL_DATA_DIR: dir,
        REVTRAIL_DEMO_CONTRACTS: '0',
        REVTRAIL_RUNNER_BATCH: '20',
        REVTRAIL_SQLITE_SYNC: 'full',
        REVTRAIL_DERIVE_BUDGET: '100',
      };
      // Read-only and without the read store's schema setup, so polling never waits on the service's writes.
      const checkpoint = async () => {
        if (!existsSync(readPath)) return null;
        const db = new Database(readPath, { readonly: true });
        try {
          const row = db
            .prepare("SELECT commit_pos, prepare_pos FROM read_checkpoints WHERE ns = 'revenue-schedule@1'")
            .safeIntegers(true)
            .get() as { commit_pos: bigint; prepare_pos: bigint } | undefined;
          return row ? { commit: row.commit_pos, prepare: row.prepare_pos } : null;
        } catch {
          return null; // not created yet
        } finally {
          db.close();
        }
      };
      // Spawned without waiting for it to listen: the catch-up may run before the listening line is written.
      const first = spawn(process.execPath, [CLI, 'start'], {
        env: { ...process.env, REVTRAIL_PORT: '0', REVTRAIL_HOST: '127.0.0.1', ...env },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((r) => first.once('exit', (_c, signal) => r(signal)));
      for (let i = 0; i < 20_000 && (await checkpoint()) === null; i++) await new Promise((r) => setTimeout(r, 2));
      first.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const atKill = await checkpoint();
      expect(atKill).not.toBeNull();
      expect(comparePositions(atKill!, head)).toBe(-1); // killed before the end of the log

      const again = await startService(env);
      let lag: { projections: { caughtUp: boolean }[] } = { projections: [] };
      try {
        for (let i = 0; i < 1200; i++) {
          lag = (await (await fetch(`${again.url}/health`)).json()) as typeof lag;
          if (lag.projections.every((p) => p.caughtUp)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        expect(await stop(again.child)).toBe(0);
      }
      expect(lag.projections.map((p) => p.caughtUp)).toEqual([true, true, true, true, true]);
      const live = new SqliteReadStore(readPath);
      try {
        expect(await live.checkpoint('revenue-schedule')).toEqual(head);
        expect(await live.keysByTag('revenue-schedule', [QUARANTINE_TAG])).toEqual(['C-LONG']);
        expect(await live.get('revenue-schedule', 'C-LONG')).toMatchObject({
          quarantine: { code: 'PROJECTION_FAILED', stage: 'derive' },
        });
        expect(await live.get('revenue-schedule', 'C-2999')).toMatchObject({ schedule: { status: 'ok' } });
        // The same read model as an uninterrupted `revtrail project` with the same budget.
        const cleanPath = join(dir, 'read-clean.db');
        expect((await run(['project'], { ...env, REVTRAIL_READ_STORE: cleanPath })).code).toBe(0);
        const clean = new SqliteReadStore(cleanPath);
        try {
          expect(await live.list('revenue-schedule')).toEqual(await clean.list('revenue-schedule'));
        } finally {
          await clean.close();
        }
      } finally {
        await live.close();
      }
    },
  );

  it('a quarantined contract shows in GraphQL exceptions and in /v1/projections', async () => {
    const t = await startTestApp({ REVTRAIL_DERIVE_BUDGET: '100' });
    try {
      await publishMapping(t.app.store, 'products', PRODUCTS, new Date(0));
      await t.post([booking('C-1'), booking('C-LONG', [{ ...PLATFORM_LINE, serviceEnd: '2033-12-31' }])]);
      let status: { projection: string; caughtUp: boolean; quarantined: number }[] = [];
      for (let i = 0; i < 400; i++) {
        status = (await t.call('GET', '/v1/projections', undefined, KEYS.reader)).body.projections as typeof status;
        if (status.every((p) => p.caughtUp)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(status.map((p) => [p.projection, p.caughtUp, p.quarantined])).toEqual([
        ['contract-versions', true, 0],
        ['revenue-schedule', true, 1],
        ['posting-status', true, 0],
        ['lineage-index', true, 0],
        ['exceptions', true, 0],
      ]);
      const query = '{ exceptions(kind: "PROJECTION_FAILED") { contractId source code message } }';
      const all = '{ exceptions { contractId code } }';
      const [one, every] = (await Promise.all(
        [query, all].map((q) => t.call('POST', '/graphql', { query: q }, KEYS.reader)),
      )) as [Awaited<ReturnType<typeof t.call>>, Awaited<ReturnType<typeof t.call>>];
      const [booked] = await (async () => {
        const out: RecordedEvent[] = [];
        for await (const e of t.app.store.readStream('contract-C-LONG')) out.push(e);
        return out;
      })();
      expect(one.body).toEqual({
        data: {
          exceptions: [
            {
              contractId: 'C-LONG',
              source: 'schedule',
              code: 'PROJECTION_FAILED',
              message: `the schedule needs 192 steps (96 months) and the derivation budget allows 100 (derive at position ${formatPosition(booked!.position)})`,
            },
          ],
        },
      });
      expect(every.body.data.exceptions).toContainEqual({ contractId: 'C-LONG', code: 'PROJECTION_FAILED' });
    } finally {
      await t.close();
    }
  });
});
