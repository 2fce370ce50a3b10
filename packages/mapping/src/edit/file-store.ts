import { AuthError, quote } from '@iam-authenticator/core';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addHistory, decodeEntry, historyKey } from './history-model.js';
import { newManifest, readManifest, writeManifestData } from './manifest.js';
import type { AwsAuthData } from './plan-edit.js';
import { EditConflictError, HISTORY_KEEP } from './store.js';
import type { AwsAuthSnapshot, AwsAuthStore, HistoryEntry, HistoryStore } from './store.js';

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuthError('mapping_not_found', `cannot read ${quote(path)}: ${(error as Error).message}`);
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temp, text, { mode: 0o644 });
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A lock left by an editor that died is taken over after this long (an edit holds it for milliseconds). */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `fn` holding `<path>.lock` (an exclusive mkdir, atomic on local file systems): the version check
 * and the rename of two editors cannot interleave, so neither overwrites the other's change. A busy lock
 * is a conflict: the safe edit reads again and retries.
 */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  try {
    await mkdir(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const held = await stat(lock).catch(() => undefined);
    if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
      await rm(lock, { recursive: true, force: true });
    }
    throw new EditConflictError(`${path} is being edited by another command`);
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface FileStoreOptions {
  readonly path: string;
  /** Name/namespace written into a manifest created from nothing. */
  readonly name?: string;
  readonly namespace?: string;
}

/** aws-auth as a local ConfigMap manifest (`--file`): edits touch only the changed bytes. */
export function createFileStore(options: FileStoreOptions): AwsAuthStore {
  const texts = new Map<string, string>();
  return {
    description: `file ${options.path}`,
    async read(): Promise<AwsAuthSnapshot> {
      const text = await readText(options.path);
      if (text === undefined) return { exists: false, data: {}, immutable: false };
      const manifest = readManifest(text);
      const version = hashOf(text);
      texts.set(version, text);
      return { exists: true, data: manifest.data, immutable: manifest.immutable, version };
    },
    async write(previous: AwsAuthSnapshot, data: AwsAuthData): Promise<void> {
      const text = previous.version === undefined ? undefined : texts.get(previous.version);
      await withFileLock(options.path, async () => {
        const current = await readText(options.path);
        if (text === undefined || current === undefined || hashOf(current) !== previous.version) {
          throw new EditConflictError(`${options.path} changed since it was read`);
        }
        await writeFileAtomic(options.path, writeManifestData(text, previous.data, data));
      });
    },
    async create(data: AwsAuthData): Promise<void> {
      await withFileLock(options.path, async () => {
        if ((await readText(options.path)) !== undefined) {
          throw new EditConflictError(`${options.path} appeared since it was read`);
        }
        const base = newManifest(options.name ?? 'aws-auth', options.namespace ?? 'kube-system');
        await writeFileAtomic(options.path, writeManifestData(base, {}, data));
      });
    },
  };
}

/** Previous versions as files `v<seq>.json` in a directory (`--backup-dir`). */
export function createDirHistoryStore(dir: string, keep = HISTORY_KEEP): HistoryStore {
  const list = async (): Promise<HistoryEntry[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: HistoryEntry[] = [];
    for (const name of names) {
      const match = /^v(\d{8})\.json$/.exec(name);
      if (!match) continue;
      const text = await readText(join(dir, name));
      const entry = text === undefined ? undefined : decodeEntry(Number(match[1]), text);
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => a.seq - b.seq);
  };
  return {
    description: `directory ${dir}`,
    list,
    async save(entry: Omit<HistoryEntry, 'seq'>): Promise<number> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (let attempt = 0; attempt < 20; attempt++) {
        const existing = await list();
        const next = addHistory(existing, entry, keep);
        const added = next.entries.find((item) => item.seq === next.seq);
        if (existing.some((item) => item.seq === next.seq)) return next.seq;
        try {
          // wx: two editors picking the same number cannot overwrite each other.
          await writeFile(join(dir, `${historyKey(next.seq)}.json`), JSON.stringify(added), {
            flag: 'wx',
            mode: 0o600,
          });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw error;
        }
        const kept = new Set(next.entries.map((item) => item.seq));
        for (const old of existing) {
          if (!kept.has(old.seq)) await rm(join(dir, `${historyKey(old.seq)}.json`), { force: true });
        }
        return next.seq;
      }
      throw new AuthError('mapping_conflict', `could not save a history version in ${quote(dir)}`);
    },
  };
}
