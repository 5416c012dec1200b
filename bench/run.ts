// `npm run bench [-- name ...]`: runs the benchmarks and prints their side-by-side ratios as Markdown for
// BENCHMARKS.md. Sizes: BENCH_EVENTS (default 1,000,000) and BENCH_SECONDS per append measurement (default 60);
// BENCH_POSTING_CONTRACTS (default 10,000) and BENCH_POSTING_LATENCY_MS (ERP latencies, default "0,20") for posting;
// BENCH_GRAPHQL_CLIENTS (concurrent clients, default "8,1") and BENCH_GRAPHQL_SECONDS (per query, default 15) for graphql;
// BENCH_GRAPHQL_PREPARED (a folder keeping its prepared store and read models) and BENCH_GRAPHQL_QUERIES (e.g. "lineage";
// "abuse": only the abusive documents, BENCH_GRAPHQL_ABUSE_REPEAT / _ABUSE_SECONDS / _ABUSERS, defaults 50 / 15 / 2).
// BENCH_CONTRACTS (default 5,000) for ingest, graphql-ingest (reads during ingestion; BENCH_GRAPHQL_SECONDS of idle
// reads) and partition (catch-up by 1 and by 2 partitioned workers).
import { cpus, totalmem } from 'node:os';
import { benchAppend, benchScan } from './eventstore.js';
import { benchGraphql, benchGraphqlAbuse } from './graphql.js';
import { benchGraphqlDuringIngest } from './graphql-ingest.js';
import { benchIngest, benchMetricsCost } from './ingest.js';
import { benchPartitions } from './partition.js';
import { benchPosting } from './posting.js';
import { benchRebuild } from './rebuild.js';
import { DEFAULT_CACHED_DOCUMENTS } from '../src/runner/cache.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;

async function eventstore(maxEvents: number, budgetSec: number): Promise<boolean> {
  console.log('## bench/eventstore — embedded SQLite store vs raw better-sqlite3, same run\n');
  console.log('| append batch | events | ours (events/s) | raw better-sqlite3 (events/s) | ratio |');
  console.log('|---:|---:|---:|---:|---:|');
  let ok = true;
  for (const batch of [1, 100, 1000]) {
    const r = await benchAppend(batch, maxEvents, batch === 1 ? Math.min(budgetSec, 20) : budgetSec);
    console.log(`| ${batch} | ${fmt(r.events)} | ${fmt(r.oursPerSec)} | ${fmt(r.rawPerSec)} | ${pct(r.ratio)} |`);
    if (batch === 1000 && r.ratio < 0.5) ok = false;
  }
  const s = await benchScan(maxEvents);
  console.log('\n| readAll scan | events | ours (events/s) | raw better-sqlite3 (rows/s) | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| full log (median of 3 alternating pairs) | ${fmt(s.events)} | ${fmt(s.oursPerSec)} | ${fmt(s.rawPerSec)} | ${pct(s.ratio)} |`,
  );
  if (s.ratio < 0.5) ok = false;
  console.log(
    `\nTargets: append (batches of 1000) >= 50% of raw, readAll scan >= 50% of raw: ${ok ? 'met' : 'NOT met'}\n`,
  );
  return ok;
}

