import { AuthError } from '@iam-authenticator/core';
import type { CliIo } from '../io.js';

// Placeholder until this command lands; replaced by its implementation.
export function run(_args: string[], _io: CliIo): Promise<number> {
  return Promise.reject(new AuthError('usage_error', 'this command is not available yet'));
}
