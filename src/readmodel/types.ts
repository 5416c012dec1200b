// The read store port: projection documents by key, and each projection's checkpoint, written together.
// SQLite first (sqlite.ts); a shared server database (PostgreSQL, jsonb) later behind the same interface.
import type { JsonObject, Position } from '../store/types.js';

export interface ReadStore {
  get(projection: string, key: string): Promise<JsonObject | null>;
  getMany(projection: string, keys: readonly string[]): Promise<Map<string, JsonObject>>;
  /** Documents in key order, for listing and for comparing whole read models. */
  list(
    projection: string,
    options?: { afterKey?: string; limit?: number },
  ): Promise<{ key: string; doc: JsonObject }[]>;
  /**
   * Writes the documents (null deletes) and moves the projection's checkpoint, in one transaction: a crash leaves
   * either both or neither, so no event is applied twice or skipped.
   */
  commit(projection: string, docs: ReadonlyMap<string, JsonObject | null>, checkpoint: Position): Promise<void>;
  checkpoint(projection: string): Promise<Position | null>;
  close(): Promise<void>;
}
