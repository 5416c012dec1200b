// `verify` against tampering done the way an attacker with file access would: editing the SQLite file's rows.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore, verify } from '../../src/store/index.js';
import { event } from './conformance.js';

describe('verify finds the first broken link of a tampered store', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-verify-'));
    path = join(dir, 'revtrail.db');
    const store = new SqliteEventStore({ path });
    await store.append(
      'contract-C-1',
      [1, 2, 3, 4].map((i) => event(`c1-${i}`, { amount: `${i}200.00` })),
      {
        expectedRevision: 'no_stream',
      },
    );
    await store.append(
      'contract-C-2',
      [1, 2].map((i) => event(`c2-${i}`, { amount: `${i}50.00` })),
      {
        expectedRevision: 'no_stream',
      },
    );
    expect((await verify(store)).ok).toBe(true);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Edits the stored row directly in the file, outside the store. */
  const tamper = (sql: string, ...params: unknown[]): void => {
    const db = new Database(path);
    const changed = db.prepare(sql).run(...params).changes;
    db.close();
    expect(changed).toBe(1);
  };
  const reportAfterTamper = async () => {
    const store = new SqliteEventStore({ path });
    try {
      return {
        all: await verify(store),
        c1: await verify(store, 'contract-C-1'),
        c2: await verify(store, 'contract-C-2'),
      };
    } finally {
      await store.close();
    }
  };

  it('a single altered byte in an event’s data breaks that event’s content hash', async () => {
    const db = new Database(path);
    const { data } = db.prepare("SELECT data FROM events WHERE stream_id = 'contract-C-1' AND revision = 2").get() as {
      data: string;
    };
    db.close();
    const at = data.indexOf('3200.00');
    const altered = `${data.slice(0, at)}4${data.slice(at + 1)}`; // one byte: 3200.00 -> 4200.00
    expect(Buffer.byteLength(altered)).toBe(Buffer.byteLength(data));
    tamper("UPDATE events SET data = ? WHERE stream_id = 'contract-C-1' AND revision = 2", altered);

    const { all, c1, c2 } = await reportAfterTamper();
    expect(all.ok).toBe(false);
    expect(all.firstBroken).toMatchObject({ streamId: 'contract-C-1', revision: 2, reason: 'CONTENT_HASH_MISMATCH' });
    expect(all.brokenStreams).toHaveLength(1);
    expect(c1.firstBroken).toMatchObject({ revision: 2, reason: 'CONTENT_HASH_MISMATCH' });
    expect(c2.ok).toBe(true);
  });

  it('altered metadata breaks the next link of the chain', async () => {
    tamper(
      'UPDATE events SET metadata = replace(metadata, \'"actor":"test"\', \'"actor":"mallory"\') WHERE stream_id = \'contract-C-1\' AND revision = 1',
    );
    const { c1 } = await reportAfterTamper();
    expect(c1.firstBroken).toMatchObject({ revision: 2, reason: 'PREV_HASH_MISMATCH' });
  });

  it('a removed event shows as a gap', async () => {
    tamper("DELETE FROM events WHERE stream_id = 'contract-C-1' AND revision = 1");
    const { all } = await reportAfterTamper();
    expect(all.firstBroken).toMatchObject({ streamId: 'contract-C-1', revision: 2, reason: 'REVISION_GAP' });
  });

  it('a row that no longer parses is reported, not thrown', async () => {
    tamper("UPDATE events SET data = substr(data, 2) WHERE stream_id = 'contract-C-2' AND revision = 0");
    const { all } = await reportAfterTamper();
    expect(all.firstBroken).toMatchObject({ reason: 'UNREADABLE' });
  });
});
