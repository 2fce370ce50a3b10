import type { CliIo, TextSink } from './io.js';

/**
 * The real process as a `CliIo`. Node builds process.stdout/stderr/stdin on first access, which costs
 * start-up time on every kubectl call, so each is touched only when a command really uses it.
 */
export function processIo(stdout: TextSink = { write: (text) => process.stdout.write(text) }): CliIo {
  return {
    stdout,
    stderr: { write: (text) => process.stderr.write(text) },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}
