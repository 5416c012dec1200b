// A large request shares the event loop: on the embedded store every step of ingestion is synchronous, so without
// turns of the loop in between, a 500-event request would hold the API's event loop from its first event to its
// answer, and a read arriving meanwhile would wait for all of it. Shown by the order of events, not by time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { booking, invoice } from '../support/fixtures.js';

describe('ingestion of a large request', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-yield-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets other work on the event loop run before its answer, and still appends every event once', async () => {
    const events = [];
    for (let c = 0; c < 100; c++) events.push(booking(`C-${c}`), invoice(`C-${c}`, `INV-${c}`));
    const order: string[] = [];
    const ingesting = new Ingestor(store)
      .ingest(events, { actor: 'test' })
      .then((results) => (order.push('answered'), results));
    const turns = (async () => {
      for (let turn = 0; turn < 3; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`turn ${turn}`);
      }
    })();
    const [results] = await Promise.all([ingesting, turns]);
    expect(order.indexOf('answered')).toBeGreaterThan(order.indexOf('turn 2'));
    expect(results.every((r) => r.status === 'appended')).toBe(true);
    expect(await store.countAfter(null)).toBe(200);
  });
});
