/**
 * Instructions per request, counted by valgrind's callgrind on the main thread of the bench process
 * (run.ts --callgrind): repeatable where the throughput ratios of run.ts drift with this shared VM.
 * Counts, not seconds: syscalls and cache misses are not in them, so they track our own work and are
 * read as ratios to the floors counted the same way.
 *   node test/dist/bench/webhook/instructions.js [--requests N]     (needs valgrind: apt install valgrind)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const requestsArg = process.argv.indexOf('--requests');
const REQUESTS = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 2000;

function mainThreadInstructions(dir: string, scenario: string): number {
  const out = join(dir, `cg-${scenario}.out`);
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}`,
      process.execPath,
      join(here, 'run.js'),
      '--callgrind',
      scenario,
      '--requests',
      String(REQUESTS),
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' }, maxBuffer: 64 << 20 },
  );
  if (run.status !== 0) throw new Error(`${scenario}: valgrind run failed\n${run.stderr.slice(-2000)}`);
  // Thread 1 is the main thread (the event loop); the others are V8's and libuv's helpers.
  const main = readdirSync(dir).find((name) => name === `cg-${scenario}.out-01`);
  if (main === undefined) throw new Error(`${scenario}: no main-thread profile`);
  const annotated = execFileSync('callgrind_annotate', [join(dir, main)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const total = /^\s*([\d,]+)\s.*PROGRAM TOTALS/m.exec(annotated)?.[1];
  if (total === undefined) throw new Error(`${scenario}: no totals in the profile`);
  return Number(total.replaceAll(',', '')) / REQUESTS;
}

const dir = mkdtempSync(join(tmpdir(), 'iam-bench-cg-'));
try {
  const counts: Record<string, number> = {};
  for (const scenario of ['bare', 'required', 'hit', 'pass', 'required-miss', 'miss']) {
    counts[scenario] = mainThreadInstructions(dir, scenario);
    process.stderr.write(`${scenario}: ${Math.round(counts[scenario] ?? 0)} instructions per request\n`);
  }
  const k = (n: number | undefined): string => `${Math.round((n ?? 0) / 1000)} k`;
  process.stdout.write(
    `main-thread instructions per request (${REQUESTS} requests after ${3 * REQUESTS} of warm-up)\n` +
      `  bare HTTPS ${k(counts['bare'])}, cache hit ${k(counts['hit'])}: ${((counts['hit'] ?? 0) / (counts['bare'] ?? 1)).toFixed(2)}×\n` +
      `  required steps only (not ours) ${k(counts['required'])}: ${((counts['required'] ?? 0) / (counts['bare'] ?? 1)).toFixed(2)}× bare\n` +
      `  pass-through ${k(counts['pass'])}, cache miss ${k(counts['miss'])}: ${((counts['miss'] ?? 0) / (counts['pass'] ?? 1)).toFixed(2)}×\n` +
      `  required steps only, miss (not ours) ${k(counts['required-miss'])}: ${((counts['required-miss'] ?? 0) / (counts['pass'] ?? 1)).toFixed(2)}× pass-through\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
