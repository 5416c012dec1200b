// bench/posting: a posting run for one period over a generated company of 10,000 contracts against the simulated
// ERP, beside the floor any posting run pays: enumerating the contracts and reading every contract stream once
// through the store port, in the same process on the same store. The ratio is what folding, the revenue engine,
// journal preparation, the journal events and the connector cost on top of reading.
//
// The connector is wrapped to time every submit. Submits run concurrently (the run's micro-batches), so the sum of
// their wall times is no share of the run; and while a submit is in flight the one thread may be busy with the run's
// own work (another journal's events), so the wall time with at least one submit in flight overstates the
// connector's part. What the run really spends on the ERP is the time it waits for it: the event loop idle (nothing
// else to do) while at least one submit is in flight. The share outside the connector is 1 - that / the run's wall
// time; 1 - (time with a submit in flight) / wall is its lower bound, reported beside it.
//
// The store is seeded through the ingest path (seedDemo: mappings first, then the generated company) and kept
// between runs with BENCH_POSTING_STORE=path; each measurement runs on a copy (a run appends to the streams) in a
// child process, so that its peak RSS (getrusage maxrss) is the run's own, not the seeding's.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { contractStream } from '../commands/contract.js';
import { seedDemo } from '../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../src/posting/index.js';
import type { Connector, JournalSubmission, SubmitOutcome } from '../src/posting/index.js';
import { SqliteEventStore } from '../src/store/index.js';

export interface PostingBench {
  period: string;
  /** Contracts in the run's scope (booked, mapped, with a schedule). */
  contracts: number;
  events: number;
  prepared: number;
  posted: number;
  latencyMs: number;
  /** Journals submitted concurrently (the run's batch size) and the most seen in flight at once. */
  concurrency: number;
  peakInFlight: number;
  runSeconds: number;
  journalsPerSec: number;
  /** Sum of the wall times of every submit call. */
  submitSeconds: number;
  /** Wall time with at least one submit in flight. */
  inFlightSeconds: number;
  /** Of that, the event loop idle: waiting for the ERP with nothing else to do. */
  waitingSeconds: number;
  /** 1 - waiting / run wall time, and its lower bound 1 - in flight / run wall time. */
  outsideShare: number;
  outsideShareAtLeast: number;
  /** Enumerating the contracts and reading each contract's stream once (mean of a pass before and after the run). */
  floorSeconds: number;
  /** Contracts per second: the run's, and the floor's; ratio = run / floor. */
  runContractsPerSec: number;
  floorContractsPerSec: number;
  ratio: number;
  peakRssMiB: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** The connector as the run sees it, with the time spent inside submit measured. */
class TimedConnector implements Connector {
  readonly name: Connector['name'];
  submitSeconds = 0;
  inFlightSeconds = 0;
  waitingSeconds = 0;
  peakInFlight = 0;
  private inFlight = 0;
  private busySince = 0;
  private loopSince = performance.eventLoopUtilization();

  constructor(private readonly inner: Connector) {
    this.name = inner.name;
  }

  async submit(journal: JournalSubmission): Promise<SubmitOutcome> {
    const t0 = now();
    if (this.inFlight++ === 0) {
      this.busySince = t0;
      this.loopSince = performance.eventLoopUtilization();
    }
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      return await this.inner.submit(journal);
    } finally {
      const t1 = now();
      this.submitSeconds += t1 - t0;
      if (--this.inFlight === 0) {
        this.inFlightSeconds += t1 - this.busySince;
        this.waitingSeconds += performance.eventLoopUtilization(this.loopSince).idle / 1000;
      }
    }
  }

  find(journalId: string): Promise<string | null> {
    return this.inner.find(journalId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The floor: enumerate the contracts as the run does and read every contract stream once — up to `lengths` events
 * per stream when given, so that a pass after the run reads exactly what the pass before it read.
 */
async function readEveryContract(
  store: SqliteEventStore,
  lengths?: Map<string, number>,
): Promise<{ lengths: Map<string, number>; events: number; s: number }> {
  const t0 = now();
  const ids = new Set<string>();
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['ContractBooked'] },
  }))
    ids.add(e.data.contractId as string);
  const read = new Map<string, number>();
  let events = 0;
  for (const id of ids) {
    let n = 0;
    for await (const _e of store.readStream(contractStream(id), { maxCount: lengths?.get(id) })) n++;
    read.set(id, n);
    events += n;
  }
  return { lengths: read, events, s: now() - t0 };
}

