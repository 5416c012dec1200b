// A bounded map that, once full, makes room by dropping an entry chosen at random. The hot paths' caches hold state per
// contract: the live runner's committed documents (src/runner/cache.ts), the revenue engine's last schedules
// (src/revenue/last-schedule.ts) and the ingest path's contract states (src/ingest). A busy period, such as a billing
// run, touches contracts in turn. That is where dropping the least recently used breaks down: once the contracts
// touched in turn outnumber the entries, the one it dropped is always the next one needed, and it never hits. Dropped
// at random, a cache holding a fraction of them hits for about that fraction. The choice comes from a xorshift
// generator with a fixed seed, so a run can be reproduced. Pure: no clock, no I/O.

export class RandomReplacementCache<V> {
  private readonly entries = new Map<string, { value: V; slot: number }>();
  /** The entries' keys, in any order: replacement picks a slot. */
  private readonly slots: string[] = [];
  private seed = 0x9e3779b9;

  /** At most `capacity` entries (0: the cache keeps nothing). */
  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets the entry, replacing one chosen at random when the cache is full and the key is new. */
  set(key: string, value: V): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.value = value;
      return;
    }
    if (this.capacity <= 0) return;
    if (this.slots.length < this.capacity) {
      this.entries.set(key, { value, slot: this.slots.length });
      this.slots.push(key);
      return;
    }
    const slot = this.random() % this.slots.length;
    this.entries.delete(this.slots[slot]!);
    this.slots[slot] = key;
    this.entries.set(key, { value, slot });
  }

  /** Drops the entry, if any; the last slot's entry moves into its slot. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const last = this.slots.pop()!;
    if (last === key) return;
    this.slots[entry.slot] = last;
    this.entries.get(last)!.slot = entry.slot;
  }

  clear(): void {
    this.entries.clear();
    this.slots.length = 0;
  }

  get size(): number {
    return this.entries.size;
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
