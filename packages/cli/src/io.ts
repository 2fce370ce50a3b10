import type { Writable } from 'node:stream';

/** Everything a command touches of the outside world, so tests run commands in-process. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly cwd: string;
}

export type CommandRun = (args: string[], io: CliIo) => Promise<number>;
