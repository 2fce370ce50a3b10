/**
 * Issue 6 §2: STS throttling reaches kube-apiserver as 429, which it retries (500 ms × 1.5, 5 steps); a login that
 * meets a short burst of throttling still succeeds, a longer one fails with Unauthorized and is not cached.
 */
import {
  ACCOUNT,
  eventually,
  identityUser,
  kubectls,
  startLoginEnvironment,
  tokenSecrets,
} from './support-login.js';
import type { LoginEnvironment, WhoamiResult } from './support-login.js';

const ADMIN = identityUser(':user/ops/admin');
const [KUBECTL] = kubectls();

let env: LoginEnvironment;
beforeAll(async () => {
  env = await startLoginEnvironment({
    clusterId: 'e2e-throttling',
    awsAuth: {},
    serverMappings: { mapUsers: [{ userARN: ADMIN.arn, username: 'ops-admin', groups: ['system:masters'] }] },
    // No identity cache: every review reaches STS, so injected faults meet each retry.
    identityCacheTtl: '0s',
    standins: [
      // kube-apiserver's own backoff.
      { webhookVersion: 'v1', cacheTtlMs: 0 },
      // A fast backoff for the exhaustion case (5 attempts per request).
      { webhookVersion: 'v1beta1', cacheTtlMs: 0, retryInitialMs: 20 },
    ],
  });
}, 60_000);
afterAll(async () => {
  await (env as LoginEnvironment | undefined)?.close();
});

function login(standin: number): Promise<WhoamiResult> {
  return env.whoami(KUBECTL!, env.standins[standin]!, ADMIN, {
    execApiVersion:
      standin === 0 ? 'client.authentication.k8s.io/v1' : 'client.authentication.k8s.io/v1beta1',
  });
}

function throttledReviews(): number {
  return env.serverLogLines().filter((line) => line.result === 'sts_throttling').length;
}

it('the webhook answers 429 while STS throttles, and a normal TokenReview once it stops', async () => {
  // A token from our exec plugin (the first login mints and caches it).
  const first = await login(0);
  expect(first.code).toBe(0);
  const [token] = env.tokens();
  expect(token).toBeDefined();
  const review = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences: ['https://kubernetes.default.svc'] },
  };
  env.sts.injectFaults({ count: 1, kind: 'throttle', action: 'GetCallerIdentity' });
  const throttled = await env.webhookRequest('POST', '/authenticate', review);
  expect(throttled.status).toBe(429);
  expect(throttled.body).not.toContain(token!);
  const allowed = await env.webhookRequest('POST', '/authenticate', review);
  expect(allowed.status).toBe(200);
  expect(JSON.parse(allowed.body)).toMatchObject({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    status: { authenticated: true, user: { username: 'ops-admin', groups: ['system:masters'] } },
  });
});

it('two throttled STS answers: the stand-in retries the 429s and the login succeeds', async () => {
  const standin = env.standins[0]!;
  const before = standin.stats();
  const throttledBefore = throttledReviews();
  const faultedBefore = env.sts.counts().faulted ?? 0;
  env.sts.injectFaults({ count: 2, kind: 'throttle', action: 'GetCallerIdentity' });

  const result = await login(0);
  if (result.code !== 0)
    throw new Error(`${result.stderr}\nserver log tail:\n${env.serverLogs().slice(-3000)}`);
  expect(result.userInfo).toMatchObject({
    username: 'ops-admin',
    uid: `aws-iam-authenticator:${ACCOUNT}:AIDAEMULATORADMIN001`,
    groups: ['system:masters', 'system:authenticated'],
  });
  const after = standin.stats();
  expect(after.webhookRetries - before.webhookRetries).toBe(2);
  expect(after.webhookErrors - before.webhookErrors).toBe(0);
  // kube-apiserver's backoff: 500 ms then 750 ms (±20 % jitter) before the third call.
  expect(result.ms).toBeGreaterThanOrEqual(1250);
  expect((env.sts.counts().faulted ?? 0) - faultedBefore).toBe(2);
  await env.waitForServerLog(() => throttledReviews() - throttledBefore >= 2);
  const warned = env.serverLogLines().filter((line) => line.result === 'sts_throttling');
  expect(warned.at(-1)).toMatchObject({ msg: 'access denied', reason: 'sts_throttled' });
});

it('throttling that outlasts the retries fails the login with Unauthorized, and the failure is not cached', async () => {
  const standin = env.standins[1]!;
  const before = standin.stats();
  env.sts.injectFaults({ count: 50, kind: 'throttle', action: 'GetCallerIdentity' });
  const refused = await login(1);
  env.sts.clearFaults();
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/Unauthorized|provide credentials/);
  const after = standin.stats();
  // Each webhook request: 1 call + 4 retries, then an error (401, not cached).
  expect(after.webhookErrors - before.webhookErrors).toBeGreaterThanOrEqual(1);
  expect(after.webhookRetries - before.webhookRetries).toBe(4 * (after.webhookErrors - before.webhookErrors));

  const { value } = await eventually(async () => {
    const result = await login(1);
    return result.code === 0 ? result : undefined;
  }, 2000);
  expect(value.userInfo).toMatchObject({ username: 'ops-admin' });
});

it('no token appears in the server logs', () => {
  const tokens = env.tokens();
  expect(tokens.length).toBeGreaterThanOrEqual(1);
  const logs = env.serverLogs();
  expect(logs).toContain('sts_throttling');
  for (const token of tokens) {
    for (const secret of tokenSecrets(token)) expect(logs).not.toContain(secret);
  }
  expect(logs).not.toMatch(/X-Amz-Signature=|X-Amz-Security-Token=|k8s-aws-v1\./i);
});
