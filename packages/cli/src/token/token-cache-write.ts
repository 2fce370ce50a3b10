import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CachedToken } from './token-cache.js';

/** A lock older than this is left over (a signing takes seconds; an MFA prompt a minute at most). */
const STALE_LOCK_MS = 120_000;
/** How long a waiting invocation polls before it gives up on the lock and signs on its own. */
const LOCK_WAIT_MS = 30_000;
const LOCK_POLL_MS = 15;
const OWNER_FILE = 'owner';

export interface CacheLock {
  release(): Promise<void>;
}

/**
 * Creates the cache directory private to the user (0700), and makes an existing one private again
 * (mkdir leaves its mode alone). One owned by another user is refused: its owner could plant tokens.
 * Throws what mkdir and chmod throw.
 */
export async function ensureCacheDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await lstat(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw Object.assign(new Error('the token cache directory is not a directory owned by this user'), {
      code: 'EPERM',
    });
  }
  if ((stats.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/**
 * A per-key lock (an exclusive `mkdir`, atomic on every local file system), so ten kubectl calls
 * racing on a cold cache sign once: the others wait, then find the fresh entry. The holder's pid is
 * written inside, so a lock left by a killed process is taken over at once. Returns undefined if the
 * lock cannot be had in time; the caller then signs without it (a token is never withheld).
 */
export async function acquireCacheLock(dir: string, key: string): Promise<CacheLock | undefined> {
  const lockPath = join(dir, `${key}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lockPath, { mode: 0o700 });
      await writeFile(join(lockPath, OWNER_FILE), `${process.pid}\n`, { mode: 0o600 }).catch(() => undefined);
      return {
        release: async () => {
          await rm(lockPath, { recursive: true, force: true }).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
    if (await isAbandoned(lockPath)) {
      await rm(lockPath, { recursive: true, force: true }).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) return undefined;
    await sleep(LOCK_POLL_MS);
  }
}

async function isAbandoned(lockPath: string): Promise<boolean> {
  const info = await stat(lockPath).catch(() => undefined);
  if (info === undefined) return false;
  if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
  const owner = Number.parseInt(await readFile(join(lockPath, OWNER_FILE), 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(owner) || owner <= 0) return false;
  try {
    process.kill(owner, 0);
    return false;
  } catch (error) {
    // EPERM: alive but another user's; only ESRCH says the holder is gone.
    return (error as { code?: unknown }).code === 'ESRCH';
  }
}

/** The cache file's content, read back by `readCachedToken`. */
export function serializeEntry(entry: CachedToken): string {
  return `${JSON.stringify({ version: 1, token: entry.token, expiration: entry.expiration.toISOString() })}\n`;
}

/**
 * Writes the entry to a private temp file beside `file` (from `cacheFilePath`) and renames it over
 * the old one: readers never see half a file.
 */
export async function writeCachedToken(file: string, entry: CachedToken): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(serializeEntry(entry), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
