// The SQLite read store's reads never wait for a writer: a projection worker commits in its own process or thread,
// and the API's status and GraphQL reads of the same file are answered meanwhile from the last commit. (`generations`
// used to insert the projection's row: it waited for the worker's write lock, and under the live runner's
// catch-up the API's GET /v1/projections failed with SQLITE_BUSY.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteReadStore } from '../../src/readmodel/index.js';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** A writer in another process: holds the write lock, writes, says `locked`, and commits when told to. */
function holdWriteLock(path: string): Promise<{ commit: () => Promise<void> }> {
  const script = `
    const Database = require(${JSON.stringify(BETTER_SQLITE3)});
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO read_documents (ns, key, doc) VALUES ('other@1', 'k', '{}')").run();
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const committed = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`)))),
  );
  return new Promise((resolve, reject) => {
    const commit = () => (child.stdin.write('commit\n'), committed);
    child.stdout.once('data', () => resolve({ commit }));
    child.once('error', reject);
  });
}

describe('SQLite read store under another process’s write', () => {
  let dir: string;
  let read: SqliteReadStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-busy-'));
    read = new SqliteReadStore(join(dir, 'read.db'));
  });
  afterEach(async () => {
    await read.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The writer commits only when told, after the reads: a read that needed the write lock would wait out the busy
  // timeout and fail.
  it('answers generations and documents while another process holds the write lock', async () => {
    await read.commit([
      { target: { projection: 'p', generation: 1 }, docs: new Map([['A', { doc: { n: 1 } }]]), checkpoint: null },
    ]);
    const writer = await holdWriteLock(join(dir, 'read.db'));
    expect(await read.generations('p')).toEqual({ projection: 'p', active: 1, building: null });
    expect(await read.generations('never-built')).toEqual({ projection: 'never-built', active: 1, building: null });
    expect(await read.get('p', 'A')).toEqual({ n: 1 });
    await writer.commit();
    expect(await read.get({ projection: 'other', generation: 1 }, 'k')).toEqual({});
    expect(await read.generations('never-built')).toEqual({ projection: 'never-built', active: 1, building: null });
  });
});
