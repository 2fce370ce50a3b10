import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { credentialCacheFile } from './credential-file-cache.js';

export interface CleanResult {
  /** Cached token files removed. */
  tokens: number;
  /** The `--cache` credentials file, if there was one. */
  credentialsFile: string | undefined;
}

const OURS = /^[0-9a-f]{64}(?:\.json|\.lock|\.\d+\.[0-9a-f]+\.tmp)$/;

/**
 * Removes our cached tokens (and stale locks/temp files) from `dir` (`tokenCacheDir`) and the
 * `--cache` credentials file.
 */
export async function cleanTokenCaches(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CleanResult> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  let tokens = 0;
  for (const name of names) {
    if (!OURS.test(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    if (name.endsWith('.json')) tokens += 1;
  }
  const file = credentialCacheFile(env);
  let credentialsFile: string | undefined;
  try {
    await rm(file);
    credentialsFile = file;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  return { tokens, credentialsFile };
}
