// bench/graphql: latency of the audit reads through the real GraphQL endpoint — lineage(journalId), contract(id) with
// its schedule, trace(system, id) — on a store of >= 1,000,000 events under concurrent clients, beside the same read
// done directly in-process (the audit function, or the read store's documents): the ratio is what HTTP, GraphQL
// parsing, validation, limits and resolvers cost on top of the read itself.
//
// Setup: a copy of bench/rebuild's seeded store (BENCH_REBUILD_STORE, seeded there the same way when absent); one
// posting run for one period of one small legal entity so that journals exist; the read models built by a rebuild
// (what `revtrail rebuild` does) — all of it in a child process, so that the load generator's heap stays small. The
// server is the real app (buildApp + listen) in another child, projections off (the read models are caught up), so
// the load generator here does not share its event loop.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECTIONS } from '../projections/index.js';
import type { PostingStatusDoc } from '../projections/index.js';
import { buildApp } from '../src/app.js';
import { lineage, trace } from '../src/audit/index.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_LIMITS } from '../src/graphql/index.js';
import { hashKey } from '../src/auth/index.js';
import { SimulatedConnector, postingRun } from '../src/posting/index.js';
import { SqliteReadStore } from '../src/readmodel/index.js';
import { rebuild } from '../src/runner/index.js';
import { SqliteEventStore } from '../src/store/index.js';
import { seed } from './rebuild.js';

export interface GraphqlRow {
  query: string;
  /** Requests answered through GraphQL, and their latency under `clients` concurrent clients. */
  clients: number;
  requests: number;
  p50ms: number;
  p99ms: number;
  perSec: number;
  /** Mean response body size. */
  kib: number;
  /** The same read in-process, one at a time. */
  directP50ms: number;
  directP99ms: number;
  directPerSec: number;
}

export interface GraphqlBenchResult {
  events: number;
  contracts: number;
  journals: number;
  legalEntity: string;
  period: string;
  seconds: number;
  postSeconds: number;
  projectSeconds: number;
  /** False when the build measured has no `lineage` field (one without the audit queries): `journal(id)` stands in. */
  lineageInSchema: boolean;
  rows: GraphqlRow[];
}

export const KEY = 'bench-graphql-reader-0123456789';
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

const LINEAGE = `query ($id: ID!) { lineage(journalId: $id) {
  journal { journalId status erpDocumentId debit credit }
  prepared { eventId position }
  lines { index account role debit credit scheduleLine { obligation through recognisedToDate }
          sourceEvents { eventId position source { system id } } }
  sourceEvents { eventId type position }
  productMapping { version eventId } accountMapping { version eventId }
} }`;

const JOURNAL = `query ($id: ID!) { journal(id: $id) {
  id status erpDocumentId debit credit accounts { account amount } sourceEventIds
} }`;

export const CONTRACT = `query ($id: ID!) { contract(id: $id) {
  id status legalEntity currency versionInForce
  schedule { status transactionPrice mappingVersion periods { period amount cumulative } }
} }`;

const TRACE = `query ($system: String!, $id: String!) { trace(system: $system, id: $id) {
  events { eventId type position }
  contracts { contractId versions { version applied } scheduleChanges { period recognisedChange billedChange }
              journals { journal { journalId status erpDocumentId } eventIds } }
} }`;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * One request over `agent`, answered in full. node:http over keep-alive sockets, one per client: fetch's streams cost
 * the load generator several times the CPU per request, and its garbage collections showed up as server latency.
 * `headersFirst`: the body is sent only if no answer came within a second of the headers — a body over the server's
 * limit is answered 413 from its Content-Length and the connection closed, and a client still writing the body then
 * races that close (EPIPE or a reset instead of the answer).
 */
export function send(
  agent: Agent,
  target: URL,
  method: string,
  body?: string,
  headersFirst = false,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${KEY}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request(target, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        if (!req.writableEnded) req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!headersFirst) {
      req.end(body);
      return;
    }
    req.flushHeaders();
    const timer = setTimeout(() => req.end(body), 1000);
    req.once('response', () => clearTimeout(timer));
  });
}

