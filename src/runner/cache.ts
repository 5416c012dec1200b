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
 * of one chosen at random. Not the least recently used: a busy period touches contracts in turn, and once they are more
 * than the cache holds, the least recently used document is exactly the one needed next, so such a cache hits almost
 * never. With random replacement a cache holding a fraction of the documents touched in turn hits for about that
 * fraction of them, and one holding all of them keeps them all.
 */
export class DocumentCache {
  private readonly entries = new Map<string, { doc: JsonObject; slot: number }>();
  /** The entries' ids, in any order: replacement picks a slot. */
  private readonly ids: string[] = [];
  /** A xorshift state: which slot a replacement takes is random, and the same from one run to the next. */
  private seed = 0x9e3779b9;

  constructor(private readonly capacity: number) {}

  get(target: Generation, key: string): JsonObject | undefined {
    return this.entries.get(entryId(target, key))?.doc;
  }

  /** Records a committed write: the document as written, or its deletion (null). */
  committed(target: Generation, key: string, doc: JsonObject | null): void {
    const id = entryId(target, key);
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      if (doc !== null) entry.doc = doc;
      else this.remove(id, entry.slot);
      return;
    }
    if (doc === null || this.capacity === 0) return;
    if (this.ids.length < this.capacity) {
      this.entries.set(id, { doc, slot: this.ids.length });
      this.ids.push(id);
      return;
    }
    const slot = this.random() % this.ids.length;
    this.entries.delete(this.ids[slot]!);
    this.ids[slot] = id;
    this.entries.set(id, { doc, slot });
  }

  /** Forgets every document: a runner that starts following again reads them afresh. */
  clear(): void {
    this.entries.clear();
    this.ids.length = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops an entry, the last slot's entry moving into its slot. */
  private remove(id: string, slot: number): void {
    this.entries.delete(id);
    const last = this.ids.pop()!;
    if (last === id) return;
    this.ids[slot] = last;
    this.entries.get(last)!.slot = slot;
  }

  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

const entryId = (target: Generation, key: string): string => `${target.projection}@${target.generation}\u0000${key}`;
