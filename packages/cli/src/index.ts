export { main } from './main.js';
export type { CliIo, CommandRun } from './io.js';
export { createServerLogger } from './server-cli/logger.js';
export type { BufferedLogger } from './server-cli/logger.js';
