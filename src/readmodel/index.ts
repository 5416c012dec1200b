// Read models: the port and its SQLite adapter.
export type { ReadStore } from './types.js';
export { SqliteReadStore } from './sqlite.js';
