import { AuthError, isAuthError } from '@iam-authenticator/core';
import type { TextSink } from './io.js';

/**
 * The one try/catch at the CLI edge: a failure becomes one line on stderr and the exit code from the
 * reason table. Shared by the full CLI (`main`) and the token fast entry (`token-bin`).
 */
export async function runAtEdge(run: () => Promise<number>, stderr: TextSink): Promise<number> {
  try {
    return await run();
  } catch (error) {
    const known = isAuthError(error)
      ? error
      : new AuthError(
          'internal_error',
          `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
        );
    stderr.write(`iam-authenticator: ${known.message}\n`);
    return known.exitCode;
  }
}
