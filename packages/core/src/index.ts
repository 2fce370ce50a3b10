export { AuthError, REASONS, clip, isAuthError, isReason, quote } from './errors.js';
export type { Reason } from './errors.js';
export { silentLogger, tokenFingerprint } from './logger.js';
export type { Logger } from './logger.js';
export { RecencyMap } from './recency-map.js';
export { sha256Hex } from './sha256.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { VERSION } from './version.js';
