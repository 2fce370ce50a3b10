/**
 * Mapping engine speed (DESIGN.md: measured here, never in timed tests).
 *   node test/dist/bench/mapping/run.js
 * 1. parseAwsAuth on a 1 MiB aws-auth (~5,000 entries): target median < 150 ms.
 * 2. matchIdentity per identity against 50, 500 and 5,000 entries: target median < 5 µs and flat across
 *    sizes (the index makes each lookup O(1)); shown also as a ratio to a floor measured in the same run
 *    (an async function doing one Map lookup).
 */
import { createStaticBackend, matchIdentity, parseAwsAuth } from '@iam-authenticator/mapping';
import type { MappingBackend } from '@iam-authenticator/mapping';
import type { Identity } from '@iam-authenticator/token';

const ACCT = '111122223333';
const HEX = '0123456789abcdef';
const PARSE_TARGET_MS = 150;
const LOOKUP_TARGET_US = 5;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** An aws-auth `data` of `entries` entries: 80% roles (some with paths, some SSO), 20% users, plus accounts. */
export function buildAwsAuth(entries: number): Record<string, string> {
  const roles: string[] = [];
  const users: string[] = [];
  const roleCount = Math.round(entries * 0.8);
  for (let i = 0; i < roleCount; i++) {
    if (i % 50 === 7) {
      roles.push(
        `- sso:\n    permissionSetName: PermSet${i}\n    accountID: "${ACCT}"\n  username: "sso:{{SessionName}}"\n  groups:\n    - team-${i % 97}\n    - readers\n`,
      );
    } else {
      const path = i % 10 === 3 ? `team-${i % 13}/` : '';
      roles.push(
        `- rolearn: arn:aws:iam::${ACCT}:role/${path}service-role-number-${i}-DevelopersAccess\n  username: "dev-${i}:{{SessionName}}"\n  groups:\n    - system:authenticated-team-${i % 97}\n    - view-only-namespace-${i % 31}\n    - namespace-admins-${i % 11}\n`,
      );
    }
  }
  for (let i = 0; i < entries - roleCount; i++) {
    users.push(
      `- userarn: arn:aws:iam::${ACCT}:user/people/engineer-number-${i}@example.com\n  username: engineer-${i}\n  groups:\n    - system:masters-${i % 7}\n    - platform-on-call-rotation\n`,
    );
  }
  return {
    mapRoles: roles.join(''),
    mapUsers: users.join(''),
    mapAccounts: '- "444455556666"\n- "777788889999"\n',
  };
}

function roleCaller(role: string, session: string): Identity {
  return {
    arn: `arn:aws:sts::${ACCT}:assumed-role/${role}/${session}`,
    canonicalArn: `arn:aws:iam::${ACCT}:role/${role}`,
    accountId: ACCT,
    userId: 'AROABENCH',
    sessionName: session,
    accessKeyId: 'ASIABENCH',
    stsEndpoint: 'sts.amazonaws.com',
    principalId: `AROABENCH:${session}`,
  };
}

/** Callers spread over the list: early, middle and late entries, a path role, an SSO role, a user, misses. */
function callers(entries: number): Identity[] {
  const roleCount = Math.round(entries * 0.8);
  const pick = [0, Math.floor(roleCount / 2), roleCount - 1].map((i) => (i % 50 === 7 ? i + 1 : i));
  const list = pick.map((i) => roleCaller(`service-role-number-${i}-DevelopersAccess`, 'alice@example.com'));
  list.push(roleCaller('service-role-number-3-DevelopersAccess', 'bob')); // written with a path
  list.push(roleCaller(`AWSReservedSSO_PermSet7_${HEX}`, 'carol@example.com'));
  list.push({
    ...roleCaller('x', ''),
    arn: `arn:aws:iam::${ACCT}:user/people/engineer-number-0@example.com`,
    canonicalArn: `arn:aws:iam::${ACCT}:user/people/engineer-number-0@example.com`,
    userId: 'AIDABENCH',
  });
  list.push(roleCaller('not-mapped-anywhere', 'mallory'));
  return list;
}

