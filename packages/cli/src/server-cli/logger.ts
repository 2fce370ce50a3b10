import { pino } from 'pino';
import type { TextSink } from '../io.js';
import type { Logger } from '@iam-authenticator/core';
import { AuthError, quote } from '@iam-authenticator/core';
import { pinoLineToText } from '../log-text.js';

const LEVELS = ['panic', 'fatal', 'error', 'warning', 'warn', 'info', 'debug', 'trace'] as const;

/** Why `verbosity` is not a log level (the message of the usage error), or undefined when it is one. */
export function logLevelProblem(verbosity: string | undefined): string | undefined {
  try {
    pinoLevel(verbosity);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'invalid log level';
  }
}

function pinoLevel(verbosity: string | undefined): string {
  const wanted = (verbosity ?? 'info').toLowerCase();
  if (!(LEVELS as readonly string[]).includes(wanted)) {
    throw new AuthError(
      'usage_error',
      `invalid log level ${JSON.stringify(verbosity)}: expected one of ${LEVELS.join(', ')}`,
    );
  }
  return wanted === 'panic' ? 'fatal' : wanted === 'warning' ? 'warn' : wanted;
}

export type ServerLogFormat = 'json' | 'text';

/**
 * `-l/--log-format` of the server commands: JSON lines unless `text` is asked for (STYLE.md; the
 * reference defaults to text). Anything else is a warning, as in the reference, and JSON.
 */
export function parseServerLogFormat(value: string | undefined): {
  format: ServerLogFormat;
  warning?: string;
} {
  if (value === undefined || value === 'json' || value === 'text') return { format: value ?? 'json' };
  return {
    format: 'json',
    warning: `unknown log format ${quote(value)}: expected json or text, using json`,
  };
}

/**
 * pino lines on stderr (STYLE.md): JSON, or the reference's text form with `format` text.
 * `-v/--log-verbosity` takes the reference's logrus level names.
 */
export function createCliLogger(
  stderr: TextSink,
  verbosity: string | undefined,
  format: ServerLogFormat = 'json',
): Logger {
  const destination =
    format === 'text'
      ? {
          write(line: string): void {
            stderr.write(pinoLineToText(line));
          },
        }
      : stderr;
  const logger: Logger = pino(
    { level: pinoLevel(verbosity), base: { component: 'iam-authenticator' } },
    destination,
  );
  return logger;
}

export interface BufferedLogger {
  readonly logger: Logger;
  /**
   * Stops the periodic flush and resolves once every line is written, including a batch sonic-boom is
   * still writing in the background. Only then may the file descriptor be closed or the process exit: a
   * synchronous flush skips that batch (it is lost, or lands after later lines), and if the descriptor is
   * closed under it, sonic-boom's flush at exit retries the write forever (EBADF is not one of the errors
   * it gives up on), so the process never ends.
   */
  close(): Promise<void>;
}

/** Lines are handed to the file descriptor's writer in batches of this many characters (or on a flush). */
const BATCH_CHARS = 16 * 1024;

/**
 * The webhook logs one line per review. pino's file writer (sonic-boom) appends each line to the text it
 * holds and measures that whole text again on every line, so under load each line costs as much as all
 * lines not yet written, and every 4 KiB it wakes a thread-pool thread to write. Lines are therefore
 * gathered here and handed over joined, 16 Ki characters at a time, and by the periodic (1 s), explicit
 * and final flushes; sonic-boom still does all the file work (async writes, EAGAIN retries, the final
 * synchronous flush). Measured in test/bench/webhook.
 */
class LineBatch {
  private lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly destination: ReturnType<typeof pino.destination>,
    private readonly text: boolean,
  ) {}

  write(json: string): boolean {
    const line = this.text ? pinoLineToText(json) : json;
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.handOver();
    return true;
  }

  /** pino's `logger.flush()`, and the periodic flush. */
  flush(callback?: (error?: Error) => void): void {
    this.handOver();
    this.destination.flush(callback);
  }

  flushSync(): void {
    this.handOver();
    this.destination.flushSync();
  }

  /**
   * Hands over what is held and waits for the write sonic-boom may have in flight (its `drain`), then
   * writes the rest synchronously: a flush during a write only waits for it, and leaves what is shorter
   * than `minLength` buffered.
   */
  drain(): Promise<void> {
    this.handOver();
    return new Promise((resolve) => {
      this.destination.flush((error?: NodeJS.ErrnoException | null) => {
        // fsync's error (a pipe or /dev/null refuses it) comes after everything in flight was written; a
        // write's error means the descriptor is unusable, and a synchronous flush would retry it forever.
        if (error === undefined || error === null || error.syscall === 'fsync') this.flushSync();
        resolve();
      });
    });
  }

  private handOver(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? (this.lines[0] ?? '') : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.destination.write(text);
  }
}

/**
 * The webhook's logger: JSON (or, with `format` text, text) lines on the file descriptor `fd` (the
 * process's stderr), batched: written 16 Ki characters at a time, every second, and on close, so a busy
 * server does not make one write per request.
 */
export function createServerLogger(
  verbosity: string | undefined,
  fd = 2,
  format: ServerLogFormat = 'json',
): BufferedLogger {
  const destination = pino.destination({ dest: fd, minLength: 4096, sync: false });
  const batch = new LineBatch(destination, format === 'text');
  const logger: Logger = pino(
    { level: pinoLevel(verbosity), base: { component: 'iam-authenticator' } },
    batch,
  );
  const timer = setInterval(() => {
    batch.flush();
  }, 1000);
  timer.unref();
  // pino flushes sonic-boom itself when the process exits; the lines held here go first.
  const onExit = (): void => {
    batch.flushSync();
  };
  process.once('exit', onExit);
  return {
    logger,
    close() {
      clearInterval(timer);
      process.off('exit', onExit);
      return batch.drain();
    },
  };
}
