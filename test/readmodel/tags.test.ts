// The read store's tag index on a real SQLite file: a write's tags replace the document's previous ones, a write
// without tags keeps them, deleting the document drops them, a tag given twice is stored once, and a tag is found
// spelled exactly as written, whatever its characters (the tags reach SQLite as one JSON array per document).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocWrite, Generation, JsonDocWrite } from '../../src/readmodel/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';

describe('read store tags', () => {
  let dir: string;
  let read: SqliteReadStore;
  let target: Generation;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-tags-'));
    read = new SqliteReadStore(join(dir, 'read.db'));
    target = { projection: 'p', generation: 1 };
  });
  afterEach(async () => {
    await read.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (docs: [string, DocWrite | JsonDocWrite][]) =>
    read.commit([{ target, docs: new Map(docs), checkpoint: null }]);
  const tagged = async (tag: string) => read.keysByTag('p', [tag]);

  it('replaces, keeps and drops a document’s tags as its writes say', async () => {
    await write([
      ['A', { doc: { n: 1 }, tags: ['src:x', 'sku:Y', 'sku:Y'] }],
      ['B', { json: '{"n":2}', tags: ['sku:Y', 'it’s "quoted"'] }],
    ]);
    expect(await tagged('sku:Y')).toEqual(['A', 'B']);
    expect(await tagged('src:x')).toEqual(['A']);
    expect(await tagged('it’s "quoted"')).toEqual(['B']);

    await write([['A', { doc: { n: 3 }, tags: ['src:z'] }]]);
    expect(await tagged('src:x')).toEqual([]);
    expect(await tagged('sku:Y')).toEqual(['B']);
    expect(await tagged('src:z')).toEqual(['A']);

    await write([['B', { doc: { n: 4 } }]]);
    expect(await tagged('sku:Y')).toEqual(['B']);

    await write([['B', { json: '{"n":5}', tags: [] }]]);
    expect(await tagged('sku:Y')).toEqual([]);

    await write([['A', { doc: null }]]);
    expect(await tagged('src:z')).toEqual([]);
    expect(await read.get('p', 'A')).toBeNull();
    expect(await read.get('p', 'B')).toEqual({ n: 5 });
  });

  it('a rewrite that keeps some tags, drops others and adds new ones leaves exactly the new set', async () => {
    const odd = 'src:6:system:\ud800';
    await write([['A', { doc: { n: 1 }, tags: ['keep', 'drop', odd] }]]);
    await write([['A', { doc: { n: 2 }, tags: [odd, 'keep', 'new', 'new'] }]]);
    expect(await tagged('keep')).toEqual(['A']);
    expect(await tagged(odd)).toEqual(['A']);
    expect(await tagged('new')).toEqual(['A']);
    expect(await tagged('drop')).toEqual([]);
    await write([['A', { doc: { n: 3 }, tags: ['keep'] }]]);
    for (const gone of [odd, 'new', 'drop']) expect(await tagged(gone)).toEqual([]);
    expect(await tagged('keep')).toEqual(['A']);
  });

  it('finds a tag spelled with any characters, a lone surrogate and NUL included, as it was written', async () => {
    const odd = ['src:6:system:\ud800', 'nul:\u0000x', 'é/\\"', '\u2028'];
    await write([['A', { doc: {}, tags: odd }]]);
    for (const tag of odd) expect(await tagged(tag)).toEqual(['A']);
    expect(await tagged('src:6:system:\ufffd')).toEqual([]);
  });

  it('stores a tag given twice once, so a document is listed once', async () => {
    await write([['A', { doc: {}, tags: ['t', 't', 'u'] }]]);
    expect(await read.keysByTag('p', ['t', 'u'])).toEqual(['A']);
  });
});