/** The child: the floor, the run, the floor again (the same events); the report with its own peak RSS. */
async function child(storePath: string, period: string, latencyMs: number, batchSize: number): Promise<void> {
  const store = new SqliteEventStore({ path: storePath });
  const before = await readEveryContract(store);
  const connector = new TimedConnector(new SimulatedConnector({ latencyMs }));
  const t0 = now();
  const summary = await postingRun(store, {
    period,
    connector,
    batchSize,
    backoffMs: 1,
    now: () => new Date('2026-11-25T00:00:00Z'),
    actor: 'bench',
  });
  const runSeconds = now() - t0;
  const after = await readEveryContract(store, before.lengths);
  await store.close();
  if (after.events !== before.events) throw new Error('the floor read different events before and after the run');
  // As bench/rebuild takes its scan: the mean of a pass before and a pass after the measurement.
  const floor = { contracts: before.lengths.size, events: before.events, s: (before.s + after.s) / 2 };
  const result: PostingBench = {
    period,
    contracts: summary.contracts,
    events: floor.events,
    prepared: summary.prepared,
    posted: summary.posted,
    latencyMs,
    concurrency: batchSize,
    peakInFlight: connector.peakInFlight,
    runSeconds,
    journalsPerSec: summary.posted / runSeconds,
    submitSeconds: connector.submitSeconds,
    inFlightSeconds: connector.inFlightSeconds,
    waitingSeconds: connector.waitingSeconds,
    outsideShare: 1 - connector.waitingSeconds / runSeconds,
    outsideShareAtLeast: 1 - connector.inFlightSeconds / runSeconds,
    floorSeconds: floor.s,
    runContractsPerSec: floor.contracts / runSeconds,
    floorContractsPerSec: floor.contracts / floor.s,
    ratio: floor.s / runSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (summary.retrying > 0 || Object.keys(summary.rejected).length > 0)
    throw new Error(`posting run left journals unposted: ${JSON.stringify(summary)}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function seed(path: string, contracts: number, crossBorder: number): Promise<void> {
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  try {
    const t0 = now();
    const seeded = await seedDemo(store, {
      contracts,
      seed: 2026,
      crossBorder,
      now: () => new Date('2026-11-25T00:00:00Z'),
    });
    if (seeded === null) throw new Error(`${path} is not empty`);
    process.stderr.write(
      `seeded ${contracts.toLocaleString('en-US')} contracts (${seeded.counts.appended.toLocaleString('en-US')} events) in ${(now() - t0).toFixed(0)} s\n`,
    );
  } finally {
    // Closing the last connection checkpoints the WAL into the file: the file alone is the store, ready to copy.
    await store.close();
  }
}

/**
 * Seeds (or reuses) the store, then one measurement per latency, each on a fresh copy. The period is one where
 * nearly every contract has something to journal: the generator books over 12 months from 2026-01, so the 13th.
 */
export async function benchPosting(
  contracts: number,
  latenciesMs: readonly number[],
  period = '2027-01',
  batchSize = 50,
  /** The share of USD contracts DE01 (books in EUR) sells: a multi-currency company, its journals translated. */
  crossBorder = 0,
): Promise<PostingBench[]> {
  const keep = crossBorder > 0 ? undefined : process.env.BENCH_POSTING_STORE;
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-posting-'));
  const seeded = keep ?? join(dir, 'seeded.db');
  try {
    if (!existsSync(seeded)) await seed(seeded, contracts, crossBorder);
    const results: PostingBench[] = [];
    for (const latencyMs of latenciesMs) {
      const copy = join(dir, `run-${latencyMs}.db`);
      copyFileSync(seeded, copy);
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', copy, period, String(latencyMs), String(batchSize)],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let text = '';
        p.stdout.on('data', (c: Buffer) => (text += c.toString()));
        p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`posting child exited with ${code}`))));
      });
      rmSync(copy, { force: true });
      rmSync(`${copy}-wal`, { force: true });
      rmSync(`${copy}-shm`, { force: true });
      results.push(JSON.parse(out.trim().split('\n').pop()!) as PostingBench);
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child')
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
