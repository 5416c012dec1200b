// The read store port: projection documents by key (with index tags), each projection's checkpoint, and the
// generations that make rebuilds blue/green. SQLite first (sqlite.ts); a shared server database (PostgreSQL, jsonb)
// later behind the same interface.
import type { JsonObject, Position } from '../../schemas/index.js';

/** One build of a projection's read model. Readers see the active one; a rebuild fills the next one beside it. */
export interface Generation {
  projection: string;
  generation: number;
}

/** A projection name (its active generation) or an explicit generation. */
export type Target = string | Generation;

export interface DocWrite {
  /** null deletes the document. */
  doc: JsonObject | null;
  /** Index terms the document is found by (replaces the previous ones). */
  tags?: readonly string[];
}

/** A document already serialised (e.g. in a worker thread): its JSON text is stored as it is. */
export interface JsonDocWrite {
  json: string;
  tags?: readonly string[];
}

export interface BatchWrite {
  target: Generation;
  docs: ReadonlyMap<string, DocWrite | JsonDocWrite>;
  /** The position the generation has now applied every event up to; null leaves it where it is. */
  checkpoint: Position | null;
}

export interface GenerationState {
  projection: string;
  active: number;
  building: number | null;
}

export interface ReadStore {
  get(target: Target, key: string): Promise<JsonObject | null>;
  getMany(target: Target, keys: readonly string[]): Promise<Map<string, JsonObject>>;
  /** Documents in key order, for listing and for comparing whole read models. */
  list(target: Target, options?: { afterKey?: string; limit?: number }): Promise<{ key: string; doc: JsonObject }[]>;
  /** Keys of the documents carrying any of the tags, in key order. */
  keysByTag(target: Target, tags: readonly string[]): Promise<string[]>;
  count(target: Target): Promise<number>;
  checkpoint(target: Target): Promise<Position | null>;
  /**
   * Writes each generation's documents and moves its checkpoint, all in one transaction: a crash leaves all or none,
   * so no event is applied twice or skipped. Throws GenerationRetiredError (writing nothing) when a target is neither
   * the active nor the building generation any more — a rebuild swapped it out.
   */
  commit(writes: readonly BatchWrite[]): Promise<void>;
  generations(projection: string): Promise<GenerationState>;
  /** The generation being rebuilt, resumed if one was left unfinished, else a new empty one. */
  startBuilding(projection: string): Promise<Generation>;
  /** Makes the building generation the one readers see, and drops the one it replaces (blue/green swap). */
  activate(target: Generation): Promise<void>;
  /** Drops a building generation (a dry run, or an abandoned rebuild). */
  discard(target: Generation): Promise<void>;
  close(): Promise<void>;
}

export class GenerationRetiredError extends Error {
  constructor(readonly target: Generation) {
    super(`generation ${target.generation} of ${target.projection} is no longer active or building`);
    this.name = 'GenerationRetiredError';
  }
}
