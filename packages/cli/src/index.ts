export { main } from './main.js';
export type { CliIo, CommandRun } from './io.js';
