// The live runner's document cache (a catch-up's too): the documents it committed last, so that a contract touched in
// batch after batch (a busy customer, a contract being amended) is not read back from the read store and parsed each
// time.
//
// Entries are keyed by generation as well as by key, so a rebuild's swap (a new generation) can never serve a
// document of the old one; they are set only after their batch committed, so the cache never holds a document the read
// store does not. It belongs to one runner, whose follower is the only writer of its documents while it follows
// (partitioned workers own disjoint keys); each time the runner starts following or catching up it begins empty, since
// others may have written while it was stopped, and a runner that fails is discarded with its cache.
import type { JsonObject } from '../../schemas/index.js';
import { RandomReplacementCache } from '../cache/index.js';
import type { Generation } from '../readmodel/index.js';

/**
 * Committed documents a live runner or a catch-up keeps between batches unless told otherwise (REVTRAIL_RUNNER_CACHE
 * defaults to it). Without them a contract touched in batch after batch is read back and parsed once per batch: catching up
 * 600 contracts in batches of 500 read ~50,000 documents, 14% of its time. The cache holds every projection's documents
 * (five per contract). When it held 4,000 and dropped the least recently used, catching up the 5,000-contract bench
 * company in batches of 4,000 read 331,636 documents back and took 620 µs of CPU per event; holding all 25,000, it read
 * each once and took 415 µs (batches of 10,000: 241 and 212 µs). 25,000 documents of that company take ~175 MB of heap.
 */
export const DEFAULT_CACHED_DOCUMENTS = 25_000;

/**
 * At most `capacity` committed documents across every projection and generation; when full, a new one takes the place
 * of one chosen at random (src/cache: a busy period touches contracts in turn, and least recently used would drop the
 * document needed next), so a cache holding a fraction of the documents touched in turn hits for about that fraction of
 * them, and one holding all of them keeps them all.
 */
export class DocumentCache {
  private readonly docs: RandomReplacementCache<JsonObject>;

  constructor(capacity: number) {
    this.docs = new RandomReplacementCache(capacity);
  }

  get(target: Generation, key: string): JsonObject | undefined {
    return this.docs.get(entryId(target, key));
  }

  /** Records a committed write: the document as written, or its deletion (null). */
  committed(target: Generation, key: string, doc: JsonObject | null): void {
    if (doc === null) this.docs.delete(entryId(target, key));
    else this.docs.set(entryId(target, key), doc);
  }

  /** Forgets every document: a runner that starts following again reads them afresh. */
  clear(): void {
    this.docs.clear();
  }

  get size(): number {
    return this.docs.size;
  }
}

const entryId = (target: Generation, key: string): string => `${target.projection}@${target.generation}\u0000${key}`;
