// Read store on SQLite (better-sqlite3, WAL): one documents table and one checkpoints table in one file, so a batch
// of document writes and its checkpoint commit in the same transaction.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JsonObject, Position } from '../store/types.js';
import type { ReadStore } from './types.js';

export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly commitTx: Database.Transaction<
    (projection: string, docs: ReadonlyMap<string, JsonObject | null>, checkpoint: Position) => void
  >;

  constructor(path: string, options: { synchronous?: 'full' | 'normal' } = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS documents (
        projection TEXT NOT NULL,
        key        TEXT NOT NULL,
        doc        TEXT NOT NULL,
        PRIMARY KEY (projection, key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS checkpoints (
        projection TEXT PRIMARY KEY,
        commit_pos INTEGER NOT NULL,
        prepare_pos INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
    const upsert = this.db.prepare(
      'INSERT INTO documents (projection, key, doc) VALUES (?, ?, ?) ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc',
    );
    const remove = this.db.prepare('DELETE FROM documents WHERE projection = ? AND key = ?');
    const checkpoint = this.db.prepare(
      'INSERT INTO checkpoints (projection, commit_pos, prepare_pos) VALUES (?, ?, ?) ' +
        'ON CONFLICT (projection) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos',
    );
    this.commitTx = this.db.transaction((projection, docs, cp) => {
      for (const [key, doc] of docs) {
        if (doc === null) remove.run(projection, key);
        else upsert.run(projection, key, JSON.stringify(doc));
      }
      checkpoint.run(projection, cp.commit, cp.prepare);
    });
  }

  async get(projection: string, key: string): Promise<JsonObject | null> {
    const row = this.db.prepare('SELECT doc FROM documents WHERE projection = ? AND key = ?').get(projection, key) as
      { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as JsonObject) : null);
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    // In chunks: SQLite bounds the number of bound parameters per statement.
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT key, doc FROM documents WHERE projection = ? AND key IN (${chunk.map(() => '?').join(',')})`)
        .all(projection, ...chunk) as { key: string; doc: string }[];
      for (const r of rows) out.set(r.key, JSON.parse(r.doc) as JsonObject);
    }
    return Promise.resolve(out);
  }

  async list(projection: string, options: { afterKey?: string; limit?: number } = {}) {
    const rows = this.db
      .prepare('SELECT key, doc FROM documents WHERE projection = ? AND key > ? ORDER BY key LIMIT ?')
      .all(projection, options.afterKey ?? '', options.limit ?? -1) as { key: string; doc: string }[];
    return Promise.resolve(rows.map((r) => ({ key: r.key, doc: JSON.parse(r.doc) as JsonObject })));
  }

  async commit(projection: string, docs: ReadonlyMap<string, JsonObject | null>, checkpoint: Position): Promise<void> {
    this.commitTx.immediate(projection, docs, checkpoint);
    return Promise.resolve();
  }

  async checkpoint(projection: string): Promise<Position | null> {
    const row = this.db
      .prepare('SELECT commit_pos, prepare_pos FROM checkpoints WHERE projection = ?')
      .safeIntegers(true)
      .get(projection) as { commit_pos: bigint; prepare_pos: bigint } | undefined;
    return Promise.resolve(row ? { commit: row.commit_pos, prepare: row.prepare_pos } : null);
  }

  async close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
