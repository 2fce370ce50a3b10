import { RecencyMap } from './recency-map.js';

describe('RecencyMap', () => {
  it('writes make an entry the most recent and drop the least recent beyond the bound', () => {
    const map = new RecencyMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3); // a is now the most recent, with its new value
    expect(map.keys()).toEqual(['b', 'a']);
    map.set('c', 4); // drops b
    expect(map.keys()).toEqual(['a', 'c']);
    expect(map.get('a')).toBe(3);
    expect(map.get('b')).toBeUndefined();
    expect(map.size).toBe(2);
  });

  it('keeps nothing with a bound of 0', () => {
    const map = new RecencyMap<string, number>(0);
    map.set('a', 1);
    expect(map.size).toBe(0);
    expect(map.get('a')).toBeUndefined();
  });

  it('a read moves an entry only once it is in the older half', () => {
    const map = new RecencyMap<string, number>(4);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // one write since a: not moved
    expect(map.keys()).toEqual(['a', 'b']);
    map.set('c', 3);
    expect(map.get('a')).toBe(1); // two writes since a (= 4 / 2): moved
    expect(map.keys()).toEqual(['b', 'c', 'a']);
    expect(map.get('a')).toBe(1); // just moved: stays
    expect(map.keys()).toEqual(['b', 'c', 'a']);
  });

  it('with a bound of 2 a read moves every entry but the newest, as strict LRU', () => {
    const map = new RecencyMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.get('a');
    map.set('c', 3); // b is the least recently used
    expect(map.keys()).toEqual(['a', 'c']);
  });

  it('an entry read or written stays through at least half the bound of uses of other keys', () => {
    for (const max of [1, 2, 3, 4, 7, 10, 16]) {
      let seed = max * 7919;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const map = new RecencyMap<number, number>(max);
      const lost: string[] = [];
      // Uses of other keys (writes, and reads that found the key) since each key's own last use.
      const usesSince = new Map<number, number>();
      const use = (key: number): void => {
        for (const [other, n] of usesSince) usesSince.set(other, n + 1);
        usesSince.set(key, 0);
      };
      for (let step = 0; step < 4000; step++) {
        const key = random(max * 3 + 1);
        if (random(2) === 0) {
          map.set(key, step);
          use(key);
        } else if (map.get(key) !== undefined) {
          use(key);
        }
        const present = new Set(map.keys());
        for (const [other, n] of usesSince) {
          if (n <= Math.floor(max / 2) && !present.has(other))
            lost.push(`step ${step}: ${other} after ${n} uses`);
        }
        if (map.size > max) lost.push(`step ${step}: size ${map.size}`);
      }
      expect([max, lost.slice(0, 3)]).toEqual([max, []]);
    }
  });

  it('delete and clear', () => {
    const map = new RecencyMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect(map.keys()).toEqual(['b']);
    map.clear();
    expect(map.size).toBe(0);
  });
});
