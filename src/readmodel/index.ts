// Read models: the port, its SQLite and PostgreSQL adapters, and `openReadStore` choosing one from configuration.
import { PostgresReadStore } from './postgres.js';
import { SqliteReadStore } from './sqlite.js';
import type { ReadStore } from './types.js';

export type { BatchWrite, DocWrite, Generation, JsonDocWrite, GenerationState, ReadStore, Target } from './types.js';
export { GenerationRetiredError } from './types.js';
export { SqliteReadStore } from './sqlite.js';
export type { ReadQuery, SqliteReadStoreOptions } from './sqlite.js';
export { PostgresReadStore } from './postgres.js';
export type { PostgresReadStoreOptions } from './postgres.js';

/**
 * `location` is REVTRAIL_READ_STORE: a `postgres://` (or `postgresql://`) URL selects PostgreSQL; anything else is a
 * path to the embedded SQLite file.
 */
export function openReadStore(location: string, options: { synchronous?: 'full' | 'normal' } = {}): ReadStore {
  if (/^postgres(ql)?:\/\//.test(location)) return new PostgresReadStore(location);
  return new SqliteReadStore(location, options);
}
