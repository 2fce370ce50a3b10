import type { CliIo } from './io.js';

/** The real process as a `CliIo`. stdin is opened only when a command reads it (it costs start-up time). */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}
