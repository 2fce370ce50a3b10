import { pino } from 'pino';
import type { TextSink } from '../io.js';
import type { Logger } from '@iam-authenticator/core';
import { AuthError } from '@iam-authenticator/core';

const LEVELS = ['panic', 'fatal', 'error', 'warning', 'warn', 'info', 'debug', 'trace'] as const;

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

/** pino JSON lines on stderr (STYLE.md); `-v/--log-verbosity` takes the reference's logrus level names. */
export function createCliLogger(stderr: TextSink, verbosity: string | undefined): Logger {
  const logger: Logger = pino(
    { level: pinoLevel(verbosity), base: { component: 'iam-authenticator' } },
    stderr,
  );
  return logger;
}

export interface BufferedLogger {
  readonly logger: Logger;
  /** Writes out what is buffered and stops the periodic flush. */
  close(): void;
}

/**
 * The webhook logs one line per review: on the process's own stderr (fd 2) the lines are batched
 * (written at 4 KiB or every second, and on close) so a busy server does not make one write per request.
 */
export function createServerLogger(verbosity: string | undefined): BufferedLogger {
  const destination = pino.destination({ dest: 2, minLength: 4096, sync: false });
  const logger: Logger = pino(
    { level: pinoLevel(verbosity), base: { component: 'iam-authenticator' } },
    destination,
  );
  const timer = setInterval(() => {
    destination.flush();
  }, 1000);
  timer.unref();
  return {
    logger,
    close() {
      clearInterval(timer);
      destination.flushSync();
    },
  };
}
