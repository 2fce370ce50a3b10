/** Where a command writes text: process.stdout/stderr, or a capture in tests. Only `write` is used. */
export interface TextSink {
  write(text: string): boolean;
}

/** Everything a command touches of the outside world, so tests run commands in-process. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly cwd: string;
}

export type CommandRun = (args: string[], io: CliIo) => Promise<number>;
