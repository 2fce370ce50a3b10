import { quote } from '@iam-authenticator/core';

/** The reference's text log line (logrus' text formatter): `time="…" level=info msg="…" key=value …`. */
export function textLine(
  time: string,
  level: string,
  msg: string,
  fields: Record<string, unknown>,
  maxChars = Infinity,
): string {
  let line = `time=${quote(time)} level=${level} msg=${quote(msg, maxChars)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${typeof value === 'string' ? quote(value, maxChars) : JSON.stringify(value)}`;
  }
  return `${line}\n`;
}

/** pino's level numbers as logrus names (`warning`, as the reference prints it). */
const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};

/**
 * One pino JSON line as a text line, for `-l/--log-format text`. pino formats every line as JSON; the
 * text form is made from it, so both forms carry the same fields (and neither carries a token).
 */
export function pinoLineToText(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json; // not pino's output: passed on as written
  }
  const { level, time, msg, ...fields } = entry;
  const name = typeof level === 'number' ? (PINO_LEVELS[level] ?? String(level)) : String(level);
  const when = typeof time === 'number' ? new Date(time).toISOString() : String(time);
  return textLine(when, name, typeof msg === 'string' ? msg : '', fields);
}