/** A Markdown table of right-aligned (numeric) columns. */
function table(columns: string[], rows: string[][]): void {
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`|${columns.map(() => '---:').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

async function ingest(contracts: number): Promise<boolean> {
  console.log('## bench/ingest — POST /v1/events (batches of 500, 4 keep-alive clients) vs the store’s own append\n');
  const r = await benchIngest(contracts);
  table(
    [
      'events',
      'batches',
      'end to end (events/s)',
      'p50',
      'p99',
      'store append, same grouping (events/s)',
      'ratio',
      'live projections while working (events/s)',
      'projections / ingest',
    ],
    [
      [
        fmt(r.events),
        fmt(r.batches),
        fmt(r.httpPerSec),
        `${r.p50ms.toFixed(0)} ms`,
        `${r.p99ms.toFixed(0)} ms`,
        fmt(r.storePerSec),
        pct(r.ratio),
        fmt(r.projectionPerSec),
        r.projectionRatio.toFixed(2),
      ],
    ],
  );
  const ok = r.ratio >= 0.25 && r.projectionRatio >= 1;
  console.log(
    `\nTargets: end to end >= 25% of the store's append throughput, live projections >= HTTP ingest: ${ok ? 'met' : 'NOT met'}\n`,
  );
  console.log(
    `Live projections: busy ${pct(r.busyShare)} of the time from the first request until caught up; at most ` +
      `${fmt(r.maxBehind)} events behind while the requests were answered; caught up ${r.drainSeconds.toFixed(1)} s ` +
      `after the last answer (${fmt(r.caughtUpPerSec)} events/s from the first request until caught up); ` +
      `${r.catchUps} switch(es) to the stream-by-stream catch-up.\n`,
  );
  console.log('### as shipped / ingest inline / projections off / the store alone — the same events, same run\n');
  const off = await benchIngest(contracts, { projections: 'off', storeAppend: false });
  const inline = await benchIngest(contracts, { storeAppend: false, env: { REVTRAIL_INGEST: 'inline' } });
  table(
    ['service', 'end to end (events/s)', 'p50', 'p99', 'share of store append'],
    [
      [
        'as shipped (live projections on)',
        fmt(r.httpPerSec),
        `${r.p50ms.toFixed(0)} ms`,
        `${r.p99ms.toFixed(0)} ms`,
        pct(r.ratio),
      ],
      [
        'REVTRAIL_INGEST=inline (ingest on the API thread, projections on)',
        fmt(inline.httpPerSec),
        `${inline.p50ms.toFixed(0)} ms`,
        `${inline.p99ms.toFixed(0)} ms`,
        pct(inline.httpPerSec / r.storePerSec),
      ],
      [
        'REVTRAIL_PROJECTIONS=off',
        fmt(off.httpPerSec),
        `${off.p50ms.toFixed(0)} ms`,
        `${off.p99ms.toFixed(0)} ms`,
        pct(off.httpPerSec / r.storePerSec),
      ],
      ['store append (appendMany, same grouping; median of 3)', fmt(r.storePerSec), '', '', '100.0%'],
    ],
  );
  console.log(`\nLive projections cost ingest ${pct(1 - r.httpPerSec / off.httpPerSec)} of its throughput.\n`);
  console.log('### live batches: growing with a document cache (as shipped) vs fixed at 500 without one\n');
  const fixed = await benchIngest(contracts, {
    storeAppend: false,
    env: { REVTRAIL_RUNNER_MAX_BATCH: '500', REVTRAIL_RUNNER_CACHE: '0' },
  });
  table(
    [
      'live runner',
      'end to end (events/s)',
      'live projections while working (events/s)',
      'projections / ingest',
      'busy',
      'most behind (events)',
      'caught up after the last answer',
    ],
    (
      [
        [`as shipped (batches up to REVTRAIL_RUNNER_MAX_BATCH, ${fmt(DEFAULT_CACHED_DOCUMENTS)} documents cached)`, r],
        ['fixed batches of 500, no cache', fixed],
      ] as const
    ).map(([name, x]) => [
      name,
      fmt(x.httpPerSec),
      fmt(x.projectionPerSec),
      x.projectionRatio.toFixed(2),
      pct(x.busyShare),
      fmt(x.maxBehind),
      `${x.drainSeconds.toFixed(1)} s`,
    ]),
  );
  console.log('');
  console.log(
    '### metrics off / on — the same ingest, REVTRAIL_METRICS=off beside on (as shipped), run off, on, on, off; means of two runs each\n',
  );
  const m = await benchMetricsCost(contracts);
  table(
    ['metrics', 'end to end (events/s)', 'p50', 'p99', 'live projections until caught up (events/s)'],
    [m.off, m.on].map((x, i) => [
      i === 0 ? 'off' : 'on',
      fmt(x.httpPerSec),
      `${x.p50ms.toFixed(0)} ms`,
      `${x.p99ms.toFixed(0)} ms`,
      fmt(x.caughtUpPerSec),
    ]),
  );
  console.log(
    `\nCost of instrumentation: throughput on/off ${m.throughputRatio.toFixed(3)}, p50 on/off ${m.p50Ratio.toFixed(3)}\n`,
  );
  return ok;
}

async function graphqlDuringIngest(contracts: number, seconds: number): Promise<boolean> {
  console.log('## bench/graphql during ingestion — contract(id) { schedule } reads, idle vs during sustained ingest\n');
  const r = await benchGraphqlDuringIngest(contracts, seconds);
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  table(
    ['reads', 'requests', 'p50', 'p99'],
    [
      ['idle', fmt(r.idle.requests), ms(r.idle.p50ms), ms(r.idle.p99ms)],
      [
        `during ingestion (${fmt(r.ingestPerSec)} events/s)`,
        fmt(r.during.requests),
        ms(r.during.p50ms),
        ms(r.during.p99ms),
      ],
    ],
  );
  const ok = r.p99Ratio <= 2;
  console.log(
    `\n${r.readClients} read clients; ${fmt(r.preloaded)} events ingested first, ${fmt(r.ingested)} during the reads ` +
      `(4 clients, batches of 500, live projections on). p99 during / idle ${r.p99Ratio.toFixed(1)}×, ` +
      `p50 ${r.p50Ratio.toFixed(1)}×. Target: p99 within 2× of idle: ${ok ? 'met' : 'NOT met'}\n`,
  );
  return ok;
}

