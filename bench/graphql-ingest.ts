// bench/graphql, during ingestion: the read latency of contract(id) { schedule } through /graphql while the same
// service ingests at its maximum sustained rate (4 clients posting batches of 500 back to back, live projections on,
// as shipped), beside the same reads on the same service idle just before. The service first ingests half of the
// generated company, so the reads find documents; the other half is the sustained ingestion.
//
// Reads are measured only while the ingestion runs, so a ratio over 1 is what sharing the API's event loop (and the
// machine) with ingestion costs a reader.
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundEvent } from '../schemas/index.js';
import { generateCompany } from '../src/demo/index.js';
import { SqliteReadStore } from '../src/readmodel/index.js';
import { CONTRACT, KEY, percentile, send } from './graphql.js';
import { caughtUp, post, startService } from './ingest.js';

export interface ReadLatency {
  requests: number;
  p50ms: number;
  p99ms: number;
}

export interface GraphqlDuringIngest {
  contracts: number;
  /** Events ingested before the measurements, and during them. */
  preloaded: number;
  ingested: number;
  readClients: number;
  idle: ReadLatency;
  during: ReadLatency;
  /** Ingest throughput while the reads ran. */
  ingestPerSec: number;
  p99Ratio: number;
  p50Ratio: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** `clients` loops reading a random contract until `until()` says stop; latencies in ms, sorted. */
async function reads(url: string, ids: string[], clients: number, until: () => boolean): Promise<ReadLatency> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const target = new URL(`${url}/graphql`);
  const latencies: number[] = [];
  const loop = async (): Promise<void> => {
    while (!until()) {
      const id = ids[Math.floor(Math.random() * ids.length)]!;
      const started = now();
      const res = await send(agent, target, 'POST', JSON.stringify({ query: CONTRACT, variables: { id } }));
      latencies.push(now() - started);
      if (res.status !== 200 || res.text.includes('"errors"')) throw new Error(`GraphQL ${res.status}: ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99) };
}

export async function benchGraphqlDuringIngest(
  contracts: number,
  seconds: number,
  service: { metrics?: 'on' | 'off'; projections?: 'live' | 'off' } = {},
): Promise<GraphqlDuringIngest> {
  const readClients = 2;
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-graphql-ingest-'));
  const events = [...generateCompany({ contracts, seed: 42 })] as InboundEvent[];
  const batches: InboundEvent[][] = [];
  for (let i = 0; i < events.length; i += 500) batches.push(events.slice(i, i + 500));
  const half = Math.floor(batches.length / 2);
  const svc = await startService(dir, KEY, service.metrics ?? 'on', service.projections ?? 'live');
  try {
    await post(svc.url, KEY, batches.slice(0, half), 4);
    if ((service.projections ?? 'live') === 'live') await caughtUp(svc.url, KEY);
    const read = new SqliteReadStore(join(dir, 'readmodel.db'));
    const ids = (await read.list('contract-versions', { limit: 100_000 })).map((r) => r.key);
    await read.close();

    const idleUntil = now() + seconds * 1000;
    await reads(svc.url, ids, readClients, () => now() > idleUntil); // warm-up, same length
    const idleEnd = now() + seconds * 1000;
    const idle = await reads(svc.url, ids, readClients, () => now() > idleEnd);

    let ingesting = true;
    const rest = batches.slice(half);
    const t = now();
    const ingest = post(svc.url, KEY, rest, 4).finally(() => (ingesting = false));
    const during = await reads(svc.url, ids, readClients, () => !ingesting);
    await ingest;
    const ingestMs = now() - t;
    const ingested = rest.reduce((n, b) => n + b.length, 0);
    return {
      contracts,
      preloaded: events.length - ingested,
      ingested,
      readClients,
      idle,
      during,
      ingestPerSec: ingested / (ingestMs / 1000),
      p99Ratio: during.p99ms / idle.p99ms,
      p50Ratio: during.p50ms / idle.p50ms,
    };
  } finally {
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
