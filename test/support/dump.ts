// Every projection's active documents and tags as a read-store file holds them: what two builds are compared by.
import Database from 'better-sqlite3';
import { PROJECTIONS } from '../../projections/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';

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