async function partitionBench(contracts: number): Promise<boolean> {
  console.log('## bench/partition — `revtrail project --partition i/N`: catch-up by 1 and by 2 workers, same log\n');
  const r = await benchPartitions(contracts);
  table(
    ['workers', 'catch-up time', 'events/s', 'speed-up over 1 worker'],
    r.rows.map((x) => [
      String(x.workers),
      `${x.seconds.toFixed(1)} s`,
      fmt(x.eventsPerSec),
      `${x.speedUp.toFixed(2)}×`,
    ]),
  );
  console.log(`\n${fmt(r.events)} events, ${fmt(r.contracts)} contracts, each run into a fresh read store.\n`);
  return true;
}

async function rebuildBench(events: number): Promise<boolean> {
  console.log('## bench/rebuild — full rebuild of every projection vs the store’s readAll scan, same process\n');
  const r = await benchRebuild(events);
  table(
    [
      'events',
      'contracts',
      'readAll scan (events/s)',
      'rebuild (events/s)',
      'rebuild time',
      'rebuild CPU (all threads)',
      'worker threads',
      'documents derived',
      'peak RSS',
      'ratio',
    ],
    [
      [
        fmt(r.events),
        fmt(r.contracts),
        fmt(r.scanPerSec),
        fmt(r.rebuildPerSec),
        `${r.rebuildSeconds.toFixed(1)} s`,
        `${r.rebuildCpuSeconds.toFixed(1)} s`,
        String(r.workers),
        fmt(r.derived),
        `${fmt(r.peakRssMiB)} MiB`,
        pct(r.ratio),
      ],
    ],
  );
  const ok = r.ratio >= 0.4 && r.peakRssMiB < 1536;
  console.log(`\nTarget: rebuild >= 40% of the raw scan rate, peak RSS < 1.5 GB: ${ok ? 'met' : 'NOT met'}\n`);
  return ok;
}

const CROSS_BORDER = 0.25;

async function posting(contracts: number, latenciesMs: number[]): Promise<boolean> {
  console.log('## bench/posting — a posting run for one period vs reading every contract stream once, same process\n');
  // The same company again with a quarter of its USD contracts sold by DE01, whose books are in EUR: every one of
  // their journals translated with the rates seeded beside them (src/demo/rates.ts).
  const single = await benchPosting(contracts, latenciesMs);
  const multi = await benchPosting(contracts, [0], '2027-01', 50, CROSS_BORDER);
  const rows = [
    ...single.map((r) => ({ ...r, company: 'one currency per entity' })),
    ...multi.map((r) => ({ ...r, company: `multi-currency (${pct(CROSS_BORDER)} of USD contracts in DE01, EUR)` })),
  ];
  table(
    [
      'company',
      'ERP latency',
      'concurrency',
      'contracts',
      'journals prepared / posted',
      'journals/s',
      'run (wall)',
      '≥ 1 submit in flight (Σ submits)',
      'waiting on the ERP',
      'outside the connector (at least)',
      'read every stream once',
      'peak RSS',
      'ratio',
    ],
    rows.map((r) => [
      r.company,
      `${r.latencyMs} ms`,
      `${r.concurrency} (peak ${r.peakInFlight})`,
      fmt(r.contracts),
      `${fmt(r.prepared)} / ${fmt(r.posted)}`,
      fmt(r.journalsPerSec),
      `${r.runSeconds.toFixed(1)} s`,
      `${r.inFlightSeconds.toFixed(1)} s (${r.submitSeconds.toFixed(1)} s)`,
      `${r.waitingSeconds.toFixed(1)} s`,
      `${pct(r.outsideShare)} (${pct(r.outsideShareAtLeast)})`,
      `${r.floorSeconds.toFixed(1)} s`,
      `${fmt(r.peakRssMiB)} MiB`,
      pct(r.ratio),
    ]),
  );
  console.log(
    `\nPeriod ${rows[0]?.period}, ${fmt(rows[0]?.events ?? 0)} contract events; ratio = time to read every contract stream once / run time.\n`,
  );
  return rows.every((r) => r.posted === r.prepared);
}

