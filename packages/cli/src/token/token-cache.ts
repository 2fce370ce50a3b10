import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homeOf } from './aws-paths.js';

/**
 * The read side of the token cache (the file format is written by `serializeEntry` in
 * token-cache-write.ts): the whole cache-hit path, so it stays tiny and synchronous
 * (a few syscalls, no SDK, no yaml, no logger library). Writes live in token-cache-write.ts.
 */
export interface CachedToken {
  readonly token: string;
  readonly expiration: Date;
}

export type CacheLookup =
  | { readonly hit: true; readonly entry: CachedToken }
  | { readonly hit: false; readonly why: 'absent' | 'expiring' | 'corrupt' | 'not_private' | 'unreadable' };

/** A cached token is reused only while at least this much of its life remains (DESIGN.md). */
export const MIN_REMAINING_MS = 5 * 60 * 1000;
/** A token lives 15 minutes from signing (its ExecCredential says 14): a later expiration is not ours. */
const MAX_LIFE_MS = 15 * 60 * 1000;

export function tokenCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(homeOf(env), '.kube', 'cache', 'iam-authenticator');
}

export function cacheFilePath(dir: string, key: string): string {
  return join(dir, `${key}.json`);
}

export function readCachedToken(dir: string, key: string, now: Date): CacheLookup {
  let fd: number;
  try {
    // Not through a symlink, and without blocking on a FIFO planted at the path.
    fd = openSync(cacheFilePath(dir, key), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return { hit: false, why: (error as { code?: unknown }).code === 'ENOENT' ? 'absent' : 'unreadable' };
  }
  let text: string;
  try {
    // Another user able to write the file, or owning it, could plant a token for us to send: refuse it.
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stats.isFile() || (stats.mode & 0o077) !== 0 || (uid !== undefined && stats.uid !== uid)) {
      return { hit: false, why: 'not_private' };
    }
    text = readFileSync(fd, 'utf8');
  } catch {
    return { hit: false, why: 'unreadable' };
  } finally {
    closeSync(fd);
  }
  const entry = parseEntry(text);
  if (entry === undefined) return { hit: false, why: 'corrupt' };
  if (entry.expiration.getTime() - now.getTime() < MIN_REMAINING_MS) return { hit: false, why: 'expiring' };
  // Not a token this command wrote (and client-go would keep it in memory until that time).
  if (entry.expiration.getTime() - now.getTime() > MAX_LIFE_MS) return { hit: false, why: 'corrupt' };
  return { hit: true, entry };
}

function parseEntry(text: string): CachedToken | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, token, expiration } = value as Record<string, unknown>;
  if (version !== 1 || typeof token !== 'string' || typeof expiration !== 'string') return undefined;
  if (!token.startsWith('k8s-aws-v1.')) return undefined;
  const date = new Date(expiration);
  return Number.isNaN(date.getTime()) ? undefined : { token, expiration: date };
}
