import { tokenFingerprint } from '@iam-authenticator/core';
import { formatExecCredential, negotiateExecApiVersion } from '@iam-authenticator/token';
import type { CliIo } from '../io.js';
import { computeCacheKey } from './cache-key.js';
import { createStderrLogger } from './stderr-logger.js';
import { cacheFilePath, readCachedToken, tokenCacheDir } from './token-cache.js';
import type { CachedToken } from './token-cache.js';
import type { TokenConfig } from './token-config.js';

/**
 * Shared by `token` and `get-token`. Everything up to the cache hit is in this module and its small
 * static imports; the SDK, the signer and the cache writer load only on a miss (`await import`), so
 * the bundle keeps them in separate chunks.
 */
export async function runToken(config: TokenConfig, io: CliIo): Promise<number> {
  const logger = createStderrLogger(io.stderr, {
    level: config.logLevel,
    format: config.logFormat,
    now: io.now,
  });
  for (const warning of config.warnings) logger.warn({}, warning);
  const negotiation = negotiateExecApiVersion(io.env.KUBERNETES_EXEC_INFO);
  if (negotiation.warning !== undefined) logger.warn({}, negotiation.warning);

  const dir = tokenCacheDir(io.env);
  const key = computeCacheKey(config, io.env);
  let entry: CachedToken | undefined;
  if (config.tokenCache && !config.forceRefresh) {
    const lookup = readCachedToken(dir, key, io.now());
    if (lookup.hit) {
      entry = lookup.entry;
      // A second sha256 only when someone reads debug lines.
      if (config.logLevel === 'debug' || config.logLevel === 'trace') {
        logger.debug({ tokenId: tokenFingerprint(entry.token) }, 'token cache hit');
      }
    } else if (lookup.why === 'not_private') {
      logger.warn({ dir }, 'ignoring a cached token file that others can read or write');
    }
  }
  if (entry === undefined) {
    const { mintAndCache } = await import('./mint-and-cache.js');
    entry = await mintAndCache({
      config,
      env: io.env,
      now: io.now,
      logger,
      interactive:
        io.env.KUBERNETES_EXEC_INFO === undefined ? io.stdin.isTTY === true : negotiation.interactive,
      stdin: io.stdin,
      stderr: io.stderr,
      dir,
      key,
      file: cacheFilePath(dir, key),
      reread: () => readCachedToken(dir, key, io.now()),
    });
  }
  io.stdout.write(
    config.tokenOnly
      ? `${entry.token}\n`
      : formatExecCredential({
          apiVersion: negotiation.apiVersion,
          token: entry.token,
          expiration: entry.expiration,
        }),
  );
  return 0;
}
