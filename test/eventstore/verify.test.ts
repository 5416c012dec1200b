// `verify` against tampering done the way an attacker with file access would: editing the SQLite file's rows. Each
// tamper is found at its exact stream, revision and position, in-process and through the real CLI (exit 1).
import { EventStoreDBClient, binaryEvent } from '@eventstore/db-client';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore, openEsdbStore, parseAnchor, verify } from '../../src/store/index.js';
import { contentHashOf } from '../../schemas/index.js';
import type { Problem, VerifyReport } from '../../src/store/index.js';
import type { JsonObject } from '../../schemas/index.js';
import { run } from '../support/cli.js';
import { startEsdbTestServer } from '../support/esdb-server.js';
import { event } from './conformance.js';

/** What a test asserts of a problem: where it is and what kind. */
type Where = Pick<Problem, 'kind' | 'streamId' | 'revision' | 'position'>;
const where = (p: Problem): Where => ({
  kind: p.kind,
  streamId: p.streamId,
  revision: p.revision,
  position: p.position,
});

/*
 * The log of every case:  position  1    2    3    4    5    6
 *                         stream    C-1  C-1  C-1  C-1  C-2  C-2
 *                         revision  0    1    2    3    0    1
 */
describe('verify finds every tamper at its stream, revision and position', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-verify-'));
    path = join(dir, 'revtrail.db');
    const store = new SqliteEventStore({ path });
    await store.append(
      'contract-C-1',
      [1, 2, 3, 4].map((i) => event(`c1-${i}`, { amount: `${i}200.00` })),
      { expectedRevision: 'no_stream' },
    );
    await store.append(
      'contract-C-2',
      [1, 2].map((i) => event(`c2-${i}`, { amount: `${i}50.00` })),
      { expectedRevision: 'no_stream' },
    );
    expect(await verify(store)).toMatchObject({ ok: true, eventsChecked: 6, streamsChecked: 2, problems: [] });
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs SQL on the file directly, outside the store. */
  const sql = (text: string, ...params: unknown[]): number => {
    const db = new Database(path);
    try {
      return db.prepare(text).run(...params).changes;
    } finally {
      db.close();
    }
  };
  const row = <T>(text: string): T => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(text).get() as T;
    } finally {
      db.close();
    }
  };
  /** Moves the row at position `a` to `b` and the one at `b` to `a`. */
  const swapPositions = (a: number, b: number): void => {
    expect(sql('UPDATE events SET position = -1 WHERE position = ?', a)).toBe(1);
    expect(sql('UPDATE events SET position = ? WHERE position = ?', a, b)).toBe(1);
    expect(sql('UPDATE events SET position = ? WHERE position = -1', b)).toBe(1);
  };
  const inProcess = async (streamId?: string): Promise<VerifyReport> => {
    const store = new SqliteEventStore({ path });
    try {
      return await verify(store, streamId === undefined ? {} : { streamId });
    } finally {
      await store.close();
    }
  };
  /** `revtrail verify` on the file: it must exit 1; returns the problems it printed. */
  const cliProblems = async (...args: string[]): Promise<Where[]> => {
    const r = await run(['verify', ...args], { REVTRAIL_STORE: path });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.problemCount).toBe(report.problems.length);
    return report.problems.map(where);
  };

  it('a single altered byte in an event’s data is found at that event', async () => {
    const { data } = row<{ data: string }>('SELECT data FROM events WHERE position = 3');
    const at = data.indexOf('3200.00');
    const altered = `${data.slice(0, at)}4${data.slice(at + 1)}`; // one byte: 3200.00 -> 4200.00
    expect(Buffer.byteLength(altered)).toBe(Buffer.byteLength(data));
    expect(sql('UPDATE events SET data = ? WHERE position = 3', altered)).toBe(1);

    expect(await cliProblems()).toEqual([
      { kind: 'CONTENT_HASH_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '3' },
    ]);
    expect((await inProcess('contract-C-1')).problems.map(where)).toEqual([
      { kind: 'CONTENT_HASH_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '3' },
    ]);
    expect((await inProcess('contract-C-2')).ok).toBe(true);
  });

  it('an event removed from the middle of a stream is missing at its revision and breaks the log at the next', async () => {
    expect(sql('DELETE FROM events WHERE position = 2')).toBe(1);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_LINK_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '3' },
      { kind: 'EVENT_MISSING', streamId: 'contract-C-1', revision: 1, position: null },
    ]);
    expect((await inProcess('contract-C-1')).problems.map(where)).toEqual([
      { kind: 'EVENT_MISSING', streamId: 'contract-C-1', revision: 1, position: null },
    ]);
  });

  it('the newest event of a stream removed is missing against the stream’s recorded head', async () => {
    expect(sql('DELETE FROM events WHERE position = 4')).toBe(1); // contract-C-1's newest, not the log's
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_LINK_MISMATCH', streamId: 'contract-C-2', revision: 0, position: '5' },
      { kind: 'EVENT_MISSING', streamId: 'contract-C-1', revision: 3, position: null },
    ]);
    expect((await inProcess('contract-C-1')).problems.map(where)).toEqual([
      { kind: 'EVENT_MISSING', streamId: 'contract-C-1', revision: 3, position: null },
    ]);
  });

  it('the newest event of the log removed is missing against the stream head and the log head', async () => {
    expect(sql('DELETE FROM events WHERE position = 6')).toBe(1);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HEAD_MISMATCH', streamId: null, revision: null, position: '6' },
      { kind: 'EVENT_MISSING', streamId: 'contract-C-2', revision: 1, position: null },
    ]);
  });

  it('a removed stream is missing against the head table, and without its head row the log chain shows it', async () => {
    expect(sql("DELETE FROM events WHERE stream_id = 'contract-C-1'")).toBe(4);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_LINK_MISMATCH', streamId: 'contract-C-2', revision: 0, position: '5' },
      { kind: 'STREAM_MISSING', streamId: 'contract-C-1', revision: 0, position: null },
    ]);
    expect(sql("DELETE FROM streams WHERE stream_id = 'contract-C-1'")).toBe(1);
    const report = await inProcess();
    expect(report.problems.map(where)).toEqual([
      { kind: 'LOG_LINK_MISMATCH', streamId: 'contract-C-2', revision: 0, position: '5' },
    ]);
    expect(report.problems[0]!.message).toMatch(/positions 1–4 are missing/);
  });

  it('two events of a stream swapped in the log are found at both positions, and the late revision named', async () => {
    swapPositions(2, 3); // contract-C-1 revision 2 now before revision 1
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '2' },
      { kind: 'OUT_OF_ORDER', streamId: 'contract-C-1', revision: 1, position: '3' },
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-1', revision: 1, position: '3' },
    ]);
  });

  it('two events of a stream swapped in their revisions are found at both rows', async () => {
    expect(sql('UPDATE events SET revision = -1 WHERE position = 2')).toBe(1);
    expect(sql('UPDATE events SET revision = 1 WHERE position = 3')).toBe(1);
    expect(sql('UPDATE events SET revision = 2 WHERE position = 2')).toBe(1);
    const problems = await cliProblems();
    expect(problems).toContainEqual({
      kind: 'LOG_HASH_MISMATCH',
      streamId: 'contract-C-1',
      revision: 2,
      position: '2',
    });
    expect(problems).toContainEqual({
      kind: 'LOG_HASH_MISMATCH',
      streamId: 'contract-C-1',
      revision: 1,
      position: '3',
    });
    expect(problems).toContainEqual({
      kind: 'OUT_OF_ORDER',
      streamId: 'contract-C-1',
      revision: 1,
      position: '3',
    });
  });

  it('adjacent events of different streams swapped are found at both positions, and nowhere else', async () => {
    swapPositions(4, 5); // contract-C-1 revision 3 <-> contract-C-2 revision 0: each stream's order is unchanged
    expect((await inProcess('contract-C-1')).ok).toBe(true);
    expect((await inProcess('contract-C-2')).ok).toBe(true);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-2', revision: 0, position: '4' },
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-1', revision: 3, position: '5' },
    ]);
  });

  it('altered metadata of the newest event is found at it: against the stream head and the log chain', async () => {
    const replace = `UPDATE events SET metadata = replace(metadata, '"actor":"test"', '"actor":"mallory"') WHERE position = ?`;
    expect(sql(replace, 6)).toBe(1);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
      { kind: 'STREAM_HEAD_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
    ]);
    expect((await inProcess('contract-C-2')).problems.map(where)).toEqual([
      { kind: 'STREAM_HEAD_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
    ]);
  });

  it('altered metadata of an earlier event is found at it, and breaks the next link of its stream', async () => {
    const replace = `UPDATE events SET metadata = replace(metadata, '"actor":"test"', '"actor":"mallory"') WHERE position = ?`;
    expect(sql(replace, 2)).toBe(1);
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-1', revision: 1, position: '2' },
      { kind: 'PREV_HASH_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '3' },
    ]);
  });

  it('data altered with its content hash recomputed is found at that event', async () => {
    const stored = row<{ data: string; metadata: string }>('SELECT data, metadata FROM events WHERE position = 6');
    const data = { ...(JSON.parse(stored.data) as JsonObject), amount: '99999.00' };
    const metadata = JSON.parse(stored.metadata) as { contentHash: string };
    metadata.contentHash = contentHashOf('TestEvent', data);
    sql('UPDATE events SET data = ?, metadata = ? WHERE position = 6', JSON.stringify(data), JSON.stringify(metadata));
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
      { kind: 'STREAM_HEAD_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
    ]);
  });

  it('rows that no longer parse are reported at their stream and revision, and reading goes on to the end', async () => {
    expect(sql('UPDATE events SET data = substr(data, 2) WHERE position = 2')).toBe(1);
    expect(sql("UPDATE events SET metadata = 'not json' WHERE position = 5")).toBe(1);
    expect(sql("UPDATE events SET data = replace(data, '250.00', '251.00') WHERE position = 6")).toBe(1);
    const report = await inProcess();
    expect(report.eventsChecked).toBe(6);
    expect(report.problems.map(where)).toEqual([
      { kind: 'UNREADABLE', streamId: 'contract-C-1', revision: 1, position: '2' },
      { kind: 'UNREADABLE', streamId: 'contract-C-2', revision: 0, position: '5' },
      { kind: 'CONTENT_HASH_MISMATCH', streamId: 'contract-C-2', revision: 1, position: '6' },
    ]);
    expect(await cliProblems()).toEqual(report.problems.map(where));
  });

  it('--anchor prints the log head’s digest, and --against accepts it after more appends', async () => {
    const anchored = await run(['verify', '--anchor'], { REVTRAIL_STORE: path });
    expect(anchored.code).toBe(0);
    const digest = anchored.stdout.trim();
    const head = row<{ hash: string }>('SELECT hash FROM log_head');
    expect(digest).toBe(`rt1:6:${head.hash}`);

    const store = new SqliteEventStore({ path });
    await store.append('contract-C-3', [event('c3-1')], { expectedRevision: 'no_stream' });
    await store.close();
    const r = await run(['verify', '--against', digest], { REVTRAIL_STORE: path });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, checked: { anchor: true }, eventsChecked: 7 });

    const bad = await run(['verify', '--against', 'rt1:6:abc'], { REVTRAIL_STORE: path });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--against: INVALID_ANCHOR/);
  });

  it('the newest events cut off with every head rewritten to match are caught only by --against', async () => {
    const digest = (await run(['verify', '--anchor'], { REVTRAIL_STORE: path })).stdout.trim();
    // Remove contract-C-2's revision 1 and make both heads agree: its prevHash is revision 0's hash.
    const newest = row<{ metadata: string }>('SELECT metadata FROM events WHERE position = 6');
    const { prevHash } = JSON.parse(newest.metadata) as { prevHash: string };
    sql('DELETE FROM events WHERE position = 6');
    sql("UPDATE streams SET revision = 0, head_hash = ? WHERE stream_id = 'contract-C-2'", prevHash);
    sql('UPDATE log_head SET position = 5, hash = (SELECT lower(hex(log_hash)) FROM events WHERE position = 5)');

    const plain = await run(['verify'], { REVTRAIL_STORE: path });
    expect(plain.code).toBe(0);
    expect(await cliProblems('--against', digest)).toEqual([
      { kind: 'ANCHOR_MISMATCH', streamId: null, revision: null, position: '6' },
    ]);
  });

  it('a log head reset to start the chain later is found at the first row that carries a chain hash', async () => {
    sql('DELETE FROM log_head');
    const store = new SqliteEventStore({ path }); // opening starts a new chain after the newest event
    await store.close();
    expect(await cliProblems()).toEqual([
      { kind: 'LOG_HEAD_MISMATCH', streamId: 'contract-C-1', revision: 0, position: '1' },
    ]);
  });

  it('a store from before the global chain opens, verifies by the stream rules, and chains what comes after', async () => {
    sql('DROP TABLE log_head');
    sql('ALTER TABLE events DROP COLUMN log_prev');
    sql('ALTER TABLE events DROP COLUMN log_hash');
    const store = new SqliteEventStore({ path });
    expect(await verify(store)).toMatchObject({ ok: true, logChainFrom: '7', eventsChecked: 6 });
    await store.append('contract-C-2', [event('c2-3')], { expectedRevision: 1 });
    expect(await verify(store)).toMatchObject({ ok: true, logChainFrom: '7', eventsChecked: 7 });
    await store.close();

    const replace = `UPDATE events SET metadata = replace(metadata, '"actor":"test"', '"actor":"mallory"') WHERE position = ?`;
    sql(replace, 2); // before the chain: the stream chain finds it
    sql(replace, 7); // in the chain: found at the row
    expect(await cliProblems()).toEqual([
      { kind: 'PREV_HASH_MISMATCH', streamId: 'contract-C-1', revision: 2, position: '3' },
      { kind: 'LOG_HASH_MISMATCH', streamId: 'contract-C-2', revision: 2, position: '7' },
      { kind: 'STREAM_HEAD_MISMATCH', streamId: 'contract-C-2', revision: 2, position: '7' },
    ]);
  });
});