/** `clients` loops posting the query until the deadline (each at least once); latencies in ms. */
async function load(
  url: string,
  query: string,
  variables: () => Record<string, unknown>,
  clients: number,
  seconds: number,
): Promise<{ latencies: number[]; wallMs: number; bytes: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const target = new URL(`${url}/graphql`);
  const post = (body: string) => send(agent, target, 'POST', body);
  const t0 = now();
  const deadline = t0 + seconds * 1000;
  const loop = async (): Promise<void> => {
    do {
      const payload = JSON.stringify({ query, variables: variables() });
      const start = now();
      const res = await post(payload);
      latencies.push(now() - start);
      const text = res.text;
      bytes += text.length;
      const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (res.status !== 200 || body.errors) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors)}`);
      const answer = body.data && Object.values(body.data)[0];
      if (answer === null || answer === undefined) throw new Error(`GraphQL answered null for ${query.slice(0, 40)}`);
    } while (now() < deadline);
  };
  await Promise.all(Array.from({ length: clients }, loop));
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), wallMs: now() - t0, bytes };
}

/** The read in-process, one at a time until the deadline (at least `min` times). */
async function direct(
  read: () => Promise<unknown>,
  seconds: number,
  min = 1,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  const t0 = now();
  const deadline = t0 + seconds * 1000;
  while (latencies.length < min || now() < deadline) {
    const start = now();
    const r = await read();
    latencies.push(now() - start);
    if (r === null || r === undefined) throw new Error('direct read found nothing');
  }
  return { latencies: latencies.sort((a, b) => a - b), wallMs: now() - t0 };
}

/** The child: the real app over the prepared store and read models, listening on a free port. */
async function serve(storePath: string, readPath: string, dir: string): Promise<void> {
  const config = loadConfig({
    REVTRAIL_STORE: storePath,
    REVTRAIL_READ_STORE: readPath,
    REVTRAIL_DATA_DIR: dir,
    REVTRAIL_PROJECTIONS: 'off',
    REVTRAIL_LOG_LEVEL: 'silent',
    REVTRAIL_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const app = await buildApp(config, { keys: [{ name: 'bench', scopes: ['read'], sha256: hashKey(KEY) }] });
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${url}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

/** What the preparing child is given (as one JSON argument). */
interface Preparation {
  /** The seeded store, seeded with `target` events when absent; never written. */
  seeded: string;
  target: number;
  /** The copy the posting run appends to, and the read store the projections are rebuilt into. */
  storePath: string;
  readPath: string;
  period: string;
  legalEntity: string;
}

/** The child: the seeded store copied, one posting run, every projection rebuilt. */
async function prepare({ seeded, target, storePath, readPath, period, legalEntity }: Preparation): Promise<void> {
  if (!existsSync(seeded)) await seed(seeded, target);
  copyFileSync(seeded, storePath);
  const store = new SqliteEventStore({ path: storePath, synchronous: 'normal' });
  const read = new SqliteReadStore(readPath, { synchronous: 'normal' });
  let t0 = now();
  process.stderr.write(`graphql bench: posting ${period} for ${legalEntity}\n`);
  await postingRun(store, { period, legalEntity, connector: new SimulatedConnector(), backoffMs: 1 });
  const postSeconds = (now() - t0) / 1000;
  t0 = now();
  process.stderr.write('graphql bench: building the read models\n');
  await rebuild(store, read, PROJECTIONS, { batchSize: 1_000_000 });
  const projectSeconds = (now() - t0) / 1000;
  await read.close();
  await store.close();
  process.stdout.write(`${JSON.stringify({ postSeconds, projectSeconds })}\n`);
}

async function prepareInChild(preparation: Preparation): Promise<{ postSeconds: number; projectSeconds: number }> {
  const p = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--prepare', JSON.stringify(preparation)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let text = '';
  p.stdout.on('data', (c: Buffer) => (text += c.toString()));
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  if (code !== 0) throw new Error(`graphql bench: preparing the store exited with ${code}`);
  return JSON.parse(text.trim()) as { postSeconds: number; projectSeconds: number };
}

async function startServer(
  storePath: string,
  readPath: string,
  dir: string,
): Promise<{ url: string; p: ChildProcess }> {
  const p = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve', storePath, readPath, dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    p.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      const line = text.split('\n').find((l) => l.startsWith('http'));
      if (line) resolve(line.trim());
    });
    p.on('exit', (code) => reject(new Error(`graphql server exited with ${code}`)));
  });
  return { url, p };
}

/** A document built to make GraphQL work out of proportion to its size, and the refusal it must get. */
interface Abuse {
  query: string;
  body: string;
  status: number;
  code: string | null;
}

const repeat = (n: number, selection: (i: number) => string): string =>
  `{ ${Array.from({ length: n }, (_, i) => selection(i)).join(' ')} }`;

function abuses(): Abuse[] {
  const fanOut = (n: number): string =>
    `query { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} ` +
    `fragment F${n} on Query { __typename }`;
  const cases: [string, string, number, string | null][] = [
    [
      'an ordinary query (a page of 20 contracts), for comparison',
      '{ contracts { edges { node { id status } } } }',
      200,
      null,
    ],
    ['22 fragments, each spreading the next twice', fanOut(22), 400, 'TOO_MANY_FIELDS'],
    ['24 fragments, each spreading the next twice', fanOut(24), 400, 'TOO_MANY_FIELDS'],
    ['300,000 `__typename` aliases', repeat(300_000, (i) => `a${i}: __typename`), 413, 'QUERY_TOO_LARGE'],
    [
      '20,000 `contract(id)` aliases',
      repeat(20_000, (i) => `c${i}: contract(id: "C-${i}") { id }`),
      413,
      'QUERY_TOO_LARGE',
    ],
    [
      '3,000 `__typename` aliases (within the body limit)',
      repeat(3_000, (i) => `a${i}: __typename`),
      400,
      'QUERY_TOO_LARGE',
    ],
    [
      '20 `revenueWaterfall` aliases',
      repeat(20, (i) => `r${i}: revenueWaterfall(legalEntity: "US01", from: "2026-01", to: "2026-12") { contracts }`),
      400,
      'QUERY_TOO_COSTLY',
    ],
    [
      '2,000 levels of nesting',
      `{${'contract(id: "x") {'.repeat(2_000)} id ${'}'.repeat(2_000)}}`,
      400,
      'QUERY_TOO_DEEP',
    ],
  ];
  return cases.map(([query, text, status, code]) => ({ query, body: JSON.stringify({ query: text }), status, code }));
}

/**
 * Sends an abusive document and checks that it got its refusal (an ordinary one: its answer); latency in ms. A body
 * over the limit goes headers first (see `send`).
 */
async function abuseOnce(agent: Agent, target: URL, abuse: Abuse): Promise<number> {
  const start = now();
  const res = await send(
    agent,
    target,
    'POST',
    abuse.body,
    Buffer.byteLength(abuse.body) > DEFAULT_LIMITS.maxBodyBytes,
  );
  const ms = now() - start;
  const body = JSON.parse(res.text) as { errors?: { extensions?: { code?: string } }[] };
  const code = body.errors?.[0]?.extensions?.code ?? null;
  if (res.status !== abuse.status || code !== abuse.code)
    throw new Error(`${abuse.query}: answered ${res.status} ${code}, expected ${abuse.status} ${abuse.code}`);
  return ms;
}

/**
 * The child: one client sending the abusive documents in turn (from the `offset`-th) until SIGTERM, then printing how
 * many were refused. In a child, so that its garbage collections do not count as /health latency here.
 */
async function abuser(url: string, offset: number): Promise<void> {
  const cases = abuses().filter((a) => a.code !== null);
  let refused = 0;
  process.on('SIGTERM', () => {
    process.stdout.write(`${refused}\n`);
    process.exit(0);
  });
  process.stdout.write('ready\n');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = offset; ; i++) {
    await abuseOnce(agent, new URL(`${url}/graphql`), cases[i % cases.length]!);
    refused++;
  }
}

/** Starts an abuser child; resolves once it sends; `stop()` ends it and resolves to what it refused. */
async function startAbuser(url: string, offset: number): Promise<{ stop(): Promise<number> }> {
  const p = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--abuse', url, `${offset}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let text = '';
  p.stdout.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', () => text.startsWith('ready') && resolve());
    void exited.then((code) => reject(new Error(`abuser exited with ${code}`)));
  });
  return {
    async stop() {
      p.kill('SIGTERM');
      if ((await exited) !== 0) throw new Error('abuser failed');
      return Number(text.split('\n')[1]);
    },
  };
}

