import { sha256Hex } from './sha256.js';

/** The subset of pino's API our packages use, so libraries take a logger without depending on pino. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** pino's check; callers on hot paths skip building fields for a line that would be dropped. */
  isLevelEnabled?(level: string): boolean;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * The only form in which a token may appear in a log: the first 16 hex characters of its sha256.
 * A presigned URL is a bearer credential for 15 minutes, so neither it nor the token is ever logged.
 */
export function tokenFingerprint(token: string): string {
  return sha256Hex(token).slice(0, 16);
}
