/**
 * A bounded Map that drops its least recently used entries first, approximately, so that reading an
 * entry does not reorder the Map on every read.
 *
 * Map order is insertion order: an entry moves to the most recent end by a delete and a set, and the
 * first entry is the next evicted. Doing that on every read churns V8's hash table (deleted slots pile up
 * until it rehashes), and a cache hit is the webhook's hottest path. So a read moves an entry only once
 * it has fallen into the older half: when `maxEntries / 2` or more writes and moves happened since it was
 * last written or moved.
 *
 * Guarantee: an entry that was read or written stays through at least `maxEntries / 2` (rounded down)
 * uses of other keys after that, where a strict LRU would keep it through `maxEntries - 1` (tested
 * against random runs).
 */
export class RecencyMap<K, V> {
  private readonly entries = new Map<K, { value: V; stamp: number }>();
  /** Counts writes and moves; an entry's stamp is the count when it was last written or moved. */
  private stamp = 0;
  private readonly moveAfter: number;

  constructor(readonly maxEntries: number) {
    this.moveAfter = Math.max(1, Math.floor(maxEntries / 2));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`, marking it used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.stamp - entry.stamp >= this.moveAfter) {
      this.entries.delete(key);
      entry.stamp = ++this.stamp;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  /** Sets `key` as the most recent entry and drops the least recent entries beyond `maxEntries`. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, stamp: ++this.stamp });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Keys from the least to the most recent (for tests and diagnostics). */
  keys(): K[] {
    return [...this.entries.keys()];
  }
}
