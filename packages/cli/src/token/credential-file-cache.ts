import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '@iam-authenticator/core';
import type { AwsCredentials } from '@iam-authenticator/token';
import { homeOf } from './aws-paths.js';
import { acquireCacheLock, ensureCacheDir } from './token-cache-write.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The reference's `--cache` file (token-and-webhook.md §1.6), also what `cache clean` removes. */
export function credentialCacheFile(env: Env): string {
  const fromEnv = env.AWS_IAM_AUTHENTICATOR_CACHE_FILE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(homeOf(env), '.kube', 'cache', 'aws-iam-authenticator', 'credentials.yaml');
}

export interface CredentialCacheOptions {
  file: string;
  clusterId: string;
  /** AWS_PROFILE, else `default` (the reference ignores AWS_DEFAULT_PROFILE here). */
  profile: string;
  /** The `-r` value, possibly empty. */
  roleArn: string;
  now: () => Date;
  logger: Logger;
}

interface CachedCredentials {
  accesskeyid: string;
  secretaccesskey: string;
  sessiontoken: string;
  source: string;
  canexpire: boolean;
  expires: string;
  accountid: string;
}
type CacheTree = Record<string, Record<string, Record<string, CachedCredentials>>>;

/**
 * Caches the base credentials (not the assumed role's, not the token) keyed by cluster → profile →
 * role, in the reference's YAML layout. A file readable by others is refused with a warning; every
 * failure only warns and the credentials are loaded afresh.
 */
export async function withCredentialFileCache(
  options: CredentialCacheOptions,
  load: () => Promise<AwsCredentials>,
): Promise<AwsCredentials> {
  const { file, logger } = options;
  const info = await stat(file).catch(() => undefined);
  if (info !== undefined && (info.mode & 0o077) !== 0) {
    logger.warn(
      { file, mode: (info.mode & 0o777).toString(8) },
      'unable to use cache: cache file is not private',
    );
    return load();
  }
  let tree: CacheTree;
  try {
    tree = info === undefined ? {} : await readTree(file);
  } catch (error) {
    logger.warn({ file, error: errorName(error) }, 'unable to use cache: cannot parse the cache file');
    return load();
  }
  const cached = tree[options.clusterId]?.[options.profile]?.[options.roleArn];
  const now = options.now();
  if (cached !== undefined && isUsable(cached, now)) {
    logger.debug({ file }, 'using cached credentials');
    return {
      accessKeyId: cached.accesskeyid,
      secretAccessKey: cached.secretaccesskey,
      sessionToken: cached.sessiontoken === '' ? undefined : cached.sessiontoken,
      expiration: cached.canexpire ? new Date(cached.expires) : undefined,
    };
  }
  const credentials = await load();
  if (credentials.expiration === undefined) {
    logger.warn({}, "unable to cache credential: credential doesn't support expiration");
    return credentials;
  }
  try {
    await store(options, credentials);
  } catch (error) {
    logger.warn({ file, error: errorName(error) }, 'unable to write the credential cache');
  }
  return credentials;
}

function isUsable(entry: CachedCredentials, now: Date): boolean {
  if (entry.accesskeyid === '' || entry.secretaccesskey === '') return false;
  if (!entry.canexpire) return true;
  const expires = new Date(entry.expires).getTime();
  return Number.isFinite(expires) && expires > now.getTime();
}

async function readTree(file: string): Promise<CacheTree> {
  const { parseYaml } = await import('./yaml-text.js');
  const document = parseYaml(await readFile(file, 'utf8')) as { clusters?: unknown } | null;
  const clusters = document?.clusters;
  if (clusters === undefined || clusters === null) return {};
  if (typeof clusters !== 'object') throw new TypeError('clusters is not a mapping');
  return clusters as CacheTree;
}

async function store(options: CredentialCacheOptions, credentials: AwsCredentials): Promise<void> {
  const dir = dirname(options.file);
  await ensureCacheDir(dir);
  const lock = await acquireCacheLock(dir, basename(options.file));
  try {
    let tree: CacheTree;
    try {
      tree = await readTree(options.file);
    } catch {
      tree = {};
    }
    const cluster = (tree[options.clusterId] ??= {});
    const profile = (cluster[options.profile] ??= {});
    profile[options.roleArn] = {
      accesskeyid: credentials.accessKeyId,
      secretaccesskey: credentials.secretAccessKey,
      sessiontoken: credentials.sessionToken ?? '',
      source: 'iam-authenticator',
      canexpire: true,
      expires: (credentials.expiration ?? options.now()).toISOString(),
      accountid: '',
    };
    const { stringifyYaml } = await import('./yaml-text.js');
    const temp = `${options.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(stringifyYaml({ clusters: tree }), 'utf8');
    } finally {
      await handle.close();
    }
    await rename(temp, options.file).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    });
  } finally {
    await lock?.release();
  }
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}
