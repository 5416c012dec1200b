// The projection runner over a real SQLite event store and read store: catch-up, live, exactly once across restarts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractVersions } from '../../projections/index.js';
import type { Projection } from '../../projections/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { ProjectionRunner } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { booking, invoice } from '../support/fixtures.js';

/** Counts the events it has seen per contract: applying one twice, or skipping one, shows in the count. */
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

describe('projection runner', () => {
  let dir: string;
  let store: SqliteEventStore;
  let read: SqliteReadStore;
  let ingestor: Ingestor;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-runner-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
    read = new SqliteReadStore(join(dir, 'read.db'));
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

  it('catches up in batches, committing the checkpoint with the documents', async () => {
    await contracts(0, 20, 4);
    const batches: number[] = [];
    const runner = new ProjectionRunner(store, read, counting, {
      batchSize: 7,
      onBatch: (b) => batches.push(b.events),
    });
    expect(await runner.catchUp()).toBe(100);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(100);
    expect(Math.max(...batches)).toBe(7);
    expect(await read.get('count', 'contract-C-3')).toEqual({ n: 5, lastRevision: 4 });
    const [status] = await runner.status();
    expect(status).toMatchObject({ caughtUp: true, eventsBehind: 0 });
    expect(status!.checkpoint).toBe(status!.head);
  });

  it('a restarted runner resumes after its checkpoint: nothing applied twice, nothing skipped', async () => {
    await contracts(0, 10, 3);
    await new ProjectionRunner(store, read, counting, { batchSize: 6 }).catchUp();
    await contracts(10, 15, 3);
    await ingestor.ingest([invoice('C-2', 'INV-late')], { actor: 'test' });
    expect(await new ProjectionRunner(store, read, counting, { batchSize: 6 }).catchUp()).toBe(21);
    const docs = await read.list('count');
    expect(docs).toHaveLength(15);
    expect(docs.reduce((a, d) => a + (d.doc.n as number), 0)).toBe(61);
    expect(await read.get('count', 'contract-C-2')).toEqual({ n: 5, lastRevision: 4 });
  });

  it('does not write again a document its events left as it was (the same object), and still moves the checkpoint', async () => {
    /** Counts bookings per contract; an invoice changes nothing (its document is returned as it is). */
    const bookings: Projection = {
      name: 'bookings',
      filter: { streamPrefixes: ['contract-'] },
      keyOf: (e) => e.streamId,
      initial: () => ({ bookings: 0 }),
      evolve: (doc, e) => (e.type === 'ContractBooked' ? { bookings: (doc.bookings as number) + 1 } : doc),
    };
    const written: string[][] = [];
    const commit = read.commit.bind(read);
    read.commit = (writes) => {
      written.push(writes.flatMap((w) => [...w.docs.keys()]));
      return commit(writes);
    };
    await contracts(0, 2, 0);
    const runner = new ProjectionRunner(store, read, bookings);
    expect(await runner.catchUp()).toBe(2);
    await ingestor.ingest([invoice('C-0', 'INV-a'), invoice('C-1', 'INV-b'), booking('C-2')], { actor: 'test' });
    expect(await runner.catchUp()).toBe(3);
    expect(written).toEqual([['contract-C-0', 'contract-C-1'], ['contract-C-2']]);
    expect(await read.get('bookings', 'contract-C-0')).toEqual({ bookings: 1 });
    const [status] = await runner.status();
    expect(status).toMatchObject({ caughtUp: true, eventsBehind: 0 });
    expect(status!.checkpoint).toBe(status!.head);
  });

  it('follows the log live and stops cleanly', async () => {
    await contracts(0, 3, 1);
    const runner = new ProjectionRunner(store, read, contractVersions, {
      batchSize: 100,
      waitMs: 10,
    });
    const running = runner.run();
    await contracts(3, 5, 1);
    const deadline = Date.now() + 5000;
    while ((await read.get('contract-versions', 'C-4')) === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await read.get('contract-versions', 'C-4')).toMatchObject({ status: 'active', versionInForce: 1 });
    await runner.stop();
    await running;
    const [status] = await runner.status();
    expect(status).toMatchObject({ caughtUp: true, eventsBehind: 0 });
    expect(status!.checkpoint).toBe(status!.head);
  });
});
