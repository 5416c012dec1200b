// The scaled deployment in miniature, with real processes: two API nodes (REVTRAIL_PROJECTIONS=off) take a company's
// events concurrently while two partitioned projection workers (`revtrail project --follow --partition i/2`) keep the
// read models; a product mapping is fixed half-way; one worker is killed with SIGKILL in the middle of a batch (folded,
// not committed) and started again. Once both workers report the log's head, the read models equal a single-process
// `revtrail rebuild` of the same log into a fresh read store, document for document and tag for tag. Over EventStoreDB
// (the in-repo gRPC test server) with PostgreSQL, and over the embedded SQLite store and read store.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { openStore } from '../../src/store/index.js';
import { CLI, run, startService, stop } from '../support/cli.js';
import type { Started } from '../support/cli.js';
import { dumpReadStore } from '../support/dump.js';
import { startEsdbTestServer } from '../support/esdb-server.js';
import type { EsdbTestServer } from '../support/esdb-server.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

const CONTRACTS = 30;
const KEY = 'workers-test-ingest-key';
const API_KEYS = JSON.stringify([{ name: 'ingest', scopes: ['ingest', 'read', 'admin'], key: KEY }]);

interface Worker {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts `revtrail project --follow --partition <partition>` and resolves on its ready line. */
function startWorker(partition: string, env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, [CLI, 'project', '--follow', '--partition', partition], {
    env: { ...process.env, REVTRAIL_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (!line) return;
      const ready = JSON.parse(line) as { port: number; partition: string };
      expect(ready.partition).toBe(partition);
      resolve({ child, port: ready.port, exited, output: () => out });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker ${partition} exited (${code ?? signal}):\n${out}`)),
    );
  });
}

interface WorkerHealth {
  status: string;
  phase: string;
  partition: string;
  caughtUp: boolean;
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => null);
    if (found !== null) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const health = async (port: number): Promise<WorkerHealth> =>
  (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as WorkerHealth;

/** Posts events in batches through one API node, one request after another. */
async function ingest(api: Started, events: readonly unknown[]): Promise<void> {
  for (let i = 0; i < events.length; i += 40) {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: events.slice(i, i + 40) }),
    });
    expect(res.status).toBe(200);
  }
}

/**
 * The whole scenario over the log `storeLocation` and the read stores `readStore` (the workers') and `reference`
 * (fresh, for the single-process rebuild).
 */
async function scenario(dir: string, storeLocation: string, readStore: string, reference: string): Promise<void> {
  const env = { REVTRAIL_STORE: storeLocation, REVTRAIL_READ_STORE: readStore, REVTRAIL_SQLITE_SYNC: 'normal' };
  const store = openStore(storeLocation, { synchronous: 'normal' });
  await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, new Date(0));
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date(0));
  const apiEnv = {
    ...env,
    REVTRAIL_PROJECTIONS: 'off',
    REVTRAIL_DEMO_CONTRACTS: '0',
    REVTRAIL_API_KEYS: API_KEYS,
    REVTRAIL_DATA_DIR: dir,
  };
  const apis = await Promise.all([startService(apiEnv), startService(apiEnv)]);
  const workerEnv = { ...env, REVTRAIL_RUNNER_BATCH: '25' };
  // Worker 1 kills itself (SIGKILL) once its 6th batch is folded, before it commits.
  const workers: Worker[] = await Promise.all([
    startWorker('0/2', workerEnv),
    startWorker('1/2', { ...workerEnv, REVTRAIL_TEST_DIE_AT_BATCH: '6' }),
  ]);
  try {
    // Each API node takes half the contracts, both at once; the mapping is fixed in the middle.
    const events = [...generateCompany({ contracts: CONTRACTS, seed: 5 })] as { contractId: string }[];
    const half = (n: number) => events.filter((e) => Number(e.contractId.replace(/\D/g, '')) % 2 === n);
    const [even, odd] = [half(0), half(1)];
    const part = (xs: typeof events, from: number, to: number) =>
      xs.slice(Math.floor(xs.length * from), Math.floor(xs.length * to));
    await Promise.all([ingest(apis[0], part(even, 0, 0.5)), ingest(apis[1], part(odd, 0, 0.5))]);
    const fixed = CATALOGUE.map((e) => (e.sku === 'PLAT-STD' ? { ...e, ssp: '1500.00' } : e));
    await publishMapping(store, 'products', { products: fixed, reason: 'ssp fix' }, new Date(0));
    const rest = Promise.all([ingest(apis[0], part(even, 0.5, 1)), ingest(apis[1], part(odd, 0.5, 1))]);

    expect(await workers[1]!.exited).toEqual({ code: null, signal: 'SIGKILL' });
    workers[1] = await startWorker('1/2', workerEnv);
    await rest;

    for (const w of workers)
      await until('a worker at the head', async () => ((await health(w.port)).caughtUp ? true : null));
    for (const w of workers) expect(await health(w.port)).toMatchObject({ status: 'ok', phase: 'following' });
    // Each worker serves its own metrics beside /health, labelled by role and partition, with the events it folded.
    for (const [i, w] of workers.entries()) {
      const text = await (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text();
      const folded = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('revtrail_projection_events_total{') &&
            ['projection="revenue-schedule"', 'role="worker"', `partition="${i}/2"`].every((label) =>
              l.includes(label),
            ),
        );
      expect(folded, text.slice(0, 2_000)).toBeDefined();
      expect(Number(folded!.split(' ').at(-1))).toBeGreaterThan(0);
    }
    // Worker 0 lifts the whole checkpoints to the workers' lowest: the API nodes see the read models caught up too.
    await until('the API nodes to see the read models caught up', async () => {
      const h = (await (await fetch(`${apis[0].url}/health`)).json()) as { projections: { caughtUp: boolean }[] };
      return h.projections.every((p) => p.caughtUp) ? true : null;
    });
    for (const w of workers) expect(await stop(w.child)).toBe(0);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(apis.map((a) => stop(a.child)));
    await store.close();
  }
  const rebuilt = await run(['rebuild'], { ...env, REVTRAIL_READ_STORE: reference });
  expect(rebuilt.code, rebuilt.stderr).toBe(0);
  const expected = await dumpReadStore(reference);
  expect((expected['revenue-schedule'] as { docs: unknown[] }).docs.length).toBe(CONTRACTS + 1); // + $products
  expect(await dumpReadStore(readStore)).toEqual(expected);
}

describe('two API nodes and two partitioned projection workers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-workers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('over EventStoreDB and PostgreSQL', () => {
    let esdb: EsdbTestServer;
    const databases: TestDatabase[] = [];
    beforeAll(async () => {
      esdb = await startEsdbTestServer();
      for (let i = 0; i < 2; i++) databases.push(await createTestDatabase(inject('postgres')));
    });
    afterAll(async () => {
      await Promise.all(databases.map((d) => d.drop()));
      await esdb.close();
    });

    it(
      'a worker killed mid-batch restarts, and the read models equal a single-process rebuild',
      { timeout: 300_000 },
      async () => {
        await scenario(dir, esdb.connectionString, databases[0]!.url, databases[1]!.url);
      },
    );
  });

  it('over the embedded SQLite store and read store the same holds', { timeout: 300_000 }, async () => {
    await scenario(dir, join(dir, 'events.db'), join(dir, 'read.db'), join(dir, 'reference.db'));
    // Three workers (or a single process) cannot go on from two workers' checkpoints: refused before anything runs.
    const env = { REVTRAIL_STORE: join(dir, 'events.db'), REVTRAIL_READ_STORE: join(dir, 'read.db') };
    for (const args of [['--follow', '--partition', '0/3'], []]) {
      const refused = await run(['project', ...args], { ...env, REVTRAIL_METRICS_PORT: '0' });
      expect(refused.code).toBe(6);
      expect(refused.stdout).toBe('');
      expect(JSON.parse(refused.stderr)).toMatchObject({ code: 'PARTITION_LAYOUT_CHANGED' });
    }
    const bad = await run(['project', '--follow', '--partition', '2/2'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--partition "2\/2": must be i\/N/);
  });
});