async function graphql(events: number): Promise<boolean> {
  console.log('## bench/graphql — audit reads through /graphql under concurrent clients vs the same read in-process\n');
  const r = await benchGraphql(events);
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  table(
    [
      'query',
      'clients',
      'requests',
      'GraphQL p50',
      'GraphQL p99',
      'GraphQL req/s',
      'response',
      'direct p50',
      'direct p99',
      'direct reads/s',
      'ratio (req/s ÷ reads/s)',
    ],
    r.rows.map((x) => [
      x.query,
      String(x.clients),
      fmt(x.requests),
      ms(x.p50ms),
      ms(x.p99ms),
      fmt(x.perSec),
      `${x.kib.toFixed(1)} KiB`,
      ms(x.directP50ms),
      ms(x.directP99ms),
      fmt(x.directPerSec),
      pct(x.perSec / x.directPerSec),
    ]),
  );
  // Measured under the first (concurrent) client count.
  const lineage = r.rows.find((x) => x.query.startsWith('lineage'));
  const ok = lineage !== undefined && lineage.p99ms < 20;
  console.log(
    `\n${fmt(r.events)} events, ${fmt(r.contracts)} contracts, ${fmt(r.journals)} journals posted (${r.legalEntity}, ` +
      `${r.period}; posting run ${r.postSeconds.toFixed(0)} s, read models built in ${r.projectSeconds.toFixed(0)} s); ` +
      `${r.seconds} s per query and client count; direct = one read at a time in this process.`,
  );
  console.log(
    `Target: lineage p99 < 20 ms: ${lineage ? (ok ? 'met' : 'NOT met') : 'not measured (lineage not in the schema)'}\n`,
  );
  return ok;
}

async function graphqlAbuse(): Promise<boolean> {
  console.log('## bench/graphql — abusive documents refused, and /health while they are sent\n');
  const r = await benchGraphqlAbuse();
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  table(
    ['document', 'body', 'answer', 'requests', 'p50', 'max'],
    r.rows.map((x) => [
      x.query,
      `${x.kib.toFixed(1)} KiB`,
      `${x.status} ${x.code ?? '(data)'}`,
      fmt(x.requests),
      ms(x.p50ms),
      ms(x.maxMs),
    ]),
  );
  console.log('');
  table(
    ['/health', 'requests', 'p50', 'p99', 'max', 'abusive documents refused/s'],
    r.health.map((h) => [h.load, fmt(h.requests), ms(h.p50ms), ms(h.p99ms), ms(h.maxMs), fmt(h.abusivePerSec)]),
  );
  const refusals = r.rows.filter((x) => x.code !== null);
  const ok = refusals.every((x) => x.maxMs < 100);
  console.log(
    `\nEach document sent ${r.repeat} times, one at a time, after 3 warm-ups; /health for ${r.seconds} s idle, then ` +
      `for ${r.seconds} s beside ${r.abusers} clients cycling through the abusive documents.`,
  );
  console.log(`Target: every refusal under 100 ms: ${ok ? 'met' : 'NOT met'}\n`);
  return ok;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const maxEvents = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const budgetSec = Number(process.env.BENCH_SECONDS ?? 60);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  let ok = true;
  if (wanted.length === 0 || wanted.includes('eventstore')) ok = (await eventstore(maxEvents, budgetSec)) && ok;
  if (wanted.length === 0 || wanted.includes('ingest'))
    ok = (await ingest(Number(process.env.BENCH_CONTRACTS ?? 5000))) && ok;
  const contracts = Number(process.env.BENCH_CONTRACTS ?? 5000);
  if (wanted.length === 0 || wanted.includes('graphql-ingest'))
    ok = (await graphqlDuringIngest(contracts, Number(process.env.BENCH_GRAPHQL_SECONDS ?? 15))) && ok;
  if (wanted.length === 0 || wanted.includes('partition')) ok = (await partitionBench(contracts)) && ok;
  if (wanted.length === 0 || wanted.includes('rebuild')) ok = (await rebuildBench(maxEvents)) && ok;
  if (wanted.length === 0 || wanted.includes('posting')) {
    const latencies = (process.env.BENCH_POSTING_LATENCY_MS ?? '0,20').split(',').map(Number);
    ok = (await posting(Number(process.env.BENCH_POSTING_CONTRACTS ?? 10_000), latencies)) && ok;
  }
  if (wanted.length === 0 || wanted.includes('graphql')) {
    if (process.env.BENCH_GRAPHQL_QUERIES !== 'abuse') ok = (await graphql(maxEvents)) && ok;
    ok = (await graphqlAbuse()) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
