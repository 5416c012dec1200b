// The event store's public face: the port, the hash chain, and `openStore` choosing the adapter from configuration.
import { openEsdbStore } from './esdb.js';
import { SqliteEventStore } from './sqlite.js';
import type { EventStore } from './types.js';

export * from './types.js';
export * from './chain.js';
export * from './verify.js';
export { SqliteEventStore } from './sqlite.js';
export { openEsdbStore } from './esdb.js';

/**
 * `location` is REVTRAIL_STORE: an `esdb://` (or `esdb+discover://`) connection string selects EventStoreDB;
 * anything else is a path to the embedded SQLite file.
 */
export function openStore(location: string, options: { synchronous?: 'full' | 'normal' } = {}): EventStore {
  if (/^esdb(\+discover)?:\/\//.test(location)) return openEsdbStore(location);
  return new SqliteEventStore({ path: location, ...options });
}
