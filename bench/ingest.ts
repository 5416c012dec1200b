// bench/ingest: POST /v1/events end to end — the service in a child process, this process as the load generator
// over keep-alive connections — beside the store's own append of the same events, grouped the same way
// (per batch, one appendMany with one request per contract), in the same run. The ratio is what validation, the contract command,
// HTTP and JSON cost on top of the store. `benchMetricsCost` runs the end-to-end part again with metrics off
// (REVTRAIL_METRICS=off) beside metrics on (the default), for what the instrumentation costs, as a ratio.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractStream, toStored } from '../commands/contract.js';
import { eventIdFor, idempotencyKey } from '../schemas/index.js';
import type { InboundEvent, ProposedEvent } from '../schemas/index.js';
import { generateCompany } from '../src/demo/index.js';
import { SqliteEventStore } from '../src/store/index.js';

export interface IngestBench {
  events: number;
  batches: number;
  httpPerSec: number;
  p50ms: number;
  p99ms: number;
  storePerSec: number;
  ratio: number;
  /**
   * The live projections' throughput while they work: events per second of the runner's busy time (folding, deriving
   * and writing committed batches; `revtrail_projection_busy_seconds_total`). NaN with metrics off.
   */
  projectionPerSec: number;
  /** Live projection throughput over HTTP ingest throughput: at 1.0 or more the runner has time to spare. */
  projectionRatio: number;
  /** The runner's busy time over the time from the first request until the projections were caught up. */
  busyShare: number;
  /** Events per second from the first request until every projection was caught up (the last batch included). */
  caughtUpPerSec: number;
  /** Seconds from the last answer until every projection was caught up. */
  drainSeconds: number;
  /** The most events any projection was behind, sampled every second while the requests were answered. */
  maxBehind: number;
  /**
   * Times the live projections fell far enough behind to catch up stream by stream during the run (that work is not
   * in the busy time, so with any the throughput while working is not measured: NaN).
   */
  catchUps: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

export function startService(
  dir: string,
  key: string,
  metrics: 'on' | 'off',
  projections: 'live' | 'off' = 'live',
  extraEnv: Record<string, string> = {},
): Promise<{ url: string; stop: () => Promise<void>; catchUps: () => number }> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start'], {
    env: {
      ...process.env,
      REVTRAIL_STORE: join(dir, 'service.db'),
      REVTRAIL_DATA_DIR: dir,
      REVTRAIL_PORT: '0',
      REVTRAIL_LOG_LEVEL: 'info',
      REVTRAIL_RATE_LIMIT_PER_MINUTE: '100000000',
      REVTRAIL_METRICS: metrics,
      REVTRAIL_PROJECTIONS: projections,
      ...extraEnv,
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'bench', scopes: ['ingest', 'read', 'metrics'], key }]),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        child.stdout.removeAllListeners('data');
        // Keep draining the request logs, counting the live projections' switches to the stream-by-stream catch-up
        // (whose work the runner's busy time does not count). A line may be split between chunks: keep the tail.
        let switches = 0;
        let tail = '';
        child.stdout.on('data', (chunk: Buffer) => {
          const lines = (tail + chunk.toString()).split('\n');
          tail = lines.pop()!;
          for (const line of lines) if (line.includes('catching up stream by stream')) switches++;
        });
        resolve({
          url: m[1]!,
          stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))),
          catchUps: () => switches,
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`service exited ${code}: ${out}`)));
  });
}

/**
 * The store's own append of the same events, grouped as the ingest path groups them: per batch, one appendMany with
 * one request per contract. Event objects are built before the clock starts.
 */
