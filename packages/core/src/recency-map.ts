/**
 * A Map used as a least-recently-used store: Map order is insertion order, so (re-)inserting an entry
 * makes it the most recent, and the first key is the least recent. Sets `key` to `value` as the most
 * recent entry and drops the least recent entries beyond `maxEntries`.
 */
export function setMostRecent<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > maxEntries) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}
