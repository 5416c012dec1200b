// The embedded store's subscription on a connection other than the appending one (a worker thread's, another
// process's): nothing wakes it on an append, so it polls. Events appended while its consumer was busy with the ones
// before must still come at once, not after a poll interval: a follower that paused there looked caught up, and the
// live runner committed its growing batches early (src/runner/runner.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/index.js';
import { event } from './conformance.js';

describe('subscribeToAll over another connection (embedded store)', () => {
  let dir: string;
  let writer: SqliteEventStore;
  let reader: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-follow-other-'));
    writer = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    // A poll interval far longer than the test's timeout: only reading on at once can pass.
    reader = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal', pollIntervalMs: 600_000 });
  });
  afterEach(async () => {
    await reader.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers what was appended while the consumer worked on the page before, without waiting for a poll', async () => {
    await writer.append('contract-A', [event('a-0', { n: 0 })], { expectedRevision: 'no_stream' });
    const sub = reader.subscribeToAll();
    const it = sub[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.data).toEqual({ n: 0 });
    // The consumer is busy with the first event; meanwhile the other connection appends two more.
    await writer.append('contract-A', [event('a-1', { n: 1 }), event('a-2', { n: 2 })], { expectedRevision: 0 });
    const rest = [(await it.next()).value?.data, (await it.next()).value?.data];
    expect(rest).toEqual([{ n: 1 }, { n: 2 }]);
    await sub.close();
  }, 30_000);
});