async function storeAppendOnce(path: string, batches: InboundEvent[][]): Promise<number> {
  const store = new SqliteEventStore({ path });
  const prepared = batches.map((batch) => {
    const groups = new Map<string, Map<string, ProposedEvent>>();
    for (const e of batch) {
      const s = toStored(e);
      const eventId = eventIdFor(idempotencyKey(e));
      const group = groups.get(e.contractId) ?? new Map<string, ProposedEvent>();
      group.set(eventId, {
        eventId,
        type: s.type,
        data: s.data,
        metadata: { schemaVersion: 1, source: e.source, receivedAt: '2026-11-25T00:00:00.000Z', actor: 'bench' },
      });
      groups.set(e.contractId, group);
    }
    return [...groups].map(([contractId, events]) => ({
      streamId: contractStream(contractId),
      events: [...events.values()],
    }));
  });
  const seen = new Set<string>();
  const t = now();
  for (const requests of prepared) {
    // Redelivered events (the generator's duplicates) are skipped here as ingestion would answer them `duplicate`.
    const fresh = requests
      .map((r) => ({ ...r, events: r.events.filter((e) => !seen.has(e.eventId)), expectedRevision: 'any' as const }))
      .filter((r) => r.events.length > 0);
    for (const r of fresh) for (const e of r.events) seen.add(e.eventId);
    await store.appendMany(fresh);
  }
  const ms = now() - t;
  await store.close();
  return ms;
}

/**
 * The store's own append, the median of three runs into fresh files: one run's fsyncs vary by a third from one
 * minute to the next on the same disk, and the ratios below divide by this figure.
 */
async function storeAppend(dir: string, batches: InboundEvent[][]): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await storeAppendOnce(join(dir, `store-${i}.db`), batches));
  return runs.sort((a, b) => a - b)[1]!;
}

export interface IngestOptions {
  batchSize?: number;
  clients?: number;
  /** REVTRAIL_METRICS of the service (default on, as shipped). */
  metrics?: 'on' | 'off';
  /** Also time the store's own append (default true); the side-by-side metrics run skips it. */
  storeAppend?: boolean;
  /** REVTRAIL_PROJECTIONS of the service (default live, as shipped); off measures ingest alone. */
  projections?: 'live' | 'off';
  /** More environment for the service (e.g. the live runner's batch and cache settings). */
  env?: Record<string, string>;
}

export async function benchIngest(contracts: number, options: IngestOptions = {}): Promise<IngestBench> {
  const { batchSize = 500, clients = 4, metrics = 'on', storeAppend: withStore = true } = options;
  const projections = options.projections ?? 'live';
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-ingest-'));
  const events = [...generateCompany({ contracts, seed: 42 })] as InboundEvent[];
  const batches: InboundEvent[][] = [];
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));

  const key = 'bench-key-0123456789abcdef';
  const svc = await startService(dir, key, metrics, projections, options.env);
  // The service seeds its demo company into the empty store before it listens (REVTRAIL_DEMO_CONTRACTS, as shipped);
  // the live projections fold it first. The clock starts once they have, and their busy time is counted from there.
  const live = projections === 'live';
  if (live) await caughtUp(svc.url, key);
  const before = live && metrics === 'on' ? await settledBusyOf(svc.url, key) : null;
  const switchedBefore = svc.catchUps();
  const t = now();
  const sampling = live ? sampleBehind(svc.url, key) : null;
  const latencies = await post(svc.url, key, batches, clients);
  const httpMs = now() - t;
  const maxBehind = (await sampling?.stop()) ?? Number.NaN;
  // The service as shipped: the live projections (in their worker thread) fold what was ingested; wait until they
  // have folded all of it.
  if (live) await caughtUp(svc.url, key);
  const projectedMs = live ? now() - t : Number.NaN;
  const after = before !== null ? await settledBusyOf(svc.url, key) : null;
  const catchUps = svc.catchUps() - switchedBefore;
  const busy = before !== null && after !== null && catchUps === 0 ? after - before : Number.NaN;
  await svc.stop();
  const storeMs = withStore ? await storeAppend(dir, batches) : Number.NaN;
  rmSync(dir, { recursive: true, force: true });
  const httpPerSec = events.length / (httpMs / 1000);
  const storePerSec = events.length / (storeMs / 1000);
  const projectionPerSec = events.length / busy;
  return {
    events: events.length,
    batches: batches.length,
    httpPerSec,
    p50ms: pct(latencies, 0.5),
    p99ms: pct(latencies, 0.99),
    storePerSec,
    ratio: httpPerSec / storePerSec,
    projectionPerSec,
    projectionRatio: projectionPerSec / httpPerSec,
    busyShare: busy / (projectedMs / 1000),
    caughtUpPerSec: events.length / (projectedMs / 1000),
    drainSeconds: (projectedMs - httpMs) / 1000,
    maxBehind,
    catchUps,
  };
}

