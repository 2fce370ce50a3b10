import { AuthError, quote } from '@iam-authenticator/core';
import type { CliIo } from '../io.js';
import { cleanTokenCaches } from '../token/clean-cache.js';

const USAGE = `usage: iam-authenticator cache clean

  removes the cached tokens (~/.kube/cache/iam-authenticator/) and the --cache credentials file
`;

/** `cache clean`: the only subcommand. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.stderr.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'clean') {
    throw new AuthError('usage_error', `cache: unknown subcommand ${quote(sub)}, expected clean`);
  }
  if (rest.length > 0) {
    throw new AuthError('usage_error', `cache clean: takes no arguments, received ${quote(rest.join(' '))}`);
  }
  // From the token command's chunk, so the cache-hit code is not split into a chunk of its own.
  const { tokenCacheDir } = await import('./token.js');
  let result;
  try {
    result = await cleanTokenCaches(tokenCacheDir(io.env), io.env);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AuthError(
      'internal_error',
      `cache clean: cannot remove the cache files (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  io.stdout.write(
    `removed ${result.tokens} cached token${result.tokens === 1 ? '' : 's'}${
      result.credentialsFile === undefined ? '' : ` and the credential cache ${result.credentialsFile}`
    }\n`,
  );
  return 0;
}
