// The live follower's batches and document cache, over a real SQLite event store and read store: a follower behind the
// log grows its batches (so a contract touched all through a burst is derived once per larger batch), and keeps the
// documents it committed in memory without ever serving one the read store does not hold.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Projection } from '../../projections/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import type { ReadQuery } from '../../src/readmodel/sqlite.js';
import { DocumentCache } from '../../src/runner/cache.js';
import { ProjectionRunner, QUARANTINE_TAG, rebuild } from '../../src/runner/index.js';
import type { RunnerOptions } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { booking, invoice } from '../support/fixtures.js';

/** Counts the events it has seen per contract: applying one twice, skipping one, or folding onto a stale copy throws. */
const counting: Projection = {
  name: 'count',
  filter: { streamPrefixes: ['contract-'] },
  keyOf: (e) => e.streamId,
  initial: () => ({ n: 0, lastRevision: -1 }),
  evolve: (doc, e) => {
    if (e.revision !== (doc.lastRevision as number) + 1)
      throw new Error(`${e.streamId}: revision ${e.revision} after ${doc.lastRevision as number}`);
    return { n: (doc.n as number) + 1, lastRevision: e.revision };
  },
};

describe('live follower batches and document cache', () => {
  let dir: string;
  let store: SqliteEventStore;
  let read: SqliteReadStore;
  let ingestor: Ingestor;
  /** SQL statements the read store ran to load documents (getMany) since the test began. */
  let documentReads: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-follow-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
    documentReads = 0;
    read = new SqliteReadStore(join(dir, 'read.db'), {
      onQuery: (q: ReadQuery) => {
        if (q.op === 'getMany') documentReads += q.statements;
      },
    });
    ingestor = new Ingestor(store);
  });
  afterEach(async () => {
    await read.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const contracts = async (from: number, to: number, invoices: number) => {
    const events = [];
    for (let c = from; c < to; c++) {
      events.push(booking(`C-${c}`));
      for (let i = 0; i < invoices; i++) events.push(invoice(`C-${c}`, `INV-${c}-${i}`));
    }
    await ingestor.ingest(events, { actor: 'test' });
  };
  const invoices = async (contract: string, from: number, to: number) => {
    const events = [];
    for (let i = from; i < to; i++) events.push(invoice(contract, `INV-${contract}-x${i}`));
    await ingestor.ingest(events, { actor: 'test' });
  };
  const until = async (done: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await done()).toBe(true);
  };
  const countOf = async (contract: string, target: string | { projection: string; generation: number } = 'count') =>
    (await read.get(target, `contract-${contract}`))?.n ?? 0;
  /** A live follower of `projection` recording each batch's size; `stop` ends it. */
  const follow = (projection: Projection, options: RunnerOptions) => {
    const batches: number[] = [];
    const runner = new ProjectionRunner(store, read, projection, {
      ...options,
      onBatch: (b) => batches.push(b.events),
    });
    const running = runner.run();
    const stop = async (): Promise<void> => {
      await runner.stop();
      await running;
    };
    return { batches, stop };
  };
  /** `requests` requests of one invoice each to `contract`, `gapMs` apart. */
  const paced = async (contract: string, requests: number, gapMs: number) => {
    for (let i = 0; i < requests; i++) {
      await invoices(contract, i, i + 1);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  };

  it('a follower behind doubles its batch up to maxBatchSize; after a batch committed on time, the next may hold twice as many', async () => {
    await contracts(0, 60, 4); // 300 events waiting before the follower starts
    const { batches, stop } = follow(counting, { batchSize: 10, maxBatchSize: 80, waitMs: 300 });
    await until(async () => batches.reduce((a, b) => a + b, 0) === 300);
    expect(batches.slice(0, 4)).toEqual([10, 20, 40, 80]);
    expect(Math.max(...batches)).toBe(80);
    expect(batches.at(-1)).toBe(70); // the rest, committed on time
    const quiet = batches.length;
    await contracts(60, 65, 4); // 25 more after the log went quiet: more than batchSize, less than twice the 70
    await until(async () => batches.reduce((a, b) => a + b, 0) === 325);
    expect(batches.slice(quiet)).toEqual([25]);
    await stop();
    expect(await read.count('count')).toBe(65);
    expect(await countOf('C-64')).toBe(5);
    expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual([]);
  });

  it('after a slow commit, a batch waits as long as it took for more events (coalesceMaxMs), and commits them together', async () => {
    // Folding the booking of a SLOW- contract takes a second: the commit after it takes at least that long.
    const slow: Projection = {
      ...counting,
      evolve: (doc, e, shared) => {
        if (e.streamId.startsWith('contract-SLOW-') && e.revision === 0)
          for (const t = Date.now(); Date.now() - t < 1000;);
        return counting.evolve(doc, e, shared);
      },
    };
    const spans: number[][] = [];
    for (const coalesceMaxMs of [1000, 0]) {
      const { batches, stop } = follow(slow, { batchSize: 50, waitMs: 10, coalesceMaxMs });
      const contract = `W-${coalesceMaxMs}`;
      await ingestor.ingest([booking(`SLOW-${coalesceMaxMs}`), booking(contract)], { actor: 'test' });
      await until(async () => (await countOf(contract)) === 1);
      const before = batches.length;
      // Four requests 30 ms apart: three times waitMs between them, a tenth of the slow commit in all.
      await paced(contract, 4, 30);
      await until(async () => (await countOf(contract)) === 5);
      await stop();
      spans.push(batches.slice(before));
    }
    expect(spans[0]).toEqual([4]);
    expect(spans[1]!.length).toBeGreaterThan(1);
  });

  it('a steady trickle with no quiet gap commits at the latest coalesceMaxMs after a batch began, not only when full', async () => {
    const { batches, stop } = follow(counting, { batchSize: 500, waitMs: 200, coalesceMaxMs: 300 });
    // 40 invoices 30 ms apart (~1.2 s): never 200 ms without an event, far fewer than a batch.
    await ingestor.ingest([booking('T')], { actor: 'test' });
    await until(async () => (await countOf('T')) === 1);
    const before = batches.length;
    await paced('T', 40, 30);
    await until(async () => (await countOf('T')) === 41);
    await stop();
    const trickle = batches.slice(before);
    expect(trickle.reduce((a, b) => a + b, 0)).toBe(40);
    expect(trickle.length).toBeGreaterThanOrEqual(3);
  });

  it('a cached document is not read from the read store again; without the cache it is, each batch', async () => {
    for (const cachedDocuments of [100, 0]) {
      const runner = new ProjectionRunner(store, read, counting, { batchSize: 50, waitMs: 10, cachedDocuments });
      const running = runner.run();
      const contract = `K-${cachedDocuments}`;
      await ingestor.ingest([booking(contract)], { actor: 'test' });
      await until(async () => (await countOf(contract)) === 1);
      const before = documentReads;
      for (let round = 0; round < 3; round++) {
        await invoices(contract, round, round + 1);
        await until(async () => (await countOf(contract)) === round + 2);
      }
      await runner.stop();
      await running;
      if (cachedDocuments > 0) expect(documentReads - before).toBe(0);
      else expect(documentReads - before).toBe(3);
    }
  });

  it('a cache too small for the documents evicts some, and the follower still equals a build from the log', async () => {
    const runner = new ProjectionRunner(store, read, counting, { batchSize: 7, waitMs: 10, cachedDocuments: 3 });
    const running = runner.run();
    for (let round = 0; round < 4; round++) {
      await contracts(round * 5, round * 5 + 5, 2);
      for (const c of [0, 3, round * 5 + 1]) await invoices(`C-${c}`, round * 10, round * 10 + 2);
    }
    await until(async () => (await runner.status()).every((s) => s.caughtUp));
    await runner.stop();
    await running;
    const fresh = new SqliteReadStore(join(dir, 'fresh.db'));
    await new ProjectionRunner(store, fresh, counting, { batchSize: 1000 }).catchUp();
    expect(await read.list('count')).toEqual(await fresh.list('count'));
    await fresh.close();
    expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual([]);
  });

  it('after a rebuild swapped in a new generation, the follower folds onto its documents, not its cached old ones', async () => {
    const runner = new ProjectionRunner(store, read, counting, { batchSize: 50, waitMs: 10, cachedDocuments: 100 });
    let running = runner.run();
    await contracts(0, 2, 2);
    await until(async () => (await countOf('C-0')) === 3);
    await runner.stop();
    await running;
    await invoices('C-0', 0, 2); // folded by the rebuild only: the old generation's copy stays at 3
    await rebuild(store, read, [counting]);
    expect((await read.generations('count')).active).toBe(2);
    running = runner.run();
    await invoices('C-0', 2, 3);
    await until(async () => (await countOf('C-0')) === 6);
    await runner.stop();
    await running;
    expect(await read.keysByTag('count', [QUARANTINE_TAG])).toEqual([]);
  });

  it('the cache keeps documents per generation, replaces one when full, and forgets deleted ones', () => {
    const cache = new DocumentCache(2);
    const g1 = { projection: 'p', generation: 1 };
    const g2 = { projection: 'p', generation: 2 };
    cache.committed(g1, 'a', { v: 'a1' });
    cache.committed(g1, 'b', { v: 'b1' });
    cache.committed(g1, 'a', { v: 'a2' }); // written again: the same entry, the newer document
    expect(cache.get(g1, 'a')).toEqual({ v: 'a2' });
    expect(cache.get(g2, 'a')).toBeUndefined();
    cache.committed(g1, 'c', { v: 'c1' }); // full: c takes a or b's place
    expect(cache.size).toBe(2);
    expect(cache.get(g1, 'c')).toEqual({ v: 'c1' });
    expect([cache.get(g1, 'a'), cache.get(g1, 'b')].filter((d) => d !== undefined)).toHaveLength(1);
    cache.committed(g1, 'c', null);
    expect(cache.get(g1, 'c')).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.committed(g1, 'd', { v: 'd1' }); // room again: nothing replaced
    expect(cache.size).toBe(2);
    expect(() => new DocumentCache(0).committed(g1, 'a', { v: 1 })).not.toThrow();
  });

  it('a cache smaller than the documents a busy period touches in turn still hits for a share of them', () => {
    // Batch after batch touches the same 1,000 documents in the same order (a billing run through every contract),
    // with room for 600: dropping the least recently used would drop each one just before it is needed again.
    const cache = new DocumentCache(600);
    const g = { projection: 'p', generation: 1 };
    let hits = 0;
    for (let round = 0; round < 20; round++)
      for (let i = 0; i < 1000; i++) {
        const key = `C-${i}`;
        if (cache.get(g, key) !== undefined) hits++;
        cache.committed(g, key, { round });
      }
    expect(cache.size).toBe(600);
    expect(hits / (19 * 1000)).toBeGreaterThan(0.3);
  });
});