/** Posts the batches over `clients` keep-alive clients, each taking the next batch in order; latencies in ms. */
export async function post(url: string, key: string, batches: InboundEvent[][], clients: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  // Each client takes the next batch in delivery order: batches stay roughly in order, as from a real sender pool.
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        const started = now();
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: batches[b] }),
        });
        if (res.status !== 200) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        latencies.push(now() - started);
      }
    }),
  );
  return latencies;
}

interface ProjectionsBody {
  projections: { caughtUp: boolean; eventsBehind: number | null }[];
}

async function projectionsOf(url: string, key: string): Promise<ProjectionsBody> {
  const res = await fetch(`${url}/v1/projections`, { headers: { authorization: `Bearer ${key}` } });
  return (await res.json()) as ProjectionsBody;
}

/** Waits until every projection has folded every event it follows. */
export async function caughtUp(url: string, key: string): Promise<void> {
  for (;;) {
    const body = await projectionsOf(url, key);
    if (body.projections.every((p) => p.caughtUp)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Samples how far the projections are behind every second until stopped; `stop` answers the most seen. Each look costs
 * the service a count of the log after every checkpoint: sampled more often, the sampling itself slows the run.
 */
function sampleBehind(url: string, key: string): { stop: () => Promise<number> } {
  let most = 0;
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      for (const p of (await projectionsOf(url, key)).projections) most = Math.max(most, p.eventsBehind ?? 0);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return most;
    },
  };
}

/**
 * The live runner's busy seconds so far, from the service's metrics: every projection's series carries the runner's
 * whole pass, so one projection's are the runner's.
 */
async function busyOf(url: string, key: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith('revtrail_projection_busy_seconds_total{') && l.includes('projection="revenue-schedule"'),
    );
  // No series yet: the runner has committed nothing since the service started.
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * busyOf once the last batch's report has arrived (before the clock starts as after it stops): a batch is reported
 * just after its commit (the runner's thread counts the lag first, then messages this one), so the figure is read until
 * it holds still for 250 ms.
 */
async function settledBusyOf(url: string, key: string): Promise<number> {
  let last = await busyOf(url, key);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await busyOf(url, key);
    if (now === last) return now;
    last = now;
  }
}

export interface MetricsCost {
  off: IngestBench;
  on: IngestBench;
  /** End-to-end throughput with metrics on over off (each the mean of two runs): 1.0 is free, 0.95 costs 5%. */
  throughputRatio: number;
  /** p50 latency with metrics on over off. */
  p50Ratio: number;
}

/**
 * The same ingest with metrics off and on, each on a fresh service and store, in the order off, on, on, off: on a
 * shared machine throughput drifts over minutes, and the mirrored order gives neither setting the earlier slot. Each
 * setting's figures are the mean of its two runs.
 */
export async function benchMetricsCost(contracts: number): Promise<MetricsCost> {
  const runs: IngestBench[] = [];
  for (const metrics of ['off', 'on', 'on', 'off'] as const)
    runs.push(await benchIngest(contracts, { metrics, storeAppend: false }));
  const off = mean(runs[0]!, runs[3]!);
  const on = mean(runs[1]!, runs[2]!);
  return { off, on, throughputRatio: on.httpPerSec / off.httpPerSec, p50Ratio: on.p50ms / off.p50ms };
}

/** Two runs' figures averaged, field by field. */
function mean(a: IngestBench, b: IngestBench): IngestBench {
  const out = { ...a };
  for (const k of Object.keys(a) as (keyof IngestBench)[]) out[k] = (a[k] + b[k]) / 2;
  return out;
}
