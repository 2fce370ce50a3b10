import type { Logger } from '@iam-authenticator/core';
import { mintToken } from './mint-token.js';
import type { MintOptions } from './mint-token.js';
import type { CacheLookup, CachedToken } from './token-cache.js';
import { acquireCacheLock, ensureCacheDir, writeCachedToken } from './token-cache-write.js';

export interface MintAndCacheOptions extends MintOptions {
  dir: string;
  key: string;
  /** The cache file of `key` (`cacheFilePath`). */
  file: string;
  /**
   * `readCachedToken` for this key, passed in rather than imported so the bundle keeps the
   * cache-hit code in the command's own chunk.
   */
  reread: () => CacheLookup;
}

/**
 * A cache miss: take the per-key lock, look again (another kubectl call may have just signed), sign,
 * and store atomically. The cache can only make things faster: any failure of it is one warning and
 * a fresh token is printed anyway.
 */
export async function mintAndCache(options: MintAndCacheOptions): Promise<CachedToken> {
  const { config, logger, dir, key } = options;
  if (!config.tokenCache) return mintToken(options);
  const warn = once(logger);
  try {
    await ensureCacheDir(dir);
  } catch (error) {
    warn(dir, error);
    return mintToken(options);
  }
  let lock;
  try {
    lock = await acquireCacheLock(dir, key);
    if (lock === undefined) logger.warn({ dir }, 'token cache lock is busy; signing without it');
  } catch (error) {
    warn(dir, error);
    return mintToken(options);
  }
  try {
    if (lock !== undefined && !config.forceRefresh) {
      const again = options.reread();
      if (again.hit) {
        logger.debug({}, 'token cache hit after waiting for the lock');
        return again.entry;
      }
    }
    const entry = await mintToken(options);
    try {
      await writeCachedToken(options.file, entry);
    } catch (error) {
      warn(dir, error);
    }
    return entry;
  } finally {
    await lock?.release();
  }
}

function once(logger: Logger): (dir: string, error: unknown) => void {
  let warned = false;
  return (dir, error) => {
    if (warned) return;
    warned = true;
    const code = (error as { code?: unknown }).code;
    logger.warn(
      { dir, error: typeof code === 'string' ? code : 'error' },
      'token cache is not writable; printing a fresh token without caching it',
    );
  };
}
