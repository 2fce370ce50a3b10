/**
 * Issue 6 §2: edits of kube-system/aws-auth take effect for logins through real kubectl: `mapping create` grants an
 * unmapped user within 2 s, `mapping delete` revokes it, and a broken `kubectl apply` / `kubectl edit` of mapRoles
 * does not lock anybody out (the last good roles stay, DESIGN.md difference 5).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  DEV_ROLE_ARN,
  SESSION_NAME,
  identityUser,
  kubectls,
  startLoginEnvironment,
  tokenSecrets,
} from './support-login.js';
import type { AwsUser, LoginEnvironment, WhoamiOptions, WhoamiResult } from './support-login.js';

const ADMIN = identityUser(':user/ops/admin');
const ALICE = identityUser(':user/alice');
const BOB = identityUser(':user/bob');
const [KUBECTL] = kubectls();
const GOOD_MAP_ROLES = `- rolearn: ${DEV_ROLE_ARN}
  username: "dev:{{SessionName}}"
  groups:
    - developers
`;
/** A stand-in cache TTL as short as this makes a real apiserver's cached denial expire inside the 2 s budget. */
const STANDIN_TTL_MS = 500;

let env: LoginEnvironment;
beforeAll(async () => {
  env = await startLoginEnvironment({
    clusterId: 'e2e-edits',
    awsAuth: { mapRoles: GOOD_MAP_ROLES },
    serverMappings: { mapUsers: [{ userARN: ADMIN.arn, username: 'ops-admin', groups: ['system:masters'] }] },
    identityCacheTtl: '1s',
    standins: [{ webhookVersion: 'v1beta1', cacheTtlMs: STANDIN_TTL_MS }],
  });
}, 60_000);
afterAll(async () => {
  await (env as LoginEnvironment | undefined)?.close();
});

function login(user: AwsUser, options: WhoamiOptions = {}): Promise<WhoamiResult> {
  return env.whoami(KUBECTL!, env.standins[0]!, user, options);
}

function expectUnauthorized(result: WhoamiResult): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/Unauthorized|provide credentials/);
}

async function expectUser(
  user: AwsUser,
  options: WhoamiOptions,
  username: string,
  groups: string[],
): Promise<void> {
  const result = await login(user, options);
  if (result.code !== 0)
    throw new Error(`${result.stderr}\nserver log tail:\n${env.serverLogs().slice(-3000)}`);
  expect(result.userInfo).toMatchObject({ username, groups: [...groups, 'system:authenticated'] });
}

function awsAuthData(): Record<string, string> {
  return (env.kubeApi.getConfigMap('kube-system', 'aws-auth')?.data ?? {}) as Record<string, string>;
}

function resourceVersion(): string {
  const metadata = env.kubeApi.getConfigMap('kube-system', 'aws-auth')?.metadata as {
    resourceVersion?: string;
  };
  return metadata.resourceVersion ?? '';
}

/** Waits until the server has loaded the current aws-auth version (with issues, or cleanly). */
function serverLoaded(withIssues: boolean): Promise<Record<string, unknown>> {
  const rv = resourceVersion();
  return env.waitForServerLog(
    (line) =>
      line.resourceVersion === rv &&
      line.msg === (withIssues ? 'aws-auth configmap loaded with issues' : 'aws-auth configmap loaded'),
  );
}

const mapping = (...args: string[]) =>
  env.cli(['mapping', ...args, '--kubeconfig', env.kubeApiKubeconfig, '--yes']);

it('refuses an unmapped user; the admin (MountedFile) and the dev role (aws-auth) log in', async () => {
  expectUnauthorized(await login(BOB));
  await expectUser(ADMIN, {}, 'ops-admin', ['system:masters']);
  await expectUser(ALICE, { role: DEV_ROLE_ARN }, `dev:${SESSION_NAME}`, ['developers']);
});

it('`mapping create` grants the unmapped user within 2 s', async () => {
  const created = await mapping('create', '--arn', BOB.arn, '--username', 'bob', '--group', 'viewers');
  const returnedAt = Date.now();
  expect(created.stderr).not.toMatch(/error/i);
  expect(created.code).toBe(0);
  expect(parseYaml(awsAuthData().mapUsers ?? '')).toEqual([
    { userarn: BOB.arn, username: 'bob', groups: ['viewers'] },
  ]);
  // The dev role mapping is untouched by the edit.
  expect(awsAuthData().mapRoles).toBe(GOOD_MAP_ROLES);

  // The server applies the edit within 2 s of the command returning (its own log line's time, so a slow
  // kubectl start on a loaded machine does not count), and the user logs in.
  const loaded = await serverLoaded(false);
  expect(Number(loaded['time']) - returnedAt).toBeLessThanOrEqual(2000);
  // A denial of Bob the stand-in API server cached before the edit expires first.
  await new Promise((resolve) => setTimeout(resolve, STANDIN_TTL_MS + 100));
  const value = await login(BOB);
  expect(value.code).toBe(0);
  expect(value.userInfo).toMatchObject({ username: 'bob', groups: ['viewers', 'system:authenticated'] });
});

