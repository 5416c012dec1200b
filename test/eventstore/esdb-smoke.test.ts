// Smoke test of the EventStoreDB adapter against the in-process gRPC test server (test/support/esdb-server.ts):
// the protocol round trips work end to end. The guarantees themselves are the conformance suite's job.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, WrongExpectedVersionError, openEsdbStore } from '../../src/store/index.js';
import { eventIdFor } from '../../schemas/index.js';
import type { EventStore } from '../../src/store/index.js';
import type { ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import { startEsdbTestServer } from '../support/esdb-server.js';
import type { EsdbTestServer } from '../support/esdb-server.js';

function event(key: string, type = 'SmokeTested'): ProposedEvent {
  return {
    eventId: eventIdFor(`smoke-${key}`),
    type,
    data: { key, amount: '12.50' },
    metadata: { schemaVersion: 1, receivedAt: '2026-01-15T10:00:00.000Z', actor: 'smoke' },
  };
}

async function collect(it: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('EventStoreDB adapter against the in-process test server', () => {
  let server: EsdbTestServer;
  let store: EventStore;

  beforeEach(async () => {
    server = await startEsdbTestServer();
    store = openEsdbStore(server.connectionString);
  });
  afterEach(async () => {
    await store.close();
    await server.close();
  });

  it('appends, reads back with the hash chain, and refuses a stale revision', async () => {
    const r = await store.append('contract-1', [event('a'), event('b')], { expectedRevision: 'no_stream' });
    expect(r.nextExpectedRevision).toBe(1);
    expect(r.position).not.toBeNull();
    const [a, b] = await collect(store.readStream('contract-1'));
    expect(a).toMatchObject({ streamId: 'contract-1', revision: 0, type: 'SmokeTested', data: { key: 'a' } });
    expect(a!.metadata.prevHash).toBe(GENESIS_HASH);
    expect(b!.metadata.prevHash).not.toBe(GENESIS_HASH);
    expect(Date.parse(a!.recordedAt)).not.toBeNaN();
    await expect(store.append('contract-1', [event('c')], { expectedRevision: 0 })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect(await store.streamRevision('contract-1')).toBe(1);
    expect(await store.streamRevision('contract-2')).toBeNull();
  });

  it('skips system events in $all and in the head position', async () => {
    await store.append('contract-1', [event('a')], { expectedRevision: 'no_stream' });
    // More system events than one backwards page, so the head search has to page.
    for (let i = 0; i < 40; i++) server.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    server.appendSystemEvent('contract-1', '$metadata-like');
    const all = await collect(store.readAll());
    expect(all.map((e) => e.streamId)).toEqual(['contract-1']);
    expect(await store.headPosition()).toEqual(all[0]!.position);
  });

  // The client's dispose() waits for every gRPC stream it handed out to end. A read abandoned after its call completed
  // (the pause lets the status arrive) still holds buffered messages, and never ends unless the adapter drains it.
  it('closes promptly after reads that stopped early', async () => {
    // Enough events to fill the client's buffers, few enough for the server to finish the call before the break.
    const some = Array.from({ length: 40 }, (_, i) => event(`n${i}`));
    await store.append('contract-1', some, { expectedRevision: 'no_stream' });
    const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
    for await (const _ of store.readStream('contract-1')) {
      await pause();
      break;
    }
    for await (const _ of store.readAll()) {
      await pause();
      break;
    }
    const suspended = store.readStream('contract-1')[Symbol.asyncIterator]();
    await suspended.next();
    await pause();
    const closed = await Promise.race([
      store.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 3000)),
    ]);
    expect(closed).toBe('closed');
    await expect(suspended.next()).rejects.toThrow('closed');
  });

  it('subscribes: catch-up, then live, then close ends the iteration', async () => {
    await store.append('contract-1', [event('a')], { expectedRevision: 'no_stream' });
    const sub = store.subscribeToAll({ filter: { streamPrefixes: ['contract-'] } });
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ streamId: 'contract-1', revision: 0 });
    await store.append('mapping-products', [event('m', 'MappingPublished')], { expectedRevision: 'no_stream' });
    await store.append('contract-1', [event('b')], { expectedRevision: 0 });
    expect((await it.next()).value).toMatchObject({ streamId: 'contract-1', revision: 1 });
    const pending = it.next();
    await sub.close();
    await expect(pending).resolves.toMatchObject({ done: true });
  });
});
