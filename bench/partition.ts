// bench/partition: the projections' catch-up over the same log by 1 and by 2 partitioned workers (`revtrail project
// --partition i/N`, each a process of its own with its own connections), each time into a fresh read store; events
// per second = the log's events over the wall time until the last worker exits. The speed-up per added worker is the
// ratio of the two. Workers share the one SQLite read store (one writer at a time) and the machine's cores, so the
// ratio says how much of a worker's time is folding and deriving (which spreads) rather than committing (which
// does not).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundEvent } from '../schemas/index.js';
import { generateCompany } from '../src/demo/index.js';
import { Ingestor } from '../src/ingest/index.js';
import { SqliteEventStore } from '../src/store/index.js';

export interface PartitionRow {
  workers: number;
  seconds: number;
  eventsPerSec: number;
  /** Events per second over the one-worker run's. */
  speedUp: number;
}

export interface PartitionBench {
  events: number;
  contracts: number;
  rows: PartitionRow[];
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function project(storePath: string, readPath: string, partition: string): Promise<void> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'project', '--partition', partition], {
    env: { ...process.env, REVTRAIL_STORE: storePath, REVTRAIL_READ_STORE: readPath, REVTRAIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`project ${partition} exited ${code}`)))),
  );
}

export async function benchPartitions(contracts: number, counts: readonly number[] = [1, 2]): Promise<PartitionBench> {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-partition-'));
  try {
    const storePath = join(dir, 'events.db');
    const store = new SqliteEventStore({ path: storePath, synchronous: 'normal' });
    const ingestor = new Ingestor(store);
    const events = [...generateCompany({ contracts, seed: 42 })] as InboundEvent[];
    for (let i = 0; i < events.length; i += 500) await ingestor.ingest(events.slice(i, i + 500), { actor: 'bench' });
    const logged = (await store.countAfter(null)) ?? 0;
    await store.close();
    const rows: PartitionRow[] = [];
    for (const n of counts) {
      const readPath = join(dir, `read-${n}.db`);
      const t = now();
      await Promise.all(Array.from({ length: n }, (_, i) => project(storePath, readPath, `${i}/${n}`)));
      const seconds = (now() - t) / 1000;
      const eventsPerSec = logged / seconds;
      rows.push({ workers: n, seconds, eventsPerSec, speedUp: eventsPerSec / (rows[0]?.eventsPerSec ?? eventsPerSec) });
    }
    return { events: logged, contracts, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
