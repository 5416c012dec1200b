// The clash path of ingestion: another API node appends between our read and our append. In one process the
// embedded store never interleaves requests, so the other node's write is injected at exactly that point.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/index.js';
import { booking as bookingFor, invoice as invoiceFor } from '../support/fixtures.js';

const booking = bookingFor('C-7');
const invoice = (id: string) => invoiceFor('C-7', id);

/** A store whose next write to contract C-7 is preceded by `interloper` (another node's request) running to completion. */
function withInterloper(store: EventStore, interloper: () => Promise<unknown>): EventStore {
  let armed = true;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendMany') {
        return async (requests: Parameters<EventStore['appendMany']>[0]) => {
          if (armed && requests.some((r) => r.streamId === 'contract-C-7')) {
            armed = false;
            await interloper();
          }
          return target.appendMany(requests);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('ingestion under a concurrent writer on another node', () => {
  let dir: string;
  let store: SqliteEventStore;
  let otherNode: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-ingest-'));
    store = new SqliteEventStore({ path: join(dir, 'r.db') });
    otherNode = new SqliteEventStore({ path: join(dir, 'r.db') });
  });
  afterEach(async () => {
    await store.close();
    await otherNode.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const streamTypes = async () => {
    const out: string[] = [];
    for await (const e of store.readStream('contract-C-7'))
      out.push(`${e.revision}:${e.type}:${typeof e.data.invoiceId === 'string' ? e.data.invoiceId : ''}`);
    return out;
  };

  it('a clash is retried on the caught-up state: both writes land, in order, once', async () => {
    const other = new Ingestor(otherNode);
    await other.ingest([booking], { actor: 'node-b' });
    const ours = new Ingestor(withInterloper(store, () => other.ingest([invoice('INV-B')], { actor: 'node-b' })));
    await ours.loadState('C-7'); // our node has read the contract before the other node writes
    const results = await ours.ingest([invoice('INV-A')], { actor: 'node-a' });
    expect(results[0]).toMatchObject({ status: 'appended' });
    expect(await streamTypes()).toEqual(['0:ContractBooked:', '1:InvoiceIssued:INV-B', '2:InvoiceIssued:INV-A']);
  });

  it('the same event delivered to both nodes at once is stored once; the loser answers duplicate', async () => {
    const other = new Ingestor(otherNode);
    await other.ingest([booking], { actor: 'node-b' });
    const ours = new Ingestor(withInterloper(store, () => other.ingest([invoice('INV-A')], { actor: 'node-b' })));
    const results = await ours.ingest([invoice('INV-A')], { actor: 'node-a' });
    expect(results[0]).toMatchObject({ status: 'duplicate' });
    expect(await streamTypes()).toEqual(['0:ContractBooked:', '1:InvoiceIssued:INV-A']);
  });

  it('a rule that depends on state is decided again after the clash (the invoice id was taken meanwhile)', async () => {
    const other = new Ingestor(otherNode);
    await other.ingest([booking], { actor: 'node-b' });
    const rival = { ...invoice('INV-A'), source: { system: 'billing', id: 'INV-A-resent', version: 1 } };
    const ours = new Ingestor(withInterloper(store, () => other.ingest([rival], { actor: 'node-b' })));
    const results = await ours.ingest([invoice('INV-A')], { actor: 'node-a' });
    expect(results[0]).toMatchObject({ status: 'rejected', errors: [{ code: 'INVOICE_ALREADY_ISSUED' }] });
    expect(await streamTypes()).toHaveLength(2);
  });
});
