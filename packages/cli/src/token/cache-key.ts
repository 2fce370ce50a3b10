import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '@iam-authenticator/core';
import { homeOf, sharedFilePaths } from './aws-paths.js';
import type { TokenConfig } from './token-config.js';

/**
 * Environment variables that change which credentials sign the token, or where and for which
 * region it is signed. Secrets are hashed into the key (never stored): a new session token with the
 * same access key id must not hit an old entry.
 */
export const CACHE_KEY_ENV = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_SDK_LOAD_CONFIG',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_IAM_AUTHENTICATOR_CACHE_FILE',
  'HOME',
] as const;

/** The settings of `TokenConfig` that change the token; the rest (output, logging, cache flags) do not. */
export function cacheKeyInputs(
  config: TokenConfig,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  // Only the variables that are set: the hashed text stays short (it is hashed in plain JS on every
  // kubectl call), and an unset variable still differs from every value, the empty string included.
  const envPart: Record<string, string> = {};
  for (const name of CACHE_KEY_ENV) {
    const value = env[name];
    if (value !== undefined) envPart[name] = value;
  }
  return {
    schema: 3,
    clusterId: config.clusterId,
    region: config.region ?? null,
    roleArn: config.roleArn ?? null,
    externalId: config.externalId ?? null,
    sessionName: config.sessionName ?? null,
    forwardSessionName: config.forwardSessionName,
    profile: config.profile ?? null,
    credentialCache: config.credentialCache,
    env: envPart,
    sharedFiles: sharedFileVersions(env),
  };
}

/**
 * Which version of the shared AWS config and credentials files is in place (size, change time, inode;
 * `null` when absent): after a profile's region, keys or role are edited (by hand or `aws configure`),
 * a token signed with what they said before must not be reused.
 */
function sharedFileVersions(env: Readonly<Record<string, string | undefined>>): (string | null)[] {
  const home = homeOf(env);
  const { configFilepath, filepath } = sharedFilePaths(env);
  // `~/` as the SDK reads these variables.
  return [configFilepath, filepath].map((path) => {
    try {
      const stats = statSync(path.startsWith('~/') ? join(home, path.slice(2)) : path, {
        throwIfNoEntry: false,
        bigint: true,
      });
      return stats === undefined ? null : `${stats.size}:${stats.ctimeNs}:${stats.ino}`;
    } catch (error) {
      return `unreadable:${String((error as { code?: unknown }).code)}`;
    }
  });
}

/** sha256 hex of the canonical JSON of the inputs: the cache file's name. */
export function computeCacheKey(
  config: TokenConfig,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return sha256Hex(JSON.stringify(cacheKeyInputs(config, env)));
}
