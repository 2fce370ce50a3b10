import { IdentityCache } from './identity-cache.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

describe('IdentityCache', () => {
  it('caches for min(ttl, token life) and never stores the token', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 60_000, maxEntries: 10, now: c.now });
    let loads = 0;
    const load = () => {
      loads++;
      return Promise.resolve({ value: 'id', expiresAt: new Date(c.now().getTime() + 30_000) });
    };
    expect((await cache.lookup('tok', load)).source).toBe('miss');
    expect((await cache.lookup('tok', load)).source).toBe('hit');
    c.advance(29_999);
    expect((await cache.lookup('tok', load)).source).toBe('hit');
    c.advance(2);
    expect((await cache.lookup('tok', load)).source).toBe('miss');
    expect(loads).toBe(2);
    expect(
      JSON.stringify((cache as unknown as { entries: { keys(): string[] } }).entries.keys()),
    ).not.toContain('tok"');
  });

  it('caps the TTL at ttlMs', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 1_000, maxEntries: 10, now: c.now });
    const load = () => Promise.resolve({ value: 'id', expiresAt: new Date(c.now().getTime() + 600_000) });
    await cache.lookup('t', load);
    c.advance(1_001);
    expect((await cache.lookup('t', load)).source).toBe('miss');
  });

  it('shares one in-flight load and does not cache failures', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 60_000, maxEntries: 10, now: c.now });
    let loads = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      throw new Error('sts down');
    };
    const a = cache.lookup('t', load);
    const b = cache.lookup('t', load);
    release();
    await expect(a).rejects.toThrow('sts down');
    await expect(b).rejects.toThrow('sts down');
    expect(loads).toBe(1);
    await expect(cache.lookup('t', load)).rejects.toThrow('sts down');
    expect(loads).toBe(2);
  });

  it('turns a loader that throws into a rejection and keeps nothing in flight', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 60_000, maxEntries: 10, now: c.now });
    const key = IdentityCache.key('t');
    const throwing = (): Promise<{ value: string; expiresAt: Date }> => {
      throw new Error('validation failed');
    };
    // load() never throws at its caller (the review path does not catch): the error is a rejection.
    const first = cache.load(key, throwing);
    expect(first).toBeInstanceOf(Promise);
    await expect(first).rejects.toThrow('validation failed');
    // Nothing was left in flight: the next load runs its own loader.
    const next = await cache.load(key, () =>
      Promise.resolve({ value: 'id', expiresAt: new Date(c.now().getTime() + 30_000) }),
    );
    expect(next).toEqual({ value: 'id', source: 'miss' });
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 60_000, maxEntries: 2, now: c.now });
    const load = (v: string) => () =>
      Promise.resolve({ value: v, expiresAt: new Date(c.now().getTime() + 60_000) });
    await cache.lookup('a', load('a'));
    await cache.lookup('b', load('b'));
    await cache.lookup('a', load('a')); // a is now most recent
    await cache.lookup('c', load('c'));
    expect(cache.size).toBe(2);
    expect((await cache.lookup('a', load('a'))).source).toBe('hit');
    expect((await cache.lookup('b', load('b'))).source).toBe('miss');
  });

  it('with ttl 0 keeps single-flight but caches nothing', async () => {
    const c = clock();
    const cache = new IdentityCache<string>({ ttlMs: 0, maxEntries: 2, now: c.now });
    const load = () => Promise.resolve({ value: 'v', expiresAt: new Date(c.now().getTime() + 60_000) });
    await cache.lookup('a', load);
    expect((await cache.lookup('a', load)).source).toBe('miss');
  });
});
