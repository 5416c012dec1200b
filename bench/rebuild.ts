// bench/rebuild: a full rebuild of every projection from a store of >= 1,000,000 generated events, beside the
// store's own readAll scan of the same log in the same process — the scan is what a rebuild cannot beat, so the
// ratio is what the projections (folding, revenue engine, read-store writes) cost on top of reading.
//
// The measurement runs in a child process so that its peak RSS (getrusage maxrss) is the rebuild's own, not the
// seeding's. Order in the child: scan, rebuild, scan; the scan rate is the mean of the two.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECTIONS } from '../projections/index.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../src/demo/index.js';
import { Ingestor } from '../src/ingest/index.js';
import { SqliteReadStore } from '../src/readmodel/index.js';
import { rebuild } from '../src/runner/index.js';
import { SqliteEventStore } from '../src/store/index.js';

export interface RebuildResult {
  events: number;
  contracts: number;
  scanPerSec: number;
  rebuildPerSec: number;
  rebuildSeconds: number;
  derived: number;
  ratio: number;
  peakRssMiB: number;
  /** Worker threads the stream-by-stream replay folded in, beside the main thread that writes. */
  workers: number;
  /** CPU time of the rebuild, all threads (user + system): on 2 cores, up to twice the wall time. */
  rebuildCpuSeconds: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Fills a store with a generated company until it holds at least `target` events (mappings first). */
export async function seed(path: string, target: number): Promise<void> {
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  try {
    await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'bench' }, new Date(0), 'bench');
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'bench' }, new Date(0), 'bench');
    const ingestor = new Ingestor(store);
    // ~37 stored events per contract; generate more than enough and stop once the target is stored.
    const source = generateCompany({ contracts: Math.ceil(target / 30), seed: 2026 });
    let stored = 2;
    let batch: unknown[] = [];
    for (const e of source) {
      batch.push(e);
      if (batch.length < 1000) continue;
      const results = await ingestor.ingest(batch, { actor: 'bench' });
      stored += results.filter((r) => r.status === 'appended' || r.status === 'held').length;
      batch = [];
      if (stored >= target) break;
      if (stored % 100_000 < 1000) process.stderr.write(`seeded ${stored.toLocaleString('en-US')} events\n`);
    }
  } finally {
    await store.close();
  }
}

async function scan(store: SqliteEventStore): Promise<{ events: number; seconds: number }> {
  const t0 = now();
  let events = 0;
  for await (const _e of store.readAll()) events++;
  return { events, seconds: now() - t0 };
}

/** The child: scan, rebuild, scan, and report with its own peak RSS. */
async function child(storePath: string, readPath: string): Promise<void> {
  const store = new SqliteEventStore({ path: storePath });
  const read = new SqliteReadStore(readPath, { synchronous: 'normal' });
  const s1 = await scan(store);
  const t0 = now();
  const cpu0 = process.cpuUsage();
  const report = await rebuild(store, read, PROJECTIONS, { batchSize: 1_000_000 });
  const rebuildSeconds = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const s2 = await scan(store);
  const contracts = await read.count('contract-versions');
  await read.close();
  await store.close();
  const scanPerSec = (s1.events + s2.events) / (s1.seconds + s2.seconds);
  const rebuildPerSec = s1.events / rebuildSeconds;
  const result: RebuildResult = {
    events: s1.events,
    contracts,
    scanPerSec,
    rebuildPerSec,
    rebuildSeconds,
    derived: report.derived,
    ratio: rebuildPerSec / scanPerSec,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    workers: report.workers,
    rebuildCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function benchRebuild(target: number): Promise<RebuildResult> {
  const keep = process.env.BENCH_REBUILD_STORE;
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-rebuild-'));
  const storePath = keep ?? join(dir, 'events.db');
  try {
    if (!keep || !existsSync(keep)) await seed(storePath, target);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', storePath, join(dir, 'read.db')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      p.stdout.on('data', (c: Buffer) => (text += c.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`rebuild child exited with ${code}`))));
    });
    return JSON.parse(out.trim().split('\n').pop()!) as RebuildResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
