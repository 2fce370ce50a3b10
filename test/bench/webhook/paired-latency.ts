/**
 * Added latency at a fixed rate, measured in pairs: `node paired-latency.js CONFIG.json` sends one request
 * to the floor and one to the webhook on every tick (order alternating), each at `rate` requests/s, over
 * keep-alive HTTPS, and prints one JSON line with both latency distributions (µs resolution).
 *
 * Why pairs: this machine is a shared 2-core VM whose hiccups (tens of ms) land in the p99 of whichever
 * run they fall in. Two back-to-back runs compare two different stretches of noise; interleaved requests
 * see the same stretch, so their p99s differ by what the servers do.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

interface PairedConfig {
  floorUrl: string;
  url: string;
  ca: string;
  body: string;
  /** Requests per second to each of the two targets. */
  rate: number;
  durationSeconds: number;
}

interface Distribution {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as PairedConfig;

function send(agent: Agent, url: URL, body: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        servername: 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) resolvePromise(Number(process.hrtime.bigint() - started) / 1e6);
          else reject(new Error(`status ${res.statusCode}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function summarise(samples: number[], errors: number): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, errors, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

const targets = [new URL(config.floorUrl), new URL(config.url)] as const;
const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 10, ca: config.ca }));
const samples: [number[], number[]] = [[], []];
const errors = [0, 0];
const pending: Promise<void>[] = [];
const fire = (i: 0 | 1): void => {
  pending.push(
    send(agents[i]!, targets[i], config.body).then(
      (ms) => {
        samples[i].push(ms);
      },
      () => {
        errors[i]! += 1;
      },
    ),
  );
};

// Warm both connection pools, then tick at the rate: one request to each target per tick.
await Promise.all([0, 1, 0, 1].map((i) => send(agents[i]!, targets[i as 0 | 1], config.body)));
const intervalNs = BigInt(Math.round(1e9 / config.rate));
const ticks = Math.round(config.rate * config.durationSeconds);
const start = process.hrtime.bigint();
for (let tick = 0; tick < ticks; tick++) {
  const due = start + BigInt(tick) * intervalNs;
  const waitMs = Number(due - process.hrtime.bigint()) / 1e6;
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  const first = (tick % 2) as 0 | 1;
  fire(first);
  fire((1 - first) as 0 | 1);
}
await Promise.all(pending);
for (const agent of agents) agent.destroy();
process.stdout.write(
  `${JSON.stringify({ floor: summarise(samples[0], errors[0]!), webhook: summarise(samples[1], errors[1]!) })}\n`,
);
