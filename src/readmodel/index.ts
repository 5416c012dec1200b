// Read models: the port and its SQLite adapter.
export type { BatchWrite, DocWrite, Generation, JsonDocWrite, GenerationState, ReadStore, Target } from './types.js';
export { GenerationRetiredError } from './types.js';
export { SqliteReadStore } from './sqlite.js';
export type { ReadQuery, SqliteReadStoreOptions } from './sqlite.js';
