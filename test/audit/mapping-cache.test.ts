// The mapping streams the audit queries keep in memory (src/audit/support.ts mappingEvents): over a real SQLite file
// with two connections — the reader, and another node publishing — a version published elsewhere is seen at once, and
// a caller naming versions the kept events already hold reads nothing from the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mappingEvents, mappingIndex } from '../../src/audit/support.js';
import { SqliteEventStore } from '../../src/store/index.js';
import type { EventStore, ReadStreamOptions } from '../../src/store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';

const STREAM = 'mapping-products';

/** The reader's store, counting its stream reads. */
function counted(store: SqliteEventStore): { store: EventStore; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readStream') {
        return (streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> => {
          reads++;
          return target.readStream(streamId, options);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, reads: () => reads };
}

describe('the mapping streams kept by the audit queries', () => {
  let dir: string;
  let reader: SqliteEventStore;
  let publisher: SqliteEventStore;

  const publish = (version: number) =>
    publisher.append(
      STREAM,
      [
        {
          eventId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
          type: 'ProductMappingPublished',
          data: { version, reason: `v${version}` },
          metadata: { schemaVersion: 1, receivedAt: `2026-01-0${version}T00:00:00.000Z`, actor: 'test' },
        },
      ],
      { expectedRevision: version === 1 ? 'no_stream' : version - 2 },
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-mapping-cache-'));
    reader = new SqliteEventStore({ path: join(dir, 'events.db') });
    publisher = new SqliteEventStore({ path: join(dir, 'events.db') });
  });

  afterEach(async () => {
    await reader.close();
    await publisher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees a version published through another connection on the next call', async () => {
    const { store } = counted(reader);
    await publish(1);
    expect((await mappingEvents(store, STREAM)).map((e) => e.data.version)).toEqual([1]);
    await publish(2);
    expect((await mappingEvents(store, STREAM)).map((e) => e.data.version)).toEqual([1, 2]);
    expect([...(await mappingIndex(store, 'products')).keys()]).toEqual([1, 2]);
  });

  it('reads nothing when the kept events hold every version asked for, and reads again for one they lack', async () => {
    const { store, reads } = counted(reader);
    await publish(1);
    await mappingEvents(store, STREAM);
    const before = reads();
    // Published versions never change: version 1 is answered from memory.
    expect((await mappingEvents(store, STREAM, [1])).map((e) => e.data.version)).toEqual([1]);
    expect(reads()).toBe(before);
    // Version 2, published elsewhere since, is not held: the stream is read again.
    await publish(2);
    expect([...(await mappingIndex(store, 'products', [1, 2])).keys()]).toEqual([1, 2]);
    expect(reads()).toBeGreaterThan(before);
    // A call without versions always checks the stream's last revision.
    const after = reads();
    await mappingEvents(store, STREAM);
    expect(reads()).toBe(after + 1);
  });
});
