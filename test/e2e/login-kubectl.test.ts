/**
 * Issue 6 §2: real kubectl (installed and 1.27) logs in through a kube-apiserver stand-in (webhook v1beta1 and v1)
 * to our webhook server, with our `token` as exec plugin; mappings from the server config (MountedFile) and from
 * kube-system/aws-auth (EKSConfigMap).
 */
import {
  ACCOUNT,
  DEV_ROLE_ARN,
  SESSION_NAME,
  SSO_ROLE_ARN,
  identityUser,
  kubectls,
  startLoginEnvironment,
  tokenSecrets,
} from './support-login.js';
import type { AwsUser, LoginEnvironment, WebhookVersion, WhoamiOptions } from './support-login.js';

const ADMIN = identityUser(':user/ops/admin');
const BOB = identityUser(':user/bob');

const AWS_AUTH = {
  mapRoles: `- rolearn: ${DEV_ROLE_ARN}
  username: "dev:{{SessionName}}"
  groups:
    - developers
- sso:
    permissionSetName: Admin
    accountID: "${ACCOUNT}"
  username: "sso-admin:{{SessionName}}"
  groups:
    - sso-admins
`,
};

const VERSIONS: readonly WebhookVersion[] = ['v1beta1', 'v1'];
let env: LoginEnvironment;

beforeAll(async () => {
  env = await startLoginEnvironment({
    clusterId: 'e2e-login',
    awsAuth: AWS_AUTH,
    serverMappings: {
      mapUsers: [{ userARN: ADMIN.arn, username: 'ops-admin', groups: ['system:masters'] }],
    },
    standins: VERSIONS.map((webhookVersion) => ({ webhookVersion })),
  });
}, 60_000);

afterAll(async () => {
  await (env as LoginEnvironment | undefined)?.close();
});

interface Case {
  readonly who: string;
  readonly user: AwsUser;
  readonly options: WhoamiOptions;
  readonly username?: string;
  readonly groups?: string[];
  readonly uid?: string;
  readonly arn?: string;
  readonly canonicalArn?: string;
}

const CASES: readonly Case[] = [
  {
    who: 'admin user (MountedFile)',
    user: ADMIN,
    options: {},
    username: 'ops-admin',
    groups: ['system:masters', 'system:authenticated'],
    uid: `aws-iam-authenticator:${ACCOUNT}:AIDAEMULATORADMIN001`,
    arn: ADMIN.arn,
    canonicalArn: ADMIN.arn,
  },
  {
    who: 'assumed role with a path, role/team/dev (aws-auth)',
    user: ADMIN,
    options: { role: DEV_ROLE_ARN },
    username: `dev:${SESSION_NAME}`,
    groups: ['developers', 'system:authenticated'],
    uid: `aws-iam-authenticator:${ACCOUNT}:AROAEMULATORDEV00001`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/${SESSION_NAME}`,
    canonicalArn: `arn:aws:iam::${ACCOUNT}:role/dev`,
  },
  {
    who: 'SSO permission-set role (aws-auth sso entry)',
    user: ADMIN,
    options: { role: SSO_ROLE_ARN },
    username: `sso-admin:${SESSION_NAME}`,
    groups: ['sso-admins', 'system:authenticated'],
    uid: `aws-iam-authenticator:${ACCOUNT}:AROAEMULATORSSOADMIN`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/${SESSION_NAME}`,
    canonicalArn: `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Admin_0123456789abcdef`,
  },
  { who: 'unmapped user (bob)', user: BOB, options: {} },
  // The signature binds the token to its cluster ID: STS refuses it when the server sends its own.
  {
    who: 'admin with a token minted for another cluster',
    user: ADMIN,
    options: { tokenClusterId: 'another-cluster' },
  },
];

describe.each(kubectls())('$name', (kubectl) => {
  describe.each(VERSIONS)('webhook %s', (version) => {
    it.each(CASES)('$who', async (c) => {
      const standin = env.standins[VERSIONS.indexOf(version)]!;
      const result = await env.whoami(kubectl, standin, c.user, {
        ...c.options,
        // The exec plugin protocol follows the webhook version, so both plugin versions are covered.
        execApiVersion:
          version === 'v1' ? 'client.authentication.k8s.io/v1' : 'client.authentication.k8s.io/v1beta1',
      });
      if (c.username === undefined) {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/Unauthorized|provide credentials/);
        expect(result.userInfo).toBeUndefined();
        return;
      }
      if (result.code !== 0)
        throw new Error(`${result.stderr}\nserver log tail:\n${env.serverLogs().slice(-3000)}`);
      expect(result.stderr).toBe('');
      expect(result.userInfo).toEqual({
        username: c.username,
        uid: c.uid,
        groups: c.groups,
        extra: expect.objectContaining({
          arn: [c.arn],
          canonicalArn: [c.canonicalArn],
          'sigs.k8s.io/aws-iam-authenticator/principalId': [c.uid?.split(':').pop()],
        }) as unknown,
      });
    });
  });
});

it('a logged-in admin reads aws-auth through the stand-in; the unmapped user cannot', async () => {
  const [kubectl] = kubectls();
  const args = ['get', 'configmap', '-n', 'kube-system', 'aws-auth', '-o', 'jsonpath={.data.mapRoles}'];
  const read = await env.kubectlAs(kubectl!, env.standins[0]!, ADMIN, {}, args);
  expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: '' });
  expect(read.stdout).toBe(AWS_AUTH.mapRoles);
  const refused = await env.kubectlAs(kubectl!, env.standins[0]!, BOB, {}, args);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/Unauthorized|provide credentials/);
  expect(refused.stdout).toBe('');
});

it('the stand-ins reached the webhook without errors, and no token appears in the server logs', () => {
  for (const standin of env.standins) {
    const stats = standin.stats();
    expect(stats.webhookCalls).toBeGreaterThanOrEqual(CASES.length);
    expect(stats.webhookErrors).toBe(0);
  }
  const tokens = env.tokens();
  // admin, dev, sso, bob, admin for another cluster: at least one token each (the exec plugin caches them).
  expect(tokens.length).toBeGreaterThanOrEqual(CASES.length);
  const logs = env.serverLogs();
  expect(logs).toContain('access granted');
  const denials = env.serverLogLines().filter((line) => line.msg === 'access denied');
  expect(new Set(denials.map((line) => line.reason))).toEqual(new Set(['identity_unmapped', 'sts_rejected']));
  expect(denials.find((line) => line.reason === 'sts_rejected')?.detail).toMatch(/SignatureDoesNotMatch/);
  for (const token of tokens) {
    for (const secret of tokenSecrets(token)) expect(logs).not.toContain(secret);
  }
  expect(logs).not.toMatch(/X-Amz-Signature=|X-Amz-Security-Token=|k8s-aws-v1\./i);
});
