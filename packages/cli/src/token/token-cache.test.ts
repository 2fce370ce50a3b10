import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIN_REMAINING_MS, cacheFilePath, readCachedToken, tokenCacheDir } from './token-cache.js';
import { acquireCacheLock, ensureCacheDir, writeCachedToken } from './token-cache-write.js';

const KEY = 'a'.repeat(64);
const NOW = new Date('2024-01-01T00:00:00Z');
const TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8';

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'token-cache-')), 'cache');
}

describe('token cache', () => {
  it('lives under $HOME/.kube/cache/iam-authenticator', () => {
    expect(tokenCacheDir({ HOME: '/home/u' })).toBe('/home/u/.kube/cache/iam-authenticator');
  });

  it('writes a private file atomically and reads it back', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    const expiration = new Date(NOW.getTime() + 14 * 60_000);
    await writeCachedToken(cacheFilePath(dir, KEY), { token: TOKEN, expiration });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFilePath(dir, KEY)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([`${KEY}.json`]);
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: true, entry: { token: TOKEN, expiration } });
  });

  it('misses when less than 5 minutes of life remain', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    await writeCachedToken(cacheFilePath(dir, KEY), {
      token: TOKEN,
      expiration: new Date(NOW.getTime() + MIN_REMAINING_MS),
    });
    expect(readCachedToken(dir, KEY, NOW).hit).toBe(true);
    expect(readCachedToken(dir, KEY, new Date(NOW.getTime() + 1))).toEqual({ hit: false, why: 'expiring' });
  });

  it('misses on an absent, corrupt or non-private file', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'absent' });
    const file = cacheFilePath(dir, KEY);
    writeFileSync(file, '{"version":1,"token":"k8s-aws-v1.x"', { mode: 0o600 });
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'corrupt' });
    writeFileSync(
      file,
      JSON.stringify({ version: 1, token: 'not-a-token', expiration: '2030-01-01T00:00:00Z' }),
    );
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'corrupt' });
    await writeCachedToken(cacheFilePath(dir, KEY), {
      token: TOKEN,
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    chmodSync(file, 0o644);
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'not_private' });
  });

  it('refuses an expiration further than a token lives, a FIFO and a symlink, without blocking', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    const file = cacheFilePath(dir, KEY);
    await writeCachedToken(file, { token: TOKEN, expiration: new Date(NOW.getTime() + 15 * 60_000) });
    expect(readCachedToken(dir, KEY, NOW).hit).toBe(true);
    await writeCachedToken(file, { token: TOKEN, expiration: new Date(NOW.getTime() + 15 * 60_000 + 1) });
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'corrupt' });

    const other = join(dir, 'elsewhere.json');
    await writeCachedToken(other, { token: TOKEN, expiration: new Date(NOW.getTime() + 14 * 60_000) });
    rmSync(file);
    symlinkSync(other, file);
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'unreadable' });
    rmSync(file);
    expect(spawnSync('mkfifo', ['-m', '600', file]).status).toBe(0);
    expect(readCachedToken(dir, KEY, NOW)).toEqual({ hit: false, why: 'not_private' });
  });

  it('makes an existing cache directory private again', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    chmodSync(dir, 0o777);
    await ensureCacheDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('lets one holder have the lock at a time', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    const first = await acquireCacheLock(dir, KEY);
    expect(first).toBeDefined();
    const order: string[] = [];
    const second = acquireCacheLock(dir, KEY).then((lock) => {
      order.push('second acquired');
      return lock;
    });
    await new Promise((resolve) => setImmediate(resolve));
    order.push('first releases');
    await first?.release();
    const lock = await second;
    expect(lock).toBeDefined();
    expect(order).toEqual(['first releases', 'second acquired']);
    await lock?.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose holder has exited', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(join(dir, `${KEY}.lock`));
    writeFileSync(join(dir, `${KEY}.lock`, 'owner'), `${gone}\n`);
    const lock = await acquireCacheLock(dir, KEY);
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it('waits for a live holder', async () => {
    const dir = freshDir();
    await ensureCacheDir(dir);
    mkdirSync(join(dir, `${KEY}.lock`));
    writeFileSync(join(dir, `${KEY}.lock`, 'owner'), `${process.pid}\n`);
    let acquired = false;
    const waiting = acquireCacheLock(dir, KEY).then((lock) => {
      acquired = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acquired).toBe(false);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, `${KEY}.lock`), { recursive: true });
    await (await waiting)?.release();
    expect(acquired).toBe(true);
  });
});
