// Partitioned projection workers, in one process: the hash that assigns contracts to workers is FNV-1a and spreads
// them evenly; `--partition` is parsed strictly; N runners scoped to their partitions build the read models one runner
// builds (a product mapping changed half-way included); and a worker refuses read models of another layout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import { metricsPort, parseProjectArgs } from '../../src/cli/follow.js';
import { UsageError } from '../../src/cli/usage.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import {
  PARTITION_LAYOUT_CHANGED,
  PartitionLayoutChangedError,
  ProjectionRunner,
  ProjectionWorker,
  fnv1a,
  parsePartition,
  partitionOf,
  partitionScope,
  rebuild,
} from '../../src/runner/index.js';
import type { Partition } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { dump } from '../support/dump.js';

describe('the partition hash', () => {
  it('is 32-bit FNV-1a over the UTF-8 bytes (published test vectors), so it never changes', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    expect(partitionOf('C-1001', 2)).toBe(partitionOf('C-1001', 2));
  });

  it('spreads contract ids evenly over the workers', () => {
    for (const count of [2, 3, 4, 8]) {
      const sizes = new Array<number>(count).fill(0);
      for (let i = 0; i < 20_000; i++) sizes[partitionOf(`C-${String(i).padStart(6, '0')}`, count)]!++;
      const mean = 20_000 / count;
      for (const size of sizes) expect(Math.abs(size - mean) / mean).toBeLessThan(0.05);
    }
  });
});

describe('--partition and the other project flags', () => {
  it('takes i/N with 0 <= i < N, as a separate or an inline value', () => {
    expect(parsePartition('0/2')).toEqual({ index: 0, count: 2 });
    expect(parsePartition('1023/1024')).toEqual({ index: 1023, count: 1024 });
    expect(parseProjectArgs(['--follow', '--partition', '1/3'])).toEqual({
      follow: true,
      partition: { index: 1, count: 3 },
    });
    expect(parseProjectArgs(['--partition=0/1'])).toEqual({ follow: false, partition: { index: 0, count: 1 } });
    expect(parseProjectArgs([])).toEqual({ follow: false, partition: null });
  });

  it.each([['2/2'], ['0/0'], ['-1/2'], ['01/2'], ['1/02'], ['a/b'], ['1'], ['1/2/3'], [' 0/2'], ['0/1025'], ['']])(
    'refuses %j naming the flag and the rule',
    (value) => {
      expect(() => parseProjectArgs(['--partition', value])).toThrow(UsageError);
      expect(() => parseProjectArgs(['--partition', value])).toThrow(/^--partition ".*": must be i\/N.*0 <= i < N/);
    },
  );

  it('refuses a missing value, a repeated flag and anything else', () => {
    expect(() => parseProjectArgs(['--partition'])).toThrow(/--partition needs a value i\/N/);
    expect(() => parseProjectArgs(['--partition', '0/2', '--partition', '1/2'])).toThrow(/--partition given twice/);
    expect(() => parseProjectArgs(['--follow', '--follow'])).toThrow(/--follow given twice/);
    expect(() => parseProjectArgs(['--folow'])).toThrow(/unexpected argument "--folow"; project takes --follow/);
    expect(() => parseProjectArgs(['contract-versions'])).toThrow(UsageError);
  });

  it('REVTRAIL_METRICS_PORT is a port from 0 to 65535, 9464 when unset', () => {
    expect(metricsPort({})).toBe(9464);
    expect(metricsPort({ REVTRAIL_METRICS_PORT: '0' })).toBe(0);
    for (const bad of ['-1', '65536', 'http', '80.5'])
      expect(() => metricsPort({ REVTRAIL_METRICS_PORT: bad })).toThrow(/^REVTRAIL_METRICS_PORT ".*": must be a port/);
  });
});

describe('partitioned runners over one read store', () => {
  let dir: string;
  let events: string;
  let single: Awaited<ReturnType<typeof dump>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-partition-'));
    events = join(dir, 'events.db');
    const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
    await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, new Date(0));
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date(0));
    const all = [...generateCompany({ contracts: 60, seed: 7 })];
    const half = Math.floor(all.length / 2);
    await new Ingestor(store).ingestAll(all.slice(0, half), { actor: 'test' });
    // A mapping fix half-way: a shared-state change that reaches contracts of every partition.
    const fixed = CATALOGUE.map((e) => (e.sku === 'PLAT-STD' ? { ...e, ssp: '1500.00' } : e));
    await publishMapping(store, 'products', { products: fixed, reason: 'ssp fix' }, new Date(0));
    await new Ingestor(store).ingestAll(all.slice(half), { actor: 'test' });
    const read = new SqliteReadStore(join(dir, 'single.db'), { synchronous: 'normal' });
    await new ProjectionRunner(store, read, PROJECTIONS, { batchSize: 200 }).catchUp();
    await read.close();
    await store.close();
    single = await dump(join(dir, 'single.db'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function partitioned(path: string, count: number, batchSize: number): Promise<void> {
    const store = new SqliteEventStore({ path: events });
    const read = new SqliteReadStore(path, { synchronous: 'normal' });
    try {
      for (let index = 0; index < count; index++) {
        const scope = partitionScope(store, read, { index, count });
        await new ProjectionRunner(store, read, PROJECTIONS, { batchSize, scope }).catchUp();
      }
    } finally {
      await read.close();
      await store.close();
    }
  }

  it('N workers, each owning its contracts, build what one runner builds', async () => {
    expect((single['revenue-schedule'] as { docs: unknown[] }).docs.length).toBe(61); // 60 contracts + $products
    for (const count of [2, 3]) {
      const path = join(dir, `workers-${count}.db`);
      await partitioned(path, count, 37);
      expect(await dump(path)).toEqual(single);
    }
  });

  it('a worker of another layout, or a single process, refuses the read models until a rebuild', async () => {
    const path = join(dir, 'layout.db');
    await partitioned(path, 2, 500);
    const store = new SqliteEventStore({ path: events });
    const read = new SqliteReadStore(path);
    const worker = (partition: Partition | null) =>
      new ProjectionWorker(store, read, PROJECTIONS, {
        partition,
        batchSize: 500,
        deriveBudget: { maxSteps: 1_000_000 },
        catchUpEvents: 1_000_000,
      });
    try {
      await expect(worker({ index: 0, count: 3 }).check()).rejects.toThrow(PartitionLayoutChangedError);
      await expect(worker({ index: 0, count: 3 }).check()).rejects.toMatchObject({ code: PARTITION_LAYOUT_CHANGED });
      await expect(worker(null).check()).rejects.toThrow(/built by 2 partitioned workers; a single process cannot/);
      const runner = new ProjectionRunner(store, read, PROJECTIONS, {
        scope: partitionScope(store, read, { index: 2, count: 3 }),
      });
      await expect(runner.catchUp()).rejects.toThrow(PartitionLayoutChangedError);
      await expect(worker({ index: 1, count: 2 }).check()).resolves.toBeUndefined();

      await rebuild(store, read, PROJECTIONS, { workers: 0 });
      await expect(worker({ index: 0, count: 3 }).check()).resolves.toBeUndefined();
      await expect(worker(null).check()).resolves.toBeUndefined();
    } finally {
      await read.close();
      await store.close();
    }
    // After the rebuild, three workers go on from its checkpoint: nothing to apply twice, the same read models.
    await partitioned(path, 3, 500);
    expect(await dump(path)).toEqual(single);
  });
});
