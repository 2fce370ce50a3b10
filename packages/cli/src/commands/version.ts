import { VERSION } from '@iam-authenticator/core';
import type { CliIo } from '../io.js';

export function run(_args: string[], io: CliIo): Promise<number> {
  io.stdout.write(`${JSON.stringify({ Version: VERSION, Commit: 'unknown' })}\n`);
  return Promise.resolve(0);
}
