// The read store conformance suite: the guarantees of src/readmodel/types.ts, stated once and run against every
// adapter (test/readmodel/adapters.ts). Each case opens its own empty store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GenerationRetiredError } from '../../src/readmodel/index.js';
import type { DocWrite, Generation, JsonDocWrite, ReadStore } from '../../src/readmodel/index.js';
import type { JsonObject, Position } from '../../schemas/index.js';
import type { ReadStoreHarness, ReadStoreUnderTest } from './adapters.js';

const at = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const gen = (generation: number, projection = 'p'): Generation => ({ projection, generation });

/** Keys k000.. with documents {g, i} tagged `all` and `i:<i>`. */
const docs = (g: number, n: number): Map<string, DocWrite> =>
  new Map(
    Array.from({ length: n }, (_, i) => [
      `k${String(i).padStart(4, '0')}`,
      { doc: { g, i }, tags: ['all', `i:${i}`] } satisfies DocWrite,
    ]),
  );

export function readStoreConformance(adapter: ReadStoreUnderTest): void {
  describe(`read store conformance: ${adapter.name}`, () => {
    let h: ReadStoreHarness;
    let read: ReadStore;
    beforeEach(async () => {
      h = await adapter.open();
      read = h.store;
    });
    afterEach(async () => {
      await read.close();
      await h.dispose();
    });

    const write = (entries: [string, DocWrite | JsonDocWrite][], target = gen(1), checkpoint: Position | null = null) =>
      read.commit([{ target, docs: new Map(entries), checkpoint }]);

    it('stores documents by key and reads them back by key, by keys, in key order and by count', async () => {
      const doc: JsonObject = {
        s: 'x',
        n: -1.25,
        big: 1e21,
        tiny: 5e-324,
        t: true,
        z: null,
        a: [1, 'two', { three: 3 }],
      };
      await write([
        ['b', { doc }],
        ['a', { json: '{"from":"json text","list":[1,2]}' }],
        ['c', { doc: {} }],
        ['B', { doc: { upper: true } }],
      ]);
      expect(await read.get('p', 'b')).toEqual(doc);
      expect(await read.get('p', 'a')).toEqual({ from: 'json text', list: [1, 2] });
      expect(await read.get('p', 'missing')).toBeNull();
      expect(await read.get('other', 'b')).toBeNull();
      const many = await read.getMany('p', ['a', 'c', 'missing']);
      expect([...many.keys()].sort()).toEqual(['a', 'c']);
      expect(many.get('c')).toEqual({});
      expect(await read.getMany('p', [])).toEqual(new Map());
      expect((await read.list('p')).map((d) => d.key)).toEqual(['B', 'a', 'b', 'c']);
      expect(await read.list('p', { afterKey: 'a', limit: 1 })).toEqual([{ key: 'b', doc }]);
      expect(await read.count('p')).toBe(4);
      expect(await read.count('other')).toBe(0);
      expect(await read.list('other')).toEqual([]);
    });

    it('a later write of a key replaces its document, and a null document deletes it with its tags', async () => {
      await write([
        ['a', { doc: { v: 1 }, tags: ['t'] }],
        ['b', { doc: { v: 1 }, tags: ['t'] }],
      ]);
      await write([
        ['a', { doc: { v: 2 } }],
        ['b', { doc: null }],
      ]);
      expect(await read.get('p', 'a')).toEqual({ v: 2 });
      expect(await read.get('p', 'b')).toBeNull();
      expect(await read.count('p')).toBe(1);
      expect(await read.keysByTag('p', ['t'])).toEqual(['a']);
      // A key written back after its deletion starts with no tags.
      await write([['b', { doc: { v: 3 } }]]);
      expect(await read.keysByTag('p', ['t'])).toEqual(['a']);
    });

    it('tags: a write’s tags replace the previous ones, a write without tags keeps them, each key listed once', async () => {
      await write([
        ['A', { doc: { n: 1 }, tags: ['src:x', 'sku:Y', 'sku:Y'] }],
        ['B', { json: '{"n":2}', tags: ['sku:Y', 'it’s "quoted"'] }],
      ]);
      expect(await read.keysByTag('p', ['sku:Y'])).toEqual(['A', 'B']);
      expect(await read.keysByTag('p', ['src:x', 'sku:Y', 'none'])).toEqual(['A', 'B']);
      expect(await read.keysByTag('p', ['it’s "quoted"'])).toEqual(['B']);
      expect(await read.keysByTag('p', [])).toEqual([]);
      await write([['A', { doc: { n: 3 }, tags: ['src:z'] }]]);
      expect(await read.keysByTag('p', ['src:x'])).toEqual([]);
      expect(await read.keysByTag('p', ['sku:Y'])).toEqual(['B']);
      await write([['B', { doc: { n: 4 } }]]);
      expect(await read.keysByTag('p', ['sku:Y'])).toEqual(['B']);
      await write([['B', { json: '{"n":5}', tags: [] }]]);
      expect(await read.keysByTag('p', ['sku:Y'])).toEqual([]);
    });

    it('tags: a rewrite keeping some tags, dropping some and adding some leaves exactly the new set, per key', async () => {
      const odd = 'nul:\u0000x';
      await write([
        ['A', { doc: { n: 1 }, tags: ['keep', 'drop', odd] }],
        ['B', { doc: { n: 1 }, tags: ['keep', 'drop'] }],
      ]);
      await write([
        ['A', { doc: { n: 2 }, tags: [odd, 'keep', 'new'] }],
        ['B', { doc: { n: 2 }, tags: ['drop'] }],
      ]);
      expect(await read.keysByTag('p', ['keep'])).toEqual(['A']);
      expect(await read.keysByTag('p', ['drop'])).toEqual(['B']);
      expect(await read.keysByTag('p', ['new'])).toEqual(['A']);
      expect(await read.keysByTag('p', [odd])).toEqual(['A']);
      await write([['A', { doc: null }]]);
      expect(await read.keysByTag('p', ['keep', 'new', odd])).toEqual([]);
    });

    it('keys, tags and document strings read back exactly as written, NUL and lone surrogates included', async () => {
      const odd = ['nul:\u0000x', 'lone:\ud800', 'low:\udc00!', 'pair:\ud83d\ude00', 'soh:\u0001', 'é/\\"', '\u2028'];
      const doc: JsonObject = Object.fromEntries(odd.map((s, i) => [s, [s, { [`${i}${s}`]: s }]]));
      doc['__proto__'] = 'a key, not a prototype';
      // Keys exclude lone surrogates: SQLite finds such a key but lists it back as U+FFFD.
      const keys = odd.filter((s) => !s.startsWith('lo'));
      const entries = keys.map((key): [string, DocWrite] => [key, { doc, tags: odd }]);
      await write([...entries, ['json', { json: JSON.stringify(doc), tags: ['t\u0000'] }]]);
      for (const key of keys) expect(await read.get('p', key)).toEqual(doc);
      expect(Object.getPrototypeOf(await read.get('p', 'json'))).toBe(Object.prototype);
      expect(await read.get('p', 'json')).toEqual(doc);
      expect([...(await read.getMany('p', keys)).keys()].sort()).toEqual([...keys].sort());
      expect((await read.list('p')).map((d) => d.key).sort()).toEqual([...keys, 'json'].sort());
      for (const tag of odd) expect(await read.keysByTag('p', [tag])).toEqual([...keys].sort());
      expect(await read.keysByTag('p', ['t\u0000'])).toEqual(['json']);
      expect(await read.keysByTag('p', ['lone:\ufffd', 't', 'soh:\u00010001'])).toEqual([]);
      expect(await read.get('p', 'nul:')).toBeNull();
    });

    it('checkpoints: none before the first, exact 64-bit positions, a batch without one leaves it', async () => {
      expect(await read.checkpoint('p')).toBeNull();
      const high: Position = { commit: 2n ** 63n - 1n, prepare: 2n ** 62n + 7n };
      await write([['a', { doc: {} }]], gen(1), high);
      expect(await read.checkpoint('p')).toEqual(high);
      await write([['b', { doc: {} }]], gen(1), null);
      expect(await read.checkpoint('p')).toEqual(high);
      await write([], gen(1), at(5));
      expect(await read.checkpoint(gen(1))).toEqual(at(5));
      expect(await read.checkpoint('q')).toBeNull();
    });

    it('a commit that fails inside its transaction leaves neither its documents nor its checkpoint', async () => {
      await read.commit([
        { target: gen(1, 'ok'), docs: docs(1, 3), checkpoint: at(1) },
        { target: gen(1, 'boom'), docs: docs(1, 3), checkpoint: at(1) },
      ]);
      await h.failCheckpoints('boom');
      const failing = read.commit([
        { target: gen(1, 'ok'), docs: new Map([['new', { doc: { g: 9 }, tags: ['all'] }]]), checkpoint: at(2) },
        { target: gen(1, 'boom'), docs: new Map([['k0000', { doc: null }]]), checkpoint: at(2) },
      ]);
      await expect(failing).rejects.toThrow(/checkpoint refused/);
      for (const p of ['ok', 'boom']) {
        expect(await read.checkpoint(p)).toEqual(at(1));
        expect((await read.list(p)).map((d) => d.key)).toEqual(['k0000', 'k0001', 'k0002']);
        expect(await read.keysByTag(p, ['all'])).toEqual(['k0000', 'k0001', 'k0002']);
      }
      // The store still works after the failed transaction.
      await read.commit([{ target: gen(1, 'ok'), docs: docs(1, 1), checkpoint: at(3) }]);
      expect(await read.checkpoint('ok')).toEqual(at(3));
    });

    it('a commit with one retired target throws GenerationRetiredError and writes none of its targets', async () => {
      const failing = read.commit([
        { target: gen(1, 'a'), docs: docs(1, 2), checkpoint: at(1) },
        { target: gen(2, 'b'), docs: docs(2, 2), checkpoint: at(1) },
      ]);
      await expect(failing).rejects.toBeInstanceOf(GenerationRetiredError);
      await expect(failing).rejects.toMatchObject({ target: gen(2, 'b') });
      for (const target of ['a', 'b', gen(2, 'b')]) {
        expect(await read.count(target)).toBe(0);
        expect(await read.checkpoint(target)).toBeNull();
      }
    });

    it('a rebuild fills the next generation beside the active one, and activating it swaps and drops the old', async () => {
      expect(await read.generations('p')).toEqual({ projection: 'p', active: 1, building: null });
      await read.commit([{ target: gen(1), docs: docs(1, 3), checkpoint: at(10) }]);
      const next = await read.startBuilding('p');
      expect(next).toEqual(gen(2));
      // Resumed, not restarted, until it is activated or discarded.
      expect(await read.startBuilding('p')).toEqual(gen(2));
      expect(await read.generations('p')).toEqual({ projection: 'p', active: 1, building: 2 });
      await read.commit([{ target: next, docs: docs(2, 4), checkpoint: at(4) }]);
      // Readers of the projection keep the active generation; the building one is read only by name.
      expect(await read.count('p')).toBe(3);
      expect(await read.get('p', 'k0000')).toEqual({ g: 1, i: 0 });
      expect(await read.checkpoint('p')).toEqual(at(10));
      expect(await read.count(next)).toBe(4);
      expect(await read.keysByTag(next, ['i:3'])).toEqual(['k0003']);
      expect(await read.checkpoint(next)).toEqual(at(4));
      // The live runner keeps committing to the active generation meanwhile.
      await read.commit([{ target: gen(1), docs: new Map([['live', { doc: { g: 1 } }]]), checkpoint: at(11) }]);

      await read.activate(next);
      expect(await read.generations('p')).toEqual({ projection: 'p', active: 2, building: null });
      expect(await read.count('p')).toBe(4);
      expect(await read.get('p', 'k0000')).toEqual({ g: 2, i: 0 });
      expect(await read.get('p', 'live')).toBeNull();
      expect(await read.checkpoint('p')).toEqual(at(4));
      expect(await read.keysByTag('p', ['all'])).toHaveLength(4);
      for (const check of [read.count(gen(1)), read.keysByTag(gen(1), ['all']).then((k) => k.length)])
        expect(await check).toBe(0);
      expect(await read.checkpoint(gen(1))).toBeNull();
      await expect(read.activate(next)).rejects.toBeInstanceOf(GenerationRetiredError);
      expect(await read.startBuilding('p')).toEqual(gen(3));
    });

    it('discarding the building generation drops it; the next rebuild starts empty', async () => {
      await read.commit([{ target: gen(1), docs: docs(1, 2), checkpoint: at(1) }]);
      const next = await read.startBuilding('p');
      await read.commit([{ target: next, docs: docs(2, 5), checkpoint: at(5) }]);
      await read.discard(next);
      expect(await read.generations('p')).toEqual({ projection: 'p', active: 1, building: null });
      expect(await read.count(next)).toBe(0);
      expect(await read.checkpoint(next)).toBeNull();
      expect(await read.list('p')).toHaveLength(2);
      // Discarding what is not building does nothing.
      await read.discard(gen(1));
      expect(await read.count('p')).toBe(2);
      const again = await read.startBuilding('p');
      expect(await read.count(again)).toBe(0);
      expect(await read.checkpoint(again)).toBeNull();
    });

    it('a commit to a swapped-out generation throws GenerationRetiredError and writes nothing', async () => {
      await read.commit([{ target: gen(1), docs: docs(1, 2), checkpoint: at(1) }]);
      const next = await read.startBuilding('p');
      await read.commit([{ target: next, docs: docs(2, 2), checkpoint: at(2) }]);
      await read.activate(next);
      const late = read.commit([{ target: gen(1), docs: docs(1, 3), checkpoint: at(3) }]);
      await expect(late).rejects.toBeInstanceOf(GenerationRetiredError);
      await expect(late).rejects.toMatchObject({ target: gen(1) });
      expect(await read.count(gen(1))).toBe(0);
      expect(await read.checkpoint(gen(1))).toBeNull();
      expect(await read.list('p')).toEqual([...docs(2, 2)].map(([key, w]) => ({ key, doc: w.doc })));
      expect(await read.checkpoint('p')).toEqual(at(2));
      // Nor to a generation never started.
      await expect(read.commit([{ target: gen(7), docs: docs(7, 1), checkpoint: null }])).rejects.toBeInstanceOf(
        GenerationRetiredError,
      );
    });

    it('another store object over the same state sees every commit (another node, or a restart)', async () => {
      await read.commit([{ target: gen(1), docs: docs(1, 3), checkpoint: at(3) }]);
      const next = await read.startBuilding('p');
      const other = await h.reopen();
      expect(await other.generations('p')).toEqual({ projection: 'p', active: 1, building: 2 });
      expect(await other.startBuilding('p')).toEqual(next);
      expect(await other.list('p')).toEqual(await read.list('p'));
      expect(await other.checkpoint('p')).toEqual(at(3));
    });

    it('readers during a swap see the old generation or the new one, each read completely', async () => {
      const old = 300;
      const fresh = 420;
      await read.commit([{ target: gen(1), docs: docs(1, old), checkpoint: at(1) }]);
      const next = await read.startBuilding('p');
      await read.commit([{ target: next, docs: docs(2, fresh), checkpoint: at(2) }]);
      const readers = await Promise.all([h.reopen(), h.reopen()]);
      const seen = new Set<number>();
      const size = (g: number) => (g === 1 ? old : fresh);
      const check = async (reader: ReadStore): Promise<void> => {
        const listed = await reader.list('p');
        const g = (listed[0]!.doc as { g: number }).g;
        expect(listed.every((d) => (d.doc as { g: number }).g === g)).toBe(true);
        expect(listed).toHaveLength(size(g));
        seen.add(g);
        const count = await reader.count('p');
        expect([old, fresh]).toContain(count);
        expect([old, fresh]).toContain((await reader.keysByTag('p', ['all'])).length);
        const many = await reader.getMany('p', ['k0000', 'k0299']);
        expect(new Set([...many.values()].map((d) => d.g)).size).toBe(1);
        expect([at(1), at(2)]).toContainEqual(await reader.checkpoint('p'));
      };
      // Connected and reading before the swap starts, so reads overlap it.
      for (const reader of readers) await check(reader);
      let swapped = false;
      const swap = read.activate(next).then(() => (swapped = true));
      const reading = readers.map(async (reader) => {
        do await check(reader);
        while (!swapped);
        await check(reader);
      });
      await Promise.all([swap, ...reading]);
      expect([...seen].sort()).toEqual([1, 2]);
      expect(await read.count(gen(1))).toBe(0);
    });

    it('commits racing a swap land before it (and are dropped with the old generation) or write nothing', async () => {
      await read.commit([{ target: gen(1), docs: docs(1, 50), checkpoint: at(1) }]);
      const next = await read.startBuilding('p');
      await read.commit([{ target: next, docs: docs(2, 200), checkpoint: at(2) }]);
      const writers = await Promise.all([h.reopen(), h.reopen(), h.reopen(), h.reopen()]);
      const outcomes: string[] = [];
      let started!: () => void;
      const allStarted = new Promise<void>((resolve) => (started = resolve));
      // Each writer commits to generation 1 until it finds it retired; the swap starts once every writer has committed.
      const writing = writers.map(async (writer, w) => {
        for (let i = 0; ; i++) {
          // Batches of many documents keep each commit's transaction open long enough to overlap the swap.
          const batch = new Map(
            Array.from({ length: 100 }, (_, d) => [
              `w${w}-${i}-${d}`,
              { doc: { g: 1, w, i, d }, tags: ['all', `${d}`] },
            ]),
          );
          try {
            await writer.commit([{ target: gen(1), docs: batch, checkpoint: at(100 + i) }]);
            outcomes.push(`committed ${w}`);
            if (writers.every((_, x) => outcomes.includes(`committed ${x}`))) started();
          } catch (err) {
            expect(err).toBeInstanceOf(GenerationRetiredError);
            outcomes.push('retired');
            return;
          }
        }
      });
      await allStarted;
      await read.activate(next);
      await Promise.all(writing);
      expect(outcomes.filter((o) => o === 'retired')).toHaveLength(writers.length);
      expect(await read.count(gen(1))).toBe(0);
      expect(await read.keysByTag(gen(1), ['all'])).toEqual([]);
      expect(await read.checkpoint(gen(1))).toBeNull();
      expect(await read.count('p')).toBe(200);
      expect(await read.checkpoint('p')).toEqual(at(2));
    });
  });
}