describe('verify on a store in use', () => {
  it('reads one snapshot: events appended while it reads raise no alarm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-verify-'));
    const store = new SqliteEventStore({ path: join(dir, 'revtrail.db') });
    try {
      await store.append('contract-C-1', [event('s-1'), event('s-2')], { expectedRevision: 'no_stream' });
      const appendingMeanwhile = {
        integrity: async () => {
          const view = await store.integrity();
          await store.append('contract-C-1', [event('s-3')], { expectedRevision: 1 });
          await store.append('contract-C-9', [event('s-4')], { expectedRevision: 'no_stream' });
          return view;
        },
      };
      expect(await verify(appendingMeanwhile)).toMatchObject({ ok: true, eventsChecked: 2, streamsChecked: 1 });
      expect(await verify(store)).toMatchObject({ ok: true, eventsChecked: 4, streamsChecked: 2 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verify on EventStoreDB', () => {
  it('reports an event it cannot read at its stream and revision, reads on, and anchors the log', async () => {
    const server = await startEsdbTestServer();
    const store = openEsdbStore(server.connectionString);
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      await store.append('contract-E-1', [event('e1-1'), event('e1-2')], { expectedRevision: 'no_stream' });
      const clean = await verify(store);
      expect(clean).toMatchObject({ ok: true, checked: { streamHeads: false, logChain: false }, logChainFrom: null });
      expect(clean.anchor).toMatch(/^rt1:\d+:[0-9a-f]{64}$/);

      await client.appendToStream('contract-E-2', binaryEvent({ type: 'Blob', data: new Uint8Array([1, 2, 3]) }));
      await store.append('contract-E-1', [event('e1-3')], { expectedRevision: 1 });
      const report = await verify(store, { against: parseAnchor(clean.anchor!) });
      expect(report.eventsChecked).toBe(4);
      expect(report.problems.map((p) => [p.kind, p.streamId, p.revision])).toEqual([['UNREADABLE', 'contract-E-2', 0]]);
    } finally {
      await client.dispose();
      await store.close();
      await server.close();
    }
  });
});
