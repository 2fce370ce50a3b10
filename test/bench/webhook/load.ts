/**
 * The load generator, run as a separate process so it does not share the event loop with the servers:
 * `node load.js CONFIG.json` prints one JSON summary line of the autocannon run on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadConfig {
  url: string;
  ca: string;
  bodies: string[];
  connections: number;
  durationSeconds: number;
  overallRate?: number;
  /** A fixed number of requests instead of a duration (the instruction counts of instructions.ts). */
  amount?: number;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadConfig;
let next = 0;
const result = await autocannon({
  url: config.url,
  method: 'POST',
  connections: config.connections,
  ...(config.amount === undefined
    ? { duration: config.durationSeconds }
    : { amount: config.amount, timeout: 120 }),
  ...(config.overallRate === undefined ? {} : { overallRate: config.overallRate }),
  headers: { 'content-type': 'application/json' },
  tlsOptions: { ca: config.ca, servername: 'localhost' },
  requests: [
    {
      setupRequest: (request) => {
        const body = config.bodies[next++ % config.bodies.length] ?? '';
        return { ...request, body };
      },
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  })}\n`,
);
