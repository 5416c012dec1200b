// Every projection's active documents and tags as a read store holds them: what two builds are compared by.
import Database from 'better-sqlite3';
import pg from 'pg';
import { PROJECTIONS } from '../../projections/index.js';
import { PostgresReadStore, SqliteReadStore } from '../../src/readmodel/index.js';

export async function dump(path: string): Promise<Record<string, unknown>> {
  const read = new SqliteReadStore(path);
  const db = new Database(path, { readonly: true });
  try {
    const out: Record<string, unknown> = {};
    for (const p of PROJECTIONS) {
      const { active } = await read.generations(p.name);
      out[p.name] = {
        docs: await read.list(p.name),
        tags: db.prepare('SELECT tag, key FROM read_tags WHERE ns = ? ORDER BY tag, key').all(`${p.name}@${active}`),
      };
    }
    return out;
  } finally {
    db.close();
    await read.close();
  }
}

/** The same as `dump` for a read store given as REVTRAIL_READ_STORE: a SQLite file or a postgres:// URL. */
export async function dumpReadStore(location: string): Promise<Record<string, unknown>> {
  if (!/^postgres(ql)?:\/\//.test(location)) return dump(location);
  const read = new PostgresReadStore(location);
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    const out: Record<string, unknown> = {};
    for (const p of PROJECTIONS) {
      const { active } = await read.generations(p.name);
      const { rows } = await client.query<{ tag: string; key: string }>(
        'SELECT tag, key FROM read_tags WHERE projection = $1 AND generation = $2 ORDER BY tag, key',
        [p.name, active],
      );
      out[p.name] = { docs: await read.list(p.name), tags: rows.map((r) => ({ tag: r.tag, key: r.key })) };
    }
    return out;
  } finally {
    await client.end();
    await read.close();
  }
}
