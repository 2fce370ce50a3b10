import { setMostRecent } from './recency-map.js';

describe('setMostRecent', () => {
  it('makes the entry the most recent and drops the least recent beyond the bound', () => {
    const map = new Map<string, number>();
    setMostRecent(map, 'a', 1, 2);
    setMostRecent(map, 'b', 2, 2);
    setMostRecent(map, 'a', 3, 2); // a is now the most recent, with its new value
    expect([...map]).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
    setMostRecent(map, 'c', 4, 2); // drops b
    expect([...map]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });

  it('keeps nothing with a bound of 0', () => {
    const map = new Map<string, number>();
    setMostRecent(map, 'a', 1, 0);
    expect(map.size).toBe(0);
  });
});
