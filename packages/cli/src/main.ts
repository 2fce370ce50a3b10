import { runAtEdge } from './edge.js';
import type { CliIo, CommandRun } from './io.js';

/**
 * Commands are loaded only when called (`await import`), so `token` on a cache hit loads none of
 * the AWS SDK, express or client-node. Each module exports `run(args, io)`.
 */
const COMMANDS: Record<string, () => Promise<{ run: CommandRun }>> = {
  add: () => import('./commands/add.js'),
  cache: () => import('./commands/cache.js'),
  demo: () => import('./commands/demo.js'),
  'get-token': () => import('./commands/get-token.js'),
  init: () => import('./commands/init.js'),
  mapping: () => import('./commands/mapping.js'),
  server: () => import('./commands/server.js'),
  'sts-emulator': () => import('./commands/sts-emulator.js'),
  token: () => import('./commands/token.js'),
  verify: () => import('./commands/verify.js'),
  version: () => import('./commands/version.js'),
};

const USAGE = `usage: iam-authenticator <command> [flags]

commands:
${Object.keys(COMMANDS)
  .sort()
  .map((name) => `  ${name}`)
  .join('\n')}
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stderr.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    io.stderr.write(`iam-authenticator: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  return runAtEdge(async () => (await load()).run(rest, io), io.stderr);
}
