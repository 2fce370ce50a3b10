import type { TextSink } from '../io.js';
import { AuthError, quote } from '@iam-authenticator/core';
import { textLine } from '../log-text.js';
import type { Logger } from '@iam-authenticator/core';

/** logrus level names the reference accepts for `-v/--log-verbosity` (`warn` is logrus' alias). */
const LEVELS = {
  panic: 0,
  fatal: 1,
  error: 2,
  warning: 3,
  warn: 3,
  info: 4,
  debug: 5,
  trace: 6,
} as const;
export type LogLevel = keyof typeof LEVELS;
export type LogFormat = 'text' | 'json';

export function parseLogLevel(value: string): LogLevel {
  const level = value.toLowerCase();
  if (!Object.hasOwn(LEVELS, level)) {
    throw new AuthError(
      'usage_error',
      `invalid log level ${quote(value)}: expected one of panic, fatal, error, warning, info, debug, trace`,
    );
  }
  return level as LogLevel;
}

/**
 * A few-line Logger for the token command: pino costs start-up time that a cache hit cannot afford.
 * Lines go to stderr only (stdout carries the credential). Callers never pass a token in `fields`.
 */
export function createStderrLogger(
  stderr: TextSink,
  options: { level: LogLevel; format: LogFormat; now: () => Date },
  bindings: Record<string, unknown> = {},
): Logger {
  const threshold = LEVELS[options.level];
  const write = (
    level: 'debug' | 'info' | 'warning' | 'error',
    fields: Record<string, unknown>,
    msg: string,
  ) => {
    if (LEVELS[level] > threshold) return;
    const all = { ...bindings, ...fields };
    const time = options.now().toISOString();
    if (options.format === 'json') {
      stderr.write(`${JSON.stringify({ level, time, msg, ...all })}\n`);
      return;
    }
    stderr.write(textLine(time, level, msg, all, 200));
  };
  return {
    debug: (fields, msg) => {
      write('debug', fields, msg);
    },
    info: (fields, msg) => {
      write('info', fields, msg);
    },
    warn: (fields, msg) => {
      write('warning', fields, msg);
    },
    error: (fields, msg) => {
      write('error', fields, msg);
    },
    child: (more) => createStderrLogger(stderr, options, { ...bindings, ...more }),
  };
}
