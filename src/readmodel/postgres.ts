// Read store on PostgreSQL (`pg`, a connection pool): documents as jsonb, their tags, checkpoints and generations in
// four tables of one database, shared by every API node and projection worker. A batch's documents and its checkpoint
// commit in one transaction; a rebuild's swap is one UPDATE of the generation row.
//
// Concurrency. Every read is one statement that resolves the active generation itself, so it runs on one snapshot and
// sees the generation before a swap or the one after it, completely, never a mix. Writers hold a per-projection
// advisory lock until their transaction ends: a commit in shared mode, startBuilding/activate/discard exclusively.
// So a swap waits for the commits already writing to the generation it retires, and a commit that comes after the
// swap finds its generation retired and writes nothing. Advisory locks queue fairly (a waiting swap is not starved by
// a stream of commits, as it could be on row share locks). Locks are taken in projection order and document rows are
// written in key order, so two writers never wait on each other in a cycle.
//
// Text. PostgreSQL text holds neither NUL nor a lone UTF-16 surrogate (Node would send one as U+FFFD), and jsonb
// refuses the JSON escapes for both; projections may carry either from a source system's ids. Keys and tags are
// stored through `encodeText` (identity for every other string); a document holding such a string is stored with its
// strings encoded the same way and the row marked `escaped`, so every string reads back as it was written.
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Json, JsonObject, Position } from '../../schemas/index.js';
import type { ReadQuery } from './sqlite.js';
import type { BatchWrite, Generation, GenerationState, ReadStore, Target } from './types.js';
import { GenerationRetiredError } from './types.js';

export interface PostgresReadStoreOptions {
  /** Connections in the pool (default 10): reads run in parallel on them, each commit holds one for its transaction. */
  maxConnections?: number;
  /** Instrumentation: called once per read method call, as the SQLite store does. */
  onQuery?: (query: ReadQuery) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS read_generations (
    projection text COLLATE "C" PRIMARY KEY,
    active     integer NOT NULL,
    building   integer
  );
  CREATE TABLE IF NOT EXISTS read_documents (
    projection text COLLATE "C" NOT NULL,
    generation integer NOT NULL,
    key        text COLLATE "C" NOT NULL,
    doc        jsonb NOT NULL,
    escaped    boolean NOT NULL,
    PRIMARY KEY (projection, generation, key)
  );
  CREATE TABLE IF NOT EXISTS read_tags (
    projection text COLLATE "C" NOT NULL,
    generation integer NOT NULL,
    tag        text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    PRIMARY KEY (projection, generation, tag, key)
  );
  CREATE INDEX IF NOT EXISTS read_tags_by_key ON read_tags (projection, generation, key);
  CREATE TABLE IF NOT EXISTS read_checkpoints (
    projection  text COLLATE "C" NOT NULL,
    generation  integer NOT NULL,
    commit_pos  bigint NOT NULL,
    prepare_pos bigint NOT NULL,
    PRIMARY KEY (projection, generation)
  );
`;

/**
 * The advisory lock space of this store (pg_advisory_xact_lock(space, key)); key 0 serialises schema creation across
 * processes starting together (CREATE TABLE IF NOT EXISTS races otherwise), and a projection's lock is
 * hashtext(projection) (two projections sharing a hash only serialise more than they need to).
 */
const LOCK_SPACE = 0x7265_6164; // 'read'

/** $1 projection, $2 an explicit generation or null for the active one (1 before any generation row exists). */
const GENERATION = 'COALESCE($2::integer, (SELECT active FROM read_generations WHERE projection = $1), 1)';

/** Rows per statement and JSON characters per statement when writing documents: bounds one message's size. */
const ROWS_PER_STATEMENT = 5000;
const CHARS_PER_STATEMENT = 16 * 1024 * 1024;

// U+0001 introduces an escape (so it is escaped itself), followed by the escaped UTF-16 code unit in four hex digits.
// The control characters are the point of these two patterns.
// eslint-disable-next-line no-control-regex
const ODD_TEXT = /[\u0000\u0001]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex
const ESCAPED = /\u0001([0-9a-f]{4})/g;
/** JSON text that may spell a NUL or a lone surrogate: an escape of either, or a raw lone surrogate. */
const ODD_JSON = /\\u(?:0000|[dD][89a-fA-F])|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function encodeText(text: string): string {
  return text.replace(ODD_TEXT, (c) => `\u0001${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function decodeText(text: string): string {
  return text.includes('\u0001')
    ? text.replace(ESCAPED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text;
}

function mapStrings(value: Json, f: (s: string) => string): Json {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [f(k), mapStrings(v, f)]));
}

/** The jsonb text to store for a document's JSON text, and whether its strings are encoded. */
function storable(json: string): { json: string; escaped: boolean } {
  if (!ODD_JSON.test(json)) return { json, escaped: false };
  return { json: JSON.stringify(mapStrings(JSON.parse(json) as Json, encodeText)), escaped: true };
}

const stored = (doc: JsonObject, escaped: boolean): JsonObject =>
  escaped ? (mapStrings(doc, decodeText) as JsonObject) : doc;

const explicit = (target: Target): number | null => (typeof target === 'string' ? null : target.generation);
const projectionOf = (target: Target): string => (typeof target === 'string' ? target : target.projection);
const byTarget = (a: BatchWrite, b: BatchWrite): number =>
  a.target.projection < b.target.projection ? -1 : a.target.projection > b.target.projection ? 1 : 0;

/** The projection's generation row; ensureGenerations made it. */
async function generationRow(db: pg.Pool | pg.PoolClient, projection: string): Promise<GenerationState> {
  const { rows } = await db.query<{ active: number; building: number | null }>(
    'SELECT active, building FROM read_generations WHERE projection = $1',
    [projection],
  );
  return { projection, active: rows[0]!.active, building: rows[0]!.building };
}

export class PostgresReadStore implements ReadStore {
  private readonly pool: pg.Pool;
  private readonly ready: Promise<void>;
  /** Projections whose generation row exists (rows are never deleted). */
  private readonly known = new Set<string>();
  private readonly onQuery: ((query: ReadQuery) => void) | undefined;
  /** Read method calls and SQL statements they ran since the store opened (writes are not counted). */
  readonly reads = { queries: 0, statements: 0 };

