// Read store on SQLite (better-sqlite3, WAL): documents, their tags, checkpoints and generations in one file, so a
// batch of document writes and its checkpoint commit in the same transaction, and a rebuild's swap is one UPDATE.
// Rows are keyed by namespace `<projection>@<generation>`; readers resolve the active generation per call.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JsonObject, Position } from '../../schemas/index.js';
import type { BatchWrite, Generation, GenerationState, ReadStore, Target } from './types.js';
import { GenerationRetiredError } from './types.js';

const ns = (g: Generation): string => `${g.projection}@${g.generation}`;

/** A read the store ran for a caller: the method, and how many SQL statements it took (chunks, generation lookup). */
export interface ReadQuery {
  op: 'get' | 'getMany' | 'list' | 'keysByTag' | 'count' | 'checkpoint';
  statements: number;
}

/** A projection name costs one statement to resolve to its active generation; an explicit generation none. */
const lookups = (target: Target): number => (typeof target === 'string' ? 1 : 0);

export interface SqliteReadStoreOptions {
  synchronous?: 'full' | 'normal';
  /** Instrumentation: called once per read method call (GraphQL's N+1 test counts them; metrics may too). */
  onQuery?: (query: ReadQuery) => void;
}

export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly commitTx: Database.Transaction<(writes: readonly BatchWrite[]) => void>;
  private readonly stmt: Record<
    | 'get'
    | 'upsert'
    | 'remove'
    | 'clearTags'
    | 'tagsOf'
    | 'dropOtherTags'
    | 'addTags'
    | 'checkpoint'
    | 'readCheckpoint'
    | 'generation'
    | 'createGeneration'
    | 'list'
    | 'count',
    Database.Statement
  >;

  /** Read method calls and SQL statements they ran since the store opened (writes are not counted). */
  readonly reads = { queries: 0, statements: 0 };
  private readonly onQuery: ((query: ReadQuery) => void) | undefined;

  constructor(path: string, options: SqliteReadStoreOptions = {}) {
    this.onQuery = options.onQuery;
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // A new file gets 32 KiB pages (an existing one keeps its own: WAL mode fixes the page size): documents run to
    // tens of kilobytes, and with SQLite's 4 KiB default each spans a chain of overflow pages (bench/rebuild: writing a
    // full rebuild's 570 MB of documents took ~5.1 s of CPU instead of ~6.5-6.9 s; point reads by key and by tag
    // measured the same, ~13 and ~4 µs).
    this.db.pragma('page_size = 32768');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      -- A rowid table: documents run to tens of kilobytes, and SQLite keeps WITHOUT ROWID rows inside the b-tree
      -- itself, which suits small rows only.
      CREATE TABLE IF NOT EXISTS read_documents (
        ns  TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (ns, key)
      );
      CREATE TABLE IF NOT EXISTS read_tags (
        ns  TEXT NOT NULL,
        tag TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (ns, tag, key)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS read_tags_by_key ON read_tags (ns, key);
      CREATE TABLE IF NOT EXISTS read_checkpoints (
        ns          TEXT PRIMARY KEY,
        commit_pos  INTEGER NOT NULL,
        prepare_pos INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS read_generations (
        projection TEXT PRIMARY KEY,
        active     INTEGER NOT NULL,
        building   INTEGER
      ) WITHOUT ROWID;
    `);
    this.stmt = {
      get: this.db.prepare('SELECT doc FROM read_documents WHERE ns = ? AND key = ?'),
      upsert: this.db.prepare(
        'INSERT INTO read_documents (ns, key, doc) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET doc = excluded.doc',
      ),
      remove: this.db.prepare('DELETE FROM read_documents WHERE ns = ? AND key = ?'),
      clearTags: this.db.prepare('DELETE FROM read_tags WHERE ns = ? AND key = ?'),
      // Re-writing a document's tags touches only the ones that changed (see writeTags).
      tagsOf: this.db.prepare('SELECT tag FROM read_tags WHERE ns = ? AND key = ?').pluck(),
      dropOtherTags: this.db.prepare(
        'DELETE FROM read_tags WHERE ns = ? AND key = ? AND tag NOT IN (SELECT value FROM json_each(?))',
      ),
      // A document's tags in one statement, given as a JSON array: a lineage document has one per source record, and
      // a statement per tag cost more than inserting the rows (the 133,337 documents and 1,086,734 tags of a full
      // bench/rebuild, written again in the same commits: 4.1-4.2 s of CPU instead of 6.7-7.3 s).
      addTags: this.db.prepare('INSERT OR IGNORE INTO read_tags (ns, tag, key) SELECT ?, value, ? FROM json_each(?)'),
      checkpoint: this.db.prepare(
        'INSERT INTO read_checkpoints (ns, commit_pos, prepare_pos) VALUES (?, ?, ?) ' +
          'ON CONFLICT (ns) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos',
      ),
      readCheckpoint: this.db
        .prepare('SELECT commit_pos, prepare_pos FROM read_checkpoints WHERE ns = ?')
        .safeIntegers(true),
      generation: this.db.prepare('SELECT active, building FROM read_generations WHERE projection = ?'),
      createGeneration: this.db.prepare(
        'INSERT INTO read_generations (projection, active, building) VALUES (?, 1, NULL) ON CONFLICT DO NOTHING',
      ),
      list: this.db.prepare('SELECT key, doc FROM read_documents WHERE ns = ? AND key > ? ORDER BY key LIMIT ?'),
      count: this.db.prepare('SELECT count(*) AS n FROM read_documents WHERE ns = ?'),
    };
    this.commitTx = this.db.transaction((writes: readonly BatchWrite[]) => {
      for (const w of writes) {
        const g = this.generationRow(w.target.projection);
        if (w.target.generation !== g.active && w.target.generation !== g.building)
          throw new GenerationRetiredError(w.target);
        const space = ns(w.target);
        for (const [key, write] of w.docs) {
          const json = 'json' in write ? write.json : write.doc === null ? null : JSON.stringify(write.doc);
          if (json === null) this.stmt.remove.run(space, key);
          else this.stmt.upsert.run(space, key, json);
          if (json === null || (write.tags !== undefined && write.tags.length === 0))
            this.stmt.clearTags.run(space, key);
          else if (write.tags !== undefined) this.writeTags(space, key, write.tags);
        }
        if (w.checkpoint) this.stmt.checkpoint.run(space, w.checkpoint.commit, w.checkpoint.prepare);
      }
    });
  }

  /**
   * Makes a document's tags exactly `tags`, running only the statements that change something: a lineage document
   * keeps almost all of its tags from one write to the next (a live runner re-writes it with one or two more), and
   * deleting and inserting them all again cost two b-tree lookups per tag (replaying the tag writes of a 600-contract
   * catch-up: ~0.8 s of CPU instead of ~1.7 s). The stored tags are read back to see which statements can be left
   * out; the statements themselves compare in SQL, a tag as stored (the same JSON decoding as when it was added). A
   * stored tag that is not valid UTF-8 (from a lone surrogate) reads back with U+FFFD and may equal another string:
   * then nothing is left out.
   */
  private writeTags(space: string, key: string, tags: readonly string[]): void {
    const stored = this.stmt.tagsOf.all(space, key) as string[];
    const exact = !stored.some((tag) => tag.includes('\ufffd'));
    const wanted = new Set(tags);
    const kept = new Set(stored);
    if (!exact || stored.some((tag) => !wanted.has(tag))) this.stmt.dropOtherTags.run(space, key, JSON.stringify(tags));
    const added = exact ? [...wanted].filter((tag) => !kept.has(tag)) : tags;
    // INSERT OR IGNORE: a tag it already has stays as it is.
    if (added.length > 0) this.stmt.addTags.run(space, key, JSON.stringify(added));
  }

  private generationRow(projection: string): GenerationState {
    this.stmt.createGeneration.run(projection);
    const row = this.stmt.generation.get(projection) as { active: number; building: number | null };
    return { projection, active: row.active, building: row.building };
  }

  private resolve(target: Target): string {
    if (typeof target !== 'string') return ns(target);
    return ns({ projection: target, generation: this.generationRead(target).active });
  }

  /** The projection's generations as committed, read only: a projection with no row yet is at generation 1. */
  private generationRead(projection: string): GenerationState {
    const row = this.stmt.generation.get(projection) as { active: number; building: number | null } | undefined;
    return { projection, active: row?.active ?? 1, building: row?.building ?? null };
  }

  private counted(op: ReadQuery['op'], statements: number): void {
    this.reads.queries++;
    this.reads.statements += statements;
    this.onQuery?.({ op, statements });
  }

  async get(target: Target, key: string): Promise<JsonObject | null> {
    this.counted('get', 1 + lookups(target));
    const row = this.stmt.get.get(this.resolve(target), key) as { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as JsonObject) : null);
  }

  async getMany(target: Target, keys: readonly string[]): Promise<Map<string, JsonObject>> {
    const space = this.resolve(target);
    const out = new Map<string, JsonObject>();
    // In chunks: SQLite bounds the number of bound parameters per statement.
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT key, doc FROM read_documents WHERE ns = ? AND key IN (${chunk.map(() => '?').join(',')})`)
        .all(space, ...chunk) as { key: string; doc: string }[];
      for (const r of rows) out.set(r.key, JSON.parse(r.doc) as JsonObject);
    }
    this.counted('getMany', lookups(target) + Math.ceil(keys.length / 500));
    return Promise.resolve(out);
  }

  async list(target: Target, options: { afterKey?: string; limit?: number } = {}) {
    this.counted('list', 1 + lookups(target));
    const rows = this.stmt.list.all(this.resolve(target), options.afterKey ?? '', options.limit ?? -1) as {
      key: string;
      doc: string;
    }[];
    return Promise.resolve(rows.map((r) => ({ key: r.key, doc: JSON.parse(r.doc) as JsonObject })));
  }

  async keysByTag(target: Target, tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return Promise.resolve([]);
    const space = this.resolve(target);
    const keys = new Set<string>();
    for (let i = 0; i < tags.length; i += 500) {
      const chunk = tags.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT DISTINCT key FROM read_tags WHERE ns = ? AND tag IN (${chunk.map(() => '?').join(',')})`)
        .all(space, ...chunk) as { key: string }[];
      for (const r of rows) keys.add(r.key);
    }
    this.counted('keysByTag', lookups(target) + Math.ceil(tags.length / 500));
    return Promise.resolve([...keys].sort());
  }

  async count(target: Target): Promise<number> {
    this.counted('count', 1 + lookups(target));
    return Promise.resolve((this.stmt.count.get(this.resolve(target)) as { n: number }).n);
  }

  async checkpoint(target: Target): Promise<Position | null> {
    this.counted('checkpoint', 1 + lookups(target));
    const row = this.stmt.readCheckpoint.get(this.resolve(target)) as
      { commit_pos: bigint; prepare_pos: bigint } | undefined;
    return Promise.resolve(row ? { commit: row.commit_pos, prepare: row.prepare_pos } : null);
  }

  async commit(writes: readonly BatchWrite[]): Promise<void> {
    this.commitTx.immediate(writes);
    return Promise.resolve();
  }

  /**
   * A read, never a write. (It used to insert the projection's row: a status read then waited for a projection
   * worker's write lock, up to the busy timeout, and failed with SQLITE_BUSY during its catch-up.)
   */
  async generations(projection: string): Promise<GenerationState> {
    return Promise.resolve(this.generationRead(projection));
  }

  async startBuilding(projection: string): Promise<Generation> {
    const tx = this.db.transaction((): Generation => {
      const g = this.generationRow(projection);
      if (g.building !== null) return { projection, generation: g.building };
      const next = g.active + 1;
      // A generation number is never reused: clear anything an interrupted discard may have left.
      this.drop({ projection, generation: next });
      this.db.prepare('UPDATE read_generations SET building = ? WHERE projection = ?').run(next, projection);
      return { projection, generation: next };
    });
    return Promise.resolve(tx.immediate());
  }

  async activate(target: Generation): Promise<void> {
    const tx = this.db.transaction(() => {
      const g = this.generationRow(target.projection);
      if (g.building !== target.generation) throw new GenerationRetiredError(target);
      this.db
        .prepare('UPDATE read_generations SET active = ?, building = NULL WHERE projection = ?')
        .run(target.generation, target.projection);
      this.drop({ projection: target.projection, generation: g.active });
    });
    tx.immediate();
    return Promise.resolve();
  }

  async discard(target: Generation): Promise<void> {
    const tx = this.db.transaction(() => {
      const g = this.generationRow(target.projection);
      if (g.building !== target.generation) return;
      this.db.prepare('UPDATE read_generations SET building = NULL WHERE projection = ?').run(target.projection);
      this.drop(target);
    });
    tx.immediate();
    return Promise.resolve();
  }

  private drop(g: Generation): void {
    const space = ns(g);
    this.db.prepare('DELETE FROM read_documents WHERE ns = ?').run(space);
    this.db.prepare('DELETE FROM read_tags WHERE ns = ?').run(space);
    this.db.prepare('DELETE FROM read_checkpoints WHERE ns = ?').run(space);
  }

  async close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
