// Refusals outside HTTP (imports, generators) reach the ingestor unbounded: keeping them can never throw, and the
// accepted events of the same batch are stored with them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { canonicalJson } from '../../schemas/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { booking } from '../support/fixtures.js';

describe('kept refusals of unbounded inputs', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-reject-'));
    store = new SqliteEventStore({ path: join(dir, 'store.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a batch of a booking and an event nested 10,000 levels stores the booking and keeps the refusal', async () => {
    let data: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) data = { a: data };
    const deep = { ...booking('C-DEEP-2'), data };
    const results = await new Ingestor(store).ingest([booking('C-DEEP'), deep], { actor: 'import' });
    expect(results.map((r) => r.status)).toEqual(['appended', 'rejected']);
    const kept: RecordedEvent[] = [];
    for await (const e of store.readStream(`rejections-${new Date().toISOString().slice(0, 10)}`)) kept.push(e);
    expect(kept).toHaveLength(1);
    // Too deep to keep as a value: kept as its canonical text (here under 64 KiB, so whole).
    expect(kept[0]!.data).toMatchObject({ index: 1, inputCut: false, input: canonicalJson(deep as never) });
    let n = 0;
    for await (const _ of store.readStream('contract-C-DEEP')) n++;
    expect(n).toBe(1);
  });
});