it('`mapping delete` revokes the user once the caches expire', async () => {
  const deleted = await mapping('delete', '--arn', BOB.arn);
  expect(deleted.code).toBe(0);
  expect(parseYaml(awsAuthData().mapUsers ?? '[]') ?? []).toEqual([]);
  const returnedAt = Date.now();
  // The server applies the edit within 2 s (its log line's time); the mapping is applied afresh on every
  // review, so once the stand-in API server's own webhook cache has expired, Bob is refused.
  const loaded = await serverLoaded(false);
  expect(Number(loaded['time']) - returnedAt).toBeLessThanOrEqual(2000);
  await new Promise((resolve) => setTimeout(resolve, STANDIN_TTL_MS + 100));
  expectUnauthorized(await login(BOB));
  // Nobody else lost access.
  await expectUser(ALICE, { role: DEV_ROLE_ARN }, `dev:${SESSION_NAME}`, ['developers']);
});

it('a `kubectl apply` of aws-auth with broken mapRoles YAML keeps the roles working', async () => {
  const manifest = join(env.dir, 'aws-auth-broken.json');
  writeFileSync(
    manifest,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-auth', namespace: 'kube-system' },
      data: {
        // Tab indentation: a YAML syntax error (the reference drops every role, node roles included).
        mapRoles: `- rolearn: ${DEV_ROLE_ARN}\n\tusername: broken\n\tgroups:\n\t\t- system:masters\n`,
        mapUsers: `- userarn: ${BOB.arn}\n  username: bob\n  groups:\n    - viewers\n`,
      },
    }),
  );
  const applied = await env.kubectlAdmin(KUBECTL!, ['apply', '-f', manifest]);
  expect(applied.code).toBe(0);
  expect(awsAuthData().mapRoles).toContain('\tusername: broken');
  const loaded = await serverLoaded(true);
  expect(loaded.failedKeys).toEqual(['mapRoles']);
  env.standins[0]!.flushCache();

  await expectUser(ALICE, { role: DEV_ROLE_ARN }, `dev:${SESSION_NAME}`, ['developers']);
  await expectUser(ADMIN, {}, 'ops-admin', ['system:masters']);
  // mapUsers parsed on its own: the valid part of the same edit applies.
  await expectUser(BOB, {}, 'bob', ['viewers']);

  // Our own editor refuses to rewrite a map that does not parse, and leaves the ConfigMap as it was.
  const before = awsAuthData();
  const refused = await mapping('create', '--arn', ALICE.arn, '--username', 'alice');
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/does not parse/);
  expect(awsAuthData()).toEqual(before);
});

it('a `kubectl edit` that breaks mapRoles keeps the roles working', async () => {
  env.kubeApi.setConfigMap('kube-system', 'aws-auth', { mapRoles: GOOD_MAP_ROLES });
  await serverLoaded(false);
  // The editor closes nothing: an unterminated flow sequence in the dev entry.
  const editor = join(env.dir, 'break-map-roles.mjs');
  writeFileSync(
    editor,
    `import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
const text = readFileSync(file, 'utf8');
const next = text.replace(/^(\\s+)groups:\\n\\s+- developers$/m, '$1groups: [developers');
if (next === text) { process.stderr.write('editor: pattern not found\\n' + text); process.exit(3); }
writeFileSync(file, next);
`,
  );
  const edited = await env.kubectlAdmin(KUBECTL!, ['edit', '-n', 'kube-system', 'configmap', 'aws-auth'], {
    KUBE_EDITOR: `${process.execPath} ${editor}`,
  });
  expect(edited.stderr).not.toMatch(/error/i);
  expect(edited.code).toBe(0);
  expect(awsAuthData().mapRoles).toContain('groups: [developers\n');
  const loaded = await serverLoaded(true);
  expect(loaded.failedKeys).toEqual(['mapRoles']);
  env.standins[0]!.flushCache();

  await expectUser(ALICE, { role: DEV_ROLE_ARN }, `dev:${SESSION_NAME}`, ['developers']);
  await expectUser(ADMIN, {}, 'ops-admin', ['system:masters']);
  expectUnauthorized(await login(BOB));
});

it('no token appears in the server logs', () => {
  const tokens = env.tokens();
  expect(tokens.length).toBeGreaterThanOrEqual(3);
  const logs = env.serverLogs();
  for (const token of tokens) {
    for (const secret of tokenSecrets(token)) expect(logs).not.toContain(secret);
  }
  expect(logs).not.toMatch(/X-Amz-Signature=|X-Amz-Security-Token=|k8s-aws-v1\./i);
});
