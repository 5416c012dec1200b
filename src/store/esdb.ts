// EventStoreDB adapter — placeholder until the adapter lands (same commit series).
import type { EventStore } from './types.js';

export function openEsdbStore(_connectionString: string): EventStore {
  throw new Error('EventStoreDB adapter not implemented yet');
}
