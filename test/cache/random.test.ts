// The bounded map the hot paths share (src/cache): full, it drops an entry chosen at random, so a cache smaller than
// what a busy period touches in turn still hits for a share of it; and the three caches built on it, driven the way a
// billing run drives them (every contract in turn, round after round, more contracts than the cache holds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RandomReplacementCache } from '../../src/cache/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { LastSchedules } from '../../src/revenue/index.js';
import type { EventStore } from '../../src/store/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { booking, invoice } from '../support/fixtures.js';

describe('RandomReplacementCache', () => {
  it('holds at most its capacity, replaces only when full and a key is new, and forgets on delete', () => {
    const cache = new RandomReplacementCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3); // an update replaces nothing
    expect([cache.get('a'), cache.get('b'), cache.size]).toEqual([3, 2, 2]);
    cache.set('c', 4);
    expect(cache.size).toBe(2);
    expect(cache.get('c')).toBe(4);
    expect([cache.get('a'), cache.get('b')].filter((v) => v !== undefined)).toHaveLength(1);
    cache.delete('c');
    cache.delete('nothing');
    expect([cache.get('c'), cache.size]).toEqual([undefined, 1]);
    cache.set('d', 5); // room again: nothing replaced
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
    const none = new RandomReplacementCache<number>(0);
    none.set('a', 1);
    expect([none.get('a'), none.size]).toEqual([undefined, 0]);
  });

  it('after deletes from the middle, every entry left is still found and replaced correctly', () => {
    const cache = new RandomReplacementCache<number>(50);
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, i);
    for (let i = 0; i < 50; i += 3) cache.delete(`k${i}`);
    for (let i = 0; i < 50; i++) expect(cache.get(`k${i}`)).toBe(i % 3 === 0 ? undefined : i);
    for (let i = 50; i < 200; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(50);
    let found = 0;
    for (let i = 0; i < 200; i++) if (cache.get(`k${i}`) !== undefined) found++;
    expect(found).toBe(50);
  });

  it('touched in turn by more keys than it holds, it still hits for about the share it holds', () => {
    // Dropping the least recently used would drop each key just before it is needed again: no hit at all.
    const cache = new RandomReplacementCache<number>(600);
    let hits = 0;
    for (let round = 0; round < 20; round++)
      for (let i = 0; i < 1000; i++) {
        if (cache.get(`C-${i}`) !== undefined) hits++;
        cache.set(`C-${i}`, round);
      }
    expect(hits / (19 * 1000)).toBeGreaterThan(0.3);
  });
});

describe('the caches built on it, past their capacity', () => {
  it("the revenue engine's last schedules: contracts derived in turn, more than it holds, reuse a share", () => {
    const last = new LastSchedules(60);
    const rounds = 10;
    for (let round = 0; round < rounds; round++)
      for (let i = 0; i < 100; i++) last.compute({ contractId: `C-${i}`, events: [], products: [], mappingVersion: 0 });
    // The first round computes every contract; after it, least recently computed would reuse none.
    expect(last.counts.computed + last.counts.reused).toBe(rounds * 100);
    expect(last.counts.reused / ((rounds - 1) * 100)).toBeGreaterThan(0.3);
  });

  describe("the ingest path's contract states", () => {
    let dir: string;
    let store: SqliteEventStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'revtrail-cache-'));
      store = new SqliteEventStore({ path: join(dir, 'r.db') });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a billing run through more contracts than it holds reads only a share of their streams back', async () => {
      let reads = 0;
      const counting = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'readStream')
            return (...args: Parameters<EventStore['readStream']>) => {
              reads++;
              return target.readStream(...args);
            };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }) as EventStore;
      const ingestor = new Ingestor(counting, { cacheSize: 60 });
      const contracts = Array.from({ length: 100 }, (_, i) => `C-${i}`);
      await ingestor.ingest(
        contracts.map((c) => booking(c)),
        { actor: 'test' },
      );
      reads = 0;
      const runs = 5;
      for (let run = 0; run < runs; run++) {
        // One request per contract, in turn, as a billing run sends them.
        for (const c of contracts) {
          const [result] = await ingestor.ingest([invoice(c, `INV-${c}-${run}`)], { actor: 'test' });
          expect(result).toMatchObject({ status: 'appended' });
        }
      }
      // Least recently used would read every contract's stream back on every request (500 reads).
      expect(reads).toBeLessThan(0.7 * runs * contracts.length);
      let events = 0;
      for await (const _ of store.readAll({})) events++;
      expect(events).toBe(contracts.length * (runs + 1));
    });
  });
});