async function timeLookups(
  backends: MappingBackend[],
  ids: Identity[],
  rounds: number,
  perRound: number,
): Promise<number[]> {
  const perCallUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) {
      const identity = ids[i % ids.length];
      // As the webhook calls it: no trace (that is for `mapping explain`).
      if (identity !== undefined) await matchIdentity(identity, backends, { trace: false });
    }
    perCallUs.push(Number(process.hrtime.bigint() - start) / 1e3 / perRound);
  }
  return perCallUs;
}

async function timeFloor(rounds: number, perRound: number): Promise<number[]> {
  const map = new Map([['a', 1]]);
  // eslint-disable-next-line @typescript-eslint/require-await -- the floor is an async call doing one lookup
  const floor = async (key: string): Promise<number | undefined> => map.get(key);
  const perCallUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) await floor(i % 2 === 0 ? 'a' : 'b');
    perCallUs.push(Number(process.hrtime.bigint() - start) / 1e3 / perRound);
  }
  return perCallUs;
}

export async function runMappingBench(): Promise<boolean> {
  let ok = true;
  out(`mapping benchmark, node ${process.version}`);

  const big = buildAwsAuth(5000);
  const bytes = Object.values(big).reduce((n, v) => n + Buffer.byteLength(v), 0);
  for (let i = 0; i < 3; i++) parseAwsAuth(big); // warm-up
  const parseMs: number[] = [];
  let parsed = parseAwsAuth(big);
  for (let i = 0; i < 9; i++) {
    const start = process.hrtime.bigint();
    parsed = parseAwsAuth(big);
    parseMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const errors = parsed.issues.filter((i) => i.severity === 'error').length;
  const entries = parsed.mappings.mapRoles.length + parsed.mappings.mapUsers.length;
  const parseMedian = median(parseMs);
  const parseOk = parseMedian < PARSE_TARGET_MS && errors === 0 && entries === 5000;
  ok &&= parseOk;
  out(
    `parseAwsAuth: ${(bytes / 1024 / 1024).toFixed(2)} MiB, ${entries} entries, ${errors} errors: median ${parseMedian.toFixed(1)} ms (min ${Math.min(...parseMs).toFixed(1)}) target < ${PARSE_TARGET_MS} ms ${parseOk ? 'OK' : 'FAIL'}`,
  );

  const floor = median(await timeFloor(5, 20_000));
  const floorRuns = await timeFloor(15, 20_000);
  const floorUs = Math.min(floor, median(floorRuns));
  out(`floor (async call + one Map lookup): median ${floorUs.toFixed(3)} µs`);
  const sizes = [50, 500, 5000];
  const cases = [];
  for (const size of sizes) {
    const set = parseAwsAuth(buildAwsAuth(size)).mappings;
    const backends = [createStaticBackend('EKSConfigMap', set)];
    const ids = callers(size);
    const first = await matchIdentity(ids[0] ?? roleCaller('x', 'y'), backends, {});
    if (first.mapped === undefined) throw new Error(`bench set of ${size} does not map its first caller`);
    await timeLookups(backends, ids, 3, 20_000); // warm-up, builds the index
    cases.push({ size, backends, ids, runs: [] as number[] });
  }
  // Sizes interleaved round by round, so JIT tiering and machine drift fall on all of them alike.
  for (let round = 0; round < 15; round++) {
    for (const c of cases) c.runs.push(...(await timeLookups(c.backends, c.ids, 1, 20_000)));
  }
  const medians: number[] = [];
  for (const { size, runs } of cases) {
    const us = median(runs);
    medians.push(us);
    const sizeOk = us < LOOKUP_TARGET_US;
    ok &&= sizeOk;
    out(
      `matchIdentity vs ${String(size).padStart(4)} entries: median ${us.toFixed(3)} µs/lookup (${(us / floorUs).toFixed(1)}× floor) target < ${LOOKUP_TARGET_US} µs ${sizeOk ? 'OK' : 'FAIL'}`,
    );
  }
  const spread = Math.max(...medians) / Math.min(...medians);
  const flat = spread < 1.5;
  ok &&= flat;
  out(`lookup spread across sizes: ${spread.toFixed(2)}× (flat if < 1.5×) ${flat ? 'OK' : 'FAIL'}`);
  return ok;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  process.exitCode = (await runMappingBench()) ? 0 : 1;
}