  constructor(connectionString: string, options: PostgresReadStoreOptions = {}) {
    this.onQuery = options.onQuery;
    // `pg` is loaded by the first PostgreSQL read store, not by every process that can open one (the CLI on SQLite).
    const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
    this.pool = new Pool({ connectionString, max: options.maxConnections ?? 10 });
    // An idle connection the server dropped is discarded by the pool; the next call opens a new one or fails itself.
    this.pool.on('error', () => undefined);
    this.ready = this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_SPACE]);
      const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding');
      // Key order is UTF-8 byte order (COLLATE "C"), as in SQLite: it needs a UTF-8 database.
      if (rows[0]?.server_encoding !== 'UTF8')
        throw new Error(`read store database encoding is ${rows[0]?.server_encoding}; it must be UTF8`);
      await client.query(SCHEMA);
    });
    // Every call awaits `ready` and fails with its error; this keeps an unused store from an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      // A connection whose rollback fails is broken: release(err) closes it instead of returning it to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      client.release(broken);
      throw err;
    }
  }

  private async read<R extends pg.QueryResultRow>(op: ReadQuery['op'], sql: string, params: unknown[]): Promise<R[]> {
    await this.ready;
    this.reads.queries++;
    this.reads.statements++;
    this.onQuery?.({ op, statements: 1 });
    return (await this.pool.query<R>(sql, params)).rows;
  }

  async get(target: Target, key: string): Promise<JsonObject | null> {
    const rows = await this.read<{ doc: JsonObject; escaped: boolean }>(
      'get',
      `SELECT doc, escaped FROM read_documents WHERE projection = $1 AND generation = ${GENERATION} AND key = $3`,
      [projectionOf(target), explicit(target), encodeText(key)],
    );
    return rows[0] ? stored(rows[0].doc, rows[0].escaped) : null;
  }

  async getMany(target: Target, keys: readonly string[]): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    if (keys.length === 0) return out;
    const rows = await this.read<{ key: string; doc: JsonObject; escaped: boolean }>(
      'getMany',
      `SELECT key, doc, escaped FROM read_documents
        WHERE projection = $1 AND generation = ${GENERATION} AND key = ANY($3::text[])`,
      [projectionOf(target), explicit(target), keys.map(encodeText)],
    );
    for (const r of rows) out.set(decodeText(r.key), stored(r.doc, r.escaped));
    return out;
  }

  async list(target: Target, options: { afterKey?: string; limit?: number } = {}) {
    // LIMIT NULL is no limit. Keys after '' as in SQLite: every key but the empty one.
    const rows = await this.read<{ key: string; doc: JsonObject; escaped: boolean }>(
      'list',
      `SELECT key, doc, escaped FROM read_documents
        WHERE projection = $1 AND generation = ${GENERATION} AND key > $3 ORDER BY key LIMIT $4`,
      [projectionOf(target), explicit(target), encodeText(options.afterKey ?? ''), options.limit ?? null],
    );
    return rows.map((r) => ({ key: decodeText(r.key), doc: stored(r.doc, r.escaped) }));
  }

  async keysByTag(target: Target, tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return [];
    const rows = await this.read<{ key: string }>(
      'keysByTag',
      `SELECT DISTINCT key FROM read_tags WHERE projection = $1 AND generation = ${GENERATION} AND tag = ANY($3::text[])`,
      [projectionOf(target), explicit(target), tags.map(encodeText)],
    );
    return rows.map((r) => decodeText(r.key)).sort();
  }

  async count(target: Target): Promise<number> {
    const rows = await this.read<{ n: string }>(
      'count',
      `SELECT count(*) AS n FROM read_documents WHERE projection = $1 AND generation = ${GENERATION}`,
      [projectionOf(target), explicit(target)],
    );
    return Number(rows[0]!.n);
  }

  async checkpoint(target: Target): Promise<Position | null> {
    // int8 arrives as a decimal string: BigInt reads it exactly.
    const rows = await this.read<{ commit_pos: string; prepare_pos: string }>(
      'checkpoint',
      `SELECT commit_pos, prepare_pos FROM read_checkpoints WHERE projection = $1 AND generation = ${GENERATION}`,
      [projectionOf(target), explicit(target)],
    );
    return rows[0] ? { commit: BigInt(rows[0].commit_pos), prepare: BigInt(rows[0].prepare_pos) } : null;
  }

  async commit(writes: readonly BatchWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.ready;
    const ordered = [...writes].sort(byTarget);
    const projections = [...new Set(ordered.map((w) => w.target.projection))];
    await this.ensureGenerations(projections);
    await this.transaction(async (client) => {
      await client.query(
        'SELECT pg_advisory_xact_lock_shared($1, hashtext(p)) FROM unnest($2::text[]) AS p ORDER BY p',
        [LOCK_SPACE, projections],
      );
      const { rows } = await client.query<{ projection: string; active: number; building: number | null }>(
        'SELECT projection, active, building FROM read_generations WHERE projection = ANY($1::text[])',
        [projections],
      );
      const state = new Map(rows.map((r) => [r.projection, r]));
      for (const { target } of ordered) {
        const g = state.get(target.projection);
        if (g?.active !== target.generation && g?.building !== target.generation)
          throw new GenerationRetiredError(target);
      }
      for (const w of ordered) await this.write(client, w);
    });
  }

  /** One generation's documents, tags and checkpoint, in bulk statements over arrays, keys in order. */
  private async write(client: pg.PoolClient, w: BatchWrite): Promise<void> {
    const { projection, generation } = w.target;
    const upserts: { key: string; json: string; escaped: boolean }[] = [];
    const removed: string[] = [];
    /** Keys whose tags the batch sets, each with its new tags (none for a deleted document). */
    const retagged: { key: string; tags: string[] }[] = [];
    const tagRows: { tag: string; key: string }[] = [];
    const keys = [...w.docs.keys()].sort();
    for (const key of keys) {
      const write = w.docs.get(key)!;
      const k = encodeText(key);
      const json = 'json' in write ? write.json : write.doc === null ? null : JSON.stringify(write.doc);
      if (json === null) removed.push(k);
      else upserts.push({ key: k, ...storable(json) });
      const tags = json !== null && write.tags !== undefined ? write.tags.map(encodeText) : [];
      if (write.tags !== undefined || json === null) retagged.push({ key: k, tags });
      for (const tag of tags) tagRows.push({ tag, key: k });
    }
    if (removed.length > 0)
      await client.query(
        'DELETE FROM read_documents WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])',
        [projection, generation, removed],
      );
    for (const chunk of chunks(upserts, (u) => u.json.length))
      await client.query(
        `INSERT INTO read_documents (projection, generation, key, doc, escaped)
         SELECT $1, $2, u.key, u.doc::jsonb, u.escaped FROM unnest($3::text[], $4::text[], $5::boolean[]) AS u(key, doc, escaped)
         ON CONFLICT (projection, generation, key) DO UPDATE SET doc = excluded.doc, escaped = excluded.escaped`,
        [projection, generation, chunk.map((u) => u.key), chunk.map((u) => u.json), chunk.map((u) => u.escaped)],
      );
    // Only the tags a document no longer carries are deleted, and only new ones inserted (ON CONFLICT DO NOTHING keeps
    // the rest as they are): a lineage document keeps almost all of its tags from one write to the next. Each
    // statement is given every new tag of the keys it covers.
    const size = (r: { key: string; tags: string[] }): number => r.tags.reduce((n, t) => n + t.length, r.key.length);
    for (const chunk of chunks(retagged, size)) {
      const kept = chunk.flatMap((r) => r.tags.map((tag) => ({ key: r.key, tag })));
      await client.query(
        `DELETE FROM read_tags t WHERE t.projection = $1 AND t.generation = $2 AND t.key = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS n(key, tag) WHERE n.key = t.key AND n.tag = t.tag)`,
        [projection, generation, chunk.map((r) => r.key), kept.map((r) => r.key), kept.map((r) => r.tag)],
      );
    }
    for (const chunk of chunks(tagRows, (t) => t.tag.length))
      await client.query(
        `INSERT INTO read_tags (projection, generation, tag, key)
         SELECT $1, $2, t.tag, t.key FROM unnest($3::text[], $4::text[]) AS t(tag, key) ON CONFLICT DO NOTHING`,
        [projection, generation, chunk.map((t) => t.tag), chunk.map((t) => t.key)],
      );
    if (w.checkpoint)
      await client.query(
        `INSERT INTO read_checkpoints (projection, generation, commit_pos, prepare_pos) VALUES ($1, $2, $3, $4)
         ON CONFLICT (projection, generation)
         DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos`,
        [projection, generation, w.checkpoint.commit.toString(), w.checkpoint.prepare.toString()],
      );
  }

  /** Generation rows are created outside the transactions that lock them, so creating one never waits on a lock. */
  private async ensureGenerations(projections: readonly string[]): Promise<void> {
    const missing = projections.filter((p) => !this.known.has(p));
    if (missing.length === 0) return;
    await this.pool.query(
      'INSERT INTO read_generations (projection, active, building) SELECT p, 1, NULL FROM unnest($1::text[]) AS p ' +
        'ORDER BY p ON CONFLICT DO NOTHING',
      [missing],
    );
    for (const p of missing) this.known.add(p);
  }

  /** The projection's generation row (ensureGenerations made it), its lock held exclusively until the transaction ends. */
  private async lockGeneration(client: pg.PoolClient, projection: string): Promise<GenerationState> {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_SPACE, projection]);
    return generationRow(client, projection);
  }

  async generations(projection: string): Promise<GenerationState> {
    await this.ready;
    await this.ensureGenerations([projection]);
    return generationRow(this.pool, projection);
  }

  async startBuilding(projection: string): Promise<Generation> {
    await this.ready;
    await this.ensureGenerations([projection]);
    return this.transaction(async (client) => {
      const g = await this.lockGeneration(client, projection);
      if (g.building !== null) return { projection, generation: g.building };
      const next = g.active + 1;
      // A generation number is never reused: clear anything an interrupted discard may have left.
      await this.drop(client, { projection, generation: next });
      await client.query('UPDATE read_generations SET building = $2 WHERE projection = $1', [projection, next]);
      return { projection, generation: next };
    });
  }

  async activate(target: Generation): Promise<void> {
    await this.ready;
    await this.ensureGenerations([target.projection]);
    await this.transaction(async (client) => {
      const g = await this.lockGeneration(client, target.projection);
      if (g.building !== target.generation) throw new GenerationRetiredError(target);
      await client.query('UPDATE read_generations SET active = $2, building = NULL WHERE projection = $1', [
        target.projection,
        target.generation,
      ]);
      await this.drop(client, { projection: target.projection, generation: g.active });
    });
  }

  async discard(target: Generation): Promise<void> {
    await this.ready;
    await this.ensureGenerations([target.projection]);
    await this.transaction(async (client) => {
      const g = await this.lockGeneration(client, target.projection);
      if (g.building !== target.generation) return;
      await client.query('UPDATE read_generations SET building = NULL WHERE projection = $1', [target.projection]);
      await this.drop(client, target);
    });
  }

  private async drop(client: pg.PoolClient, g: Generation): Promise<void> {
    for (const table of ['read_documents', 'read_tags', 'read_checkpoints'])
      await client.query(`DELETE FROM ${table} WHERE projection = $1 AND generation = $2`, [
        g.projection,
        g.generation,
      ]);
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}

/** Splits rows into statements of at most ROWS_PER_STATEMENT rows and about CHARS_PER_STATEMENT characters. */
function* chunks<T>(rows: readonly T[], size: (row: T) => number): Generator<T[]> {
  let chunk: T[] = [];
  let chars = 0;
  for (const row of rows) {
    if (chunk.length > 0 && (chunk.length >= ROWS_PER_STATEMENT || chars + size(row) > CHARS_PER_STATEMENT)) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(row);
    chars += size(row);
  }
  if (chunk.length > 0) yield chunk;
}