export interface AbuseRow {
  query: string;
  kib: number;
  status: number;
  code: string | null;
  requests: number;
  p50ms: number;
  maxMs: number;
}

export interface HealthRow {
  load: string;
  requests: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /** Abusive documents refused meanwhile, per second. */
  abusivePerSec: number;
}

export interface GraphqlAbuseResult {
  repeat: number;
  seconds: number;
  abusers: number;
  rows: AbuseRow[];
  health: HealthRow[];
}

/** GET /health, one at a time, until `stop()` says so (at least once); latencies in ms. */
async function healthLoop(url: string, stop: () => boolean): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/health`);
  const latencies: number[] = [];
  do {
    const start = now();
    const res = await send(agent, target, 'GET');
    latencies.push(now() - start);
    if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  } while (!stop());
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

/**
 * The abusive documents against the real app over an empty store (they are refused before anything is read, so the
 * store's size does not matter): each sent `repeat` times one at a time, then /health's latency for `seconds` idle
 * and for `seconds` while `abusers` clients send them in a loop.
 */
export async function benchGraphqlAbuse(): Promise<GraphqlAbuseResult> {
  const repeatCount = Number(process.env.BENCH_GRAPHQL_ABUSE_REPEAT ?? 50);
  const seconds = Number(process.env.BENCH_GRAPHQL_ABUSE_SECONDS ?? 15);
  const abusers = Number(process.env.BENCH_GRAPHQL_ABUSERS ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-graphql-abuse-'));
  let server: ChildProcess | null = null;
  try {
    const started = await startServer(join(dir, 'events.db'), join(dir, 'read.db'), dir);
    server = started.p;
    const target = new URL(`${started.url}/graphql`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const rows: AbuseRow[] = [];
    for (const abuse of abuses()) {
      process.stderr.write(`graphql abuse bench: ${abuse.query}\n`);
      for (let i = 0; i < 3; i++) await abuseOnce(agent, target, abuse); // warm-up
      const latencies: number[] = [];
      for (let i = 0; i < repeatCount; i++) latencies.push(await abuseOnce(agent, target, abuse));
      latencies.sort((a, b) => a - b);
      rows.push({
        query: abuse.query,
        kib: Buffer.byteLength(abuse.body) / 1024,
        status: abuse.status,
        code: abuse.code,
        requests: latencies.length,
        p50ms: percentile(latencies, 50),
        maxMs: latencies[latencies.length - 1]!,
      });
    }
    const health: HealthRow[] = [];
    const measure = async (load: string, abuserCount: number): Promise<void> => {
      process.stderr.write(`graphql abuse bench: /health, ${load}\n`);
      const running = await Promise.all(Array.from({ length: abuserCount }, (_, k) => startAbuser(started.url, k * 3)));
      const t0 = now();
      const latencies = await healthLoop(started.url, () => now() >= t0 + seconds * 1000);
      const wallMs = now() - t0;
      const refused = (await Promise.all(running.map((a) => a.stop()))).reduce((x, y) => x + y, 0);
      health.push({
        load,
        requests: latencies.length,
        p50ms: percentile(latencies, 50),
        p99ms: percentile(latencies, 99),
        maxMs: latencies[latencies.length - 1]!,
        abusivePerSec: (refused / wallMs) * 1000,
      });
    };
    await measure('idle', 0);
    await measure(`${abusers} clients sending the abusive documents in a loop`, abusers);
    agent.destroy();
    return { repeat: repeatCount, seconds, abusers, rows, health };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGraphql(target: number): Promise<GraphqlBenchResult> {
  // The first count is the load every query is measured under; the others (one client: latency without queueing)
  // only for the quick reads, since trace scans the log.
  const clientCounts = (process.env.BENCH_GRAPHQL_CLIENTS ?? '8,1').split(',').map(Number);
  const seconds = Number(process.env.BENCH_GRAPHQL_SECONDS ?? 15);
  const legalEntity = process.env.BENCH_GRAPHQL_ENTITY ?? 'BH01';
  const period = process.env.BENCH_GRAPHQL_PERIOD ?? '2026-06';
  const keep = process.env.BENCH_REBUILD_STORE;
  // A folder that keeps the prepared store and read models between runs (for profiling one query again and again).
  const prepared = process.env.BENCH_GRAPHQL_PREPARED;
  const only = process.env.BENCH_GRAPHQL_QUERIES?.split(',');
  const dir = prepared ?? mkdtempSync(join(tmpdir(), 'revtrail-bench-graphql-'));
  const storePath = join(dir, 'events.db');
  const readPath = join(dir, 'read.db');
  const marker = join(dir, 'prepared.json');
  let server: ChildProcess | null = null;
  try {
    // The seeded store is reused, never written: the posting run appends to a copy.
    const seeded = keep ?? join(dir, 'seeded.db');
    // In a child, so that this process — the load generator, whose clock measures every request — starts the
    // measurements with a small heap instead of the rebuild's (its garbage collections would count as latency).
    let timings: { postSeconds: number; projectSeconds: number };
    if (prepared !== undefined && existsSync(marker)) {
      timings = JSON.parse(readFileSync(marker, 'utf8')) as typeof timings;
    } else {
      mkdirSync(dir, { recursive: true });
      timings = await prepareInChild({ seeded, target, storePath, readPath, period, legalEntity });
      if (prepared !== undefined) writeFileSync(marker, JSON.stringify(timings));
    }
    const { postSeconds, projectSeconds } = timings;
    const store = new SqliteEventStore({ path: storePath, synchronous: 'normal' });
    const read = new SqliteReadStore(readPath, { synchronous: 'normal' });
    const events = (await store.countAfter(null)) ?? 0;
    const contracts = await read.count('contract-versions');

    // What the clients ask for: the posted journals, a sample of contracts, the invoices of the posted contracts.
    const posted = await read.keysByTag('posting-status', ['journal-status:posted']);
    const docs = await read.getMany('posting-status', posted);
    const journals = [...docs.values()].flatMap((d) => (d as PostingStatusDoc).journals.map((j) => j.journalId));
    const sample = (await read.list('contract-versions', { limit: 100_000 })).map((r) => r.key);
    const sources: { system: string; id: string }[] = [];
    for (const contractId of posted.slice(0, 200)) {
      for await (const e of store.readStream(`contract-${contractId}`)) {
        const s = e.metadata.source;
        if (e.type === 'InvoiceIssued' && s) sources.push({ system: s.system, id: s.id });
      }
    }
    if (journals.length === 0 || sources.length === 0) throw new Error('the posting run posted nothing to look up');

    const started = await startServer(storePath, readPath, dir);
    server = started.p;
    const url = started.url;
    const introspect = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: '{ __type(name: "Query") { fields { name } } }' }),
    });
    const fields = new Set(
      ((await introspect.json()) as { data: { __type: { fields: { name: string }[] } } }).data.__type.fields.map(
        (f) => f.name,
      ),
    );
    const lineageInSchema = fields.has('lineage');
    const deps = { store, read };
    const cases = [
      lineageInSchema
        ? {
            query: 'lineage(journalId)',
            quick: true,
            gql: LINEAGE,
            vars: () => ({ id: pick(journals) }),
            direct: () => lineage(deps, pick(journals)),
          }
        : {
            query: 'journal(id) (lineage not in the schema yet)',
            quick: true,
            gql: JOURNAL,
            vars: () => ({ id: pick(journals) }),
            direct: async () => {
              const id = pick(journals);
              const [key] = await read.keysByTag('posting-status', [`journal:${id}`]);
              return ((await read.get('posting-status', key!)) as PostingStatusDoc).journals.find(
                (j) => j.journalId === id,
              );
            },
          },
      {
        query: 'contract(id) { schedule }',
        quick: true,
        gql: CONTRACT,
        vars: () => ({ id: pick(sample) }),
        direct: async () => {
          const id = pick(sample);
          const [versions, schedule] = await Promise.all([
            read.get('contract-versions', id),
            read.get('revenue-schedule', id),
          ]);
          return versions && schedule;
        },
      },
      ...(fields.has('trace')
        ? [
            {
              query: 'trace(system, id)',
              quick: false,
              gql: TRACE,
              vars: () => pick(sources),
              direct: () => {
                const s = pick(sources);
                return trace(deps, s.system, s.id);
              },
            },
          ]
        : []),
    ];

    const rows: GraphqlRow[] = [];
    for (const c of cases.filter((x) => !only || only.some((q) => x.query.startsWith(q)))) {
      process.stderr.write(`graphql bench: ${c.query}\n`);
      await direct(c.direct, Math.min(2, seconds)); // warm-up
      const d = await direct(c.direct, seconds / 2, 3);
      for (const clients of c.quick ? clientCounts : clientCounts.slice(0, 1)) {
        await load(url, c.gql, c.vars, clients, Math.min(2, seconds)); // warm-up
        const g = await load(url, c.gql, c.vars, clients, seconds);
        rows.push({
          query: c.query,
          clients,
          requests: g.latencies.length,
          p50ms: percentile(g.latencies, 50),
          p99ms: percentile(g.latencies, 99),
          perSec: (g.latencies.length / g.wallMs) * 1000,
          kib: g.bytes / g.latencies.length / 1024,
          directP50ms: percentile(d.latencies, 50),
          directP99ms: percentile(d.latencies, 99),
          directPerSec: (d.latencies.length / d.wallMs) * 1000,
        });
      }
    }
    await read.close();
    await store.close();
    return {
      events,
      contracts,
      journals: journals.length,
      legalEntity,
      period,
      seconds,
      postSeconds,
      projectSeconds,
      lineageInSchema,
      rows,
    };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (prepared === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!, process.argv[4]!, process.argv[5]!);
if (process.argv[2] === '--prepare') await prepare(JSON.parse(process.argv[3]!) as Preparation);
if (process.argv[2] === '--abuse') await abuser(process.argv[3]!, Number(process.argv[4]));
