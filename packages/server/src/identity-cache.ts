import { hash } from 'node:crypto';
import { RecencyMap } from '@iam-authenticator/core';

export interface IdentityCacheOptions {
  /** Longest time an entry is kept, ms (DESIGN: default 60 s). 0 disables caching (single-flight stays). */
  readonly ttlMs: number;
  /** Entry bound; the least recently used entry is evicted first (approximately: core's RecencyMap). */
  readonly maxEntries: number;
  readonly now: () => Date;
}

export interface CacheLookup<T> {
  readonly value: T;
  /** 'hit' from the cache, 'shared' joined an in-flight lookup, 'miss' ran the loader. */
  readonly source: 'hit' | 'shared' | 'miss';
}

/** What a loader returns: the value and when it stops being valid (the token's own expiry). */
export interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: Date;
}

/**
 * Verified identities keyed by sha256(token) (the token itself is never kept), with a TTL of
 * min(ttlMs, the token's remaining life), a size bound, and single-flight so concurrent reviews of one
 * token make one STS call. Failures are never cached.
 */
export class IdentityCache<T> {
  private readonly entries: RecencyMap<string, { value: T; expiresAtMs: number }>;
  private readonly inFlight = new Map<string, Promise<Expiring<T>>>();

  constructor(private readonly options: IdentityCacheOptions) {
    this.entries = new RecencyMap(options.maxEntries);
  }

  static key(token: string): string {
    return hash('sha256', token, 'hex');
  }

  get size(): number {
    return this.entries.size;
  }

  async lookup(token: string, load: () => Promise<Expiring<T>>): Promise<CacheLookup<T>> {
    const key = IdentityCache.key(token);
    const cached = this.get(key);
    return cached !== undefined ? { value: cached, source: 'hit' } : this.load(key, load);
  }

  /** The live value cached under `key` (sha256 hex of the token), if any: the synchronous hit path. */
  get(key: string): T | undefined {
    const cached = this.entries.get(key);
    if (cached === undefined) return undefined;
    if (cached.expiresAtMs <= this.options.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return cached.value;
  }

  /**
   * The miss path, after `get(key)` found nothing: joins the load already in flight for `key`, or runs
   * `load` and caches what it returns.
   */
  load(key: string, load: () => Promise<Expiring<T>>): Promise<CacheLookup<T>> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending.then(joined);
    let promise: Promise<Expiring<T>>;
    try {
      promise = load();
    } catch (error) {
      // As from an async function: a loader that throws is a rejection, never a throw to the reviewer.
      return Promise.reject(error instanceof Error ? error : new Error('identity loader failed'));
    }
    this.inFlight.set(key, promise);
    return promise.then(
      (loaded) => {
        this.inFlight.delete(key);
        this.store(key, loaded);
        return { value: loaded.value, source: 'miss' };
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        throw error;
      },
    );
  }

  clear(): void {
    this.entries.clear();
  }

  private store(key: string, loaded: Expiring<T>): void {
    if (this.options.ttlMs <= 0) return;
    const nowMs = this.options.now().getTime();
    const expiresAtMs = Math.min(nowMs + this.options.ttlMs, loaded.expiresAt.getTime());
    if (expiresAtMs <= nowMs) return;
    this.entries.set(key, { value: loaded.value, expiresAtMs });
  }
}

/** The lookup of a review that joined a load in flight. */
function joined<T>(loaded: Expiring<T>): CacheLookup<T> {
  return { value: loaded.value, source: 'shared' };
}
