/**
 * Whole-process wall time of `iam-authenticator token`, as kubectl experiences it, in ratios to
 * `node -e 0` measured in the same run (DESIGN.md: speed as ratios, never in timed tests).
 *   node test/dist/bench/token/run.js [runs]
 * Targets: cache hit ≤ 1.3× the floor, cold signing (--no-token-cache, env credentials) ≤ 2×.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const AWS_CLI = '/usr/bin/aws';
const RUNS = Math.max(15, Number(process.argv[2] ?? 21) || 21);

interface Case {
  name: string;
  command: string;
  args: string[];
  target?: number;
}

function timeOnce(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? 'by signal'}: ${result.stderr.toString()}`,
    );
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function runTokenBench(runs = RUNS): boolean {
  const home = mkdtempSync(join(tmpdir(), 'token-bench-'));
  writeFileSync(join(home, 'empty'), '');
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-west-2',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'empty'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'empty'),
  };
  const cases: Case[] = [
    { name: 'floor: node -e 0', command: process.execPath, args: ['-e', '0'] },
    { name: 'token, cache hit', command: process.execPath, args: [BIN, 'token', '-i', 'bench'], target: 1.3 },
    {
      name: 'token, cold (--no-token-cache)',
      command: process.execPath,
      args: [BIN, 'token', '-i', 'bench', '--no-token-cache'],
      target: 2,
    },
  ];
  const awsCli = existsSync(AWS_CLI);
  if (awsCli) {
    cases.push({
      name: 'aws eks get-token',
      command: AWS_CLI,
      args: ['eks', 'get-token', '--cluster-name', 'bench'],
    });
  }
  // Warm the cache (and the OS file cache) before measuring.
  for (const c of cases) timeOnce(c.command, c.args, env);
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  // Interleaved rounds, so drift in machine load hits every case alike.
  for (let round = 0; round < runs; round += 1) {
    for (const c of cases) samples.get(c.name)!.push(timeOnce(c.command, c.args, env));
  }
  rmSync(home, { recursive: true, force: true });

  const floor = median(samples.get(cases[0]!.name)!);
  let ok = true;
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  // Ratios shift with machine load (a busy machine inflates the floor more than our extra work).
  console.log(`token benchmark: median of ${runs} runs each, node ${process.version}, load average ${load}`);
  for (const c of cases) {
    const ms = median(samples.get(c.name)!);
    const ratio = ms / floor;
    const verdict =
      c.target === undefined
        ? ''
        : ratio <= c.target
          ? ` (target ≤ ${c.target}×: met)`
          : ` (target ≤ ${c.target}×: MISSED)`;
    if (c.target !== undefined && ratio > c.target) ok = false;
    console.log(
      `  ${c.name.padEnd(32)} ${ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}× floor${verdict}`,
    );
  }
  if (awsCli) {
    // The second target: both of our cases at most a quarter of `aws eks get-token`'s time.
    const aws = median(samples.get('aws eks get-token')!);
    for (const c of cases.slice(1, 3)) {
      const ratio = median(samples.get(c.name)!) / aws;
      const met = ratio <= 0.25;
      if (!met) ok = false;
      console.log(
        `  ${c.name.padEnd(32)} ${ratio.toFixed(2)}× aws eks get-token (target ≤ 0.25×: ${met ? 'met' : 'MISSED'})`,
      );
    }
  } else {
    console.log(`  ${AWS_CLI} not found: no comparison with aws eks get-token`);
  }
  return ok;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = runTokenBench() ? 0 : 1;
}
