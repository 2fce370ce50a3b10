import { AuthError, VERSION, quote } from '@iam-authenticator/core';
import { stringify } from 'yaml';
import type { CliIo } from '../io.js';
import { booleanFlag, parseFlags, stringFlag } from '../token/parse-flags.js';

/** The reference's `version`: build information as JSON (default) or YAML, or only the version with -s. */
export function run(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(
    args,
    { short: { type: 'boolean', short: 's' }, output: { type: 'string', short: 'o' } },
    'version',
  );
  const output = stringFlag(values, 'output') ?? 'json';
  if (output !== 'json' && output !== 'yaml') {
    throw new AuthError('usage_error', `version: --output must be json or yaml, received ${quote(output)}`);
  }
  const info = { Version: VERSION, Commit: 'unknown' };
  if (booleanFlag(values, 'short') === true) io.stdout.write(`${VERSION}\n`);
  else io.stdout.write(output === 'yaml' ? stringify(info) : `${JSON.stringify(info)}\n`);
  return Promise.resolve(0);
}
