import type { CliIo } from '../io.js';
import { readConfigFile } from '../token/config-file.js';
import { runToken } from '../token/run-token.js';
import {
  GET_TOKEN_USAGE,
  TOKEN_USAGE,
  resolveGetTokenConfig,
  resolveTokenConfig,
} from '../token/token-config.js';

export { tokenCacheDir } from '../token/token-cache.js';

/** `token`: the exec credential plugin (reference §1.8 flags, plus the token cache). */
export async function run(args: string[], io: CliIo): Promise<number> {
  const config = await resolveTokenConfig(args, io.env, readConfigFile);
  if (config === undefined) {
    io.stderr.write(TOKEN_USAGE);
    return 0;
  }
  return runToken(config, io);
}

/**
 * `get-token` lives here too (get-token.ts loads this module), so the bundle keeps the whole
 * cache-hit path of both commands in one chunk instead of several shared ones.
 */
export async function runGetToken(args: string[], io: CliIo): Promise<number> {
  const config = resolveGetTokenConfig(args, io.env);
  if (config === undefined) {
    io.stderr.write(GET_TOKEN_USAGE);
    return 0;
  }
  return runToken(config, io);
}
