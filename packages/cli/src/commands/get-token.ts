import type { CliIo } from '../io.js';

/** `get-token`: `aws eks get-token` flags on the `token` machinery; prints our compact ExecCredential. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const { runGetToken } = await import('./token.js');
  return runGetToken(args, io);
}
