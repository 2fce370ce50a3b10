import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { createStsClient, presignCallerIdentity, verifyToken } from '@iam-authenticator/token';
import type { StsClient } from '@iam-authenticator/token';
import { authErrorOf } from '../support/index.js';
import { createTestCa, issueTestCert } from '../support/tls.js';
import type { TestKeyPair } from '../support/tls.js';

/** Reference generator's known-answer token (token-and-webhook.md §1.2), cluster "test-cluster". */
const REFERENCE_TOKEN =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ';
const NOW = new Date('2023-04-28T00:05:00Z');
const VECTOR_USER = {
  accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
  secretAccessKey: '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q',
  arn: 'arn:aws:iam::111122223333:user/vector',
  userId: 'AIDAVECTOR',
};
const ALICE = {
  accessKeyId: 'AKIAALICEEXAMPLE0001',
  secretAccessKey: 'alice-secret-key',
  arn: 'arn:aws:iam::111122223333:user/devs/alice',
  userId: 'AIDAALICEEXAMPLE',
};
const IDENTITIES: IdentitiesFile = { users: [VECTOR_USER, ALICE], roles: [], instances: [] };
const HOSTS = [
  'sts.us-west-2.amazonaws.com',
  'sts.eu-west-1.amazonaws.com',
  'sts-fips.us-east-2.amazonaws.com',
  'sts.us-east-1.api.aws',
  'sts.amazonaws.com',
];

let ca: TestKeyPair;
let keys: TestKeyPair;
let emulator: StsEmulator;
let sts: StsClient;

beforeAll(async () => {
  ca = await createTestCa();
  keys = await issueTestCert(ca, { dnsNames: HOSTS });
  emulator = await startStsEmulator({
    identities: IDENTITIES,
    tls: { cert: keys.certPem, key: keys.keyPem },
    now: () => NOW,
  });
  sts = createStsClient({ endpointOverride: emulator.url, ca: ca.certPem, timeoutMs: 2000 });
});

afterAll(async () => {
  sts.close();
  await emulator.close();
});

afterEach(() => {
  emulator.clearFaults();
});

async function aliceToken(
  endpoint: { region: string; useFips?: boolean; useDualStack?: boolean },
  clusterId = 'prod',
): Promise<string> {
  const { token } = await presignCallerIdentity({
    credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
    clusterId,
    now: () => NOW,
    ...endpoint,
  });
  return token;
}

describe('sts client against the STS emulator (real SigV4 verification)', () => {
  it("accepts the reference generator's known-answer token for its cluster", async () => {
    const identity = await verifyToken(REFERENCE_TOKEN, { clusterId: 'test-cluster', now: () => NOW, sts });
    expect(identity).toMatchObject({
      arn: VECTOR_USER.arn,
      canonicalArn: VECTOR_USER.arn,
      accountId: '111122223333',
      userId: 'AIDAVECTOR',
      sessionName: '',
      accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
      stsEndpoint: 'sts.us-west-2.amazonaws.com',
    });
  });

  it('rejects the same token on a server with another cluster id (cross-cluster replay, §6.1)', async () => {
    const error = await authErrorOf(
      verifyToken(REFERENCE_TOKEN, { clusterId: 'other-cluster', now: () => NOW, sts }),
    );
    expect(error.reason).toBe('sts_rejected');
    expect(error.message).toContain('SignatureDoesNotMatch');
  });

  it.each([
    ['regional', { region: 'eu-west-1' }, 'sts.eu-west-1.amazonaws.com'],
    ['FIPS', { region: 'us-east-2', useFips: true }, 'sts-fips.us-east-2.amazonaws.com'],
    ['dual-stack', { region: 'us-east-1', useDualStack: true }, 'sts.us-east-1.api.aws'],
    ['global', { region: 'aws-global' }, 'sts.amazonaws.com'],
  ])('verifies a fresh token of our generator: %s', async (_name, endpoint, host) => {
    const identity = await verifyToken(await aliceToken(endpoint), {
      clusterId: 'prod',
      now: () => NOW,
      sts,
    });
    expect(identity).toMatchObject({
      arn: ALICE.arn,
      canonicalArn: ALICE.arn,
      userId: ALICE.userId,
      accessKeyId: ALICE.accessKeyId,
      stsEndpoint: host,
    });
  });

  it('reports an unknown access key as sts_rejected', async () => {
    const { token } = await presignCallerIdentity({
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x' },
      clusterId: 'prod',
      region: 'us-west-2',
      now: () => NOW,
    });
    const error = await authErrorOf(verifyToken(token, { clusterId: 'prod', now: () => NOW, sts }));
    expect(error.reason).toBe('sts_rejected');
  });

  it.each([
    ['throttle', 'sts_throttled'],
    ['http500', 'sts_unavailable'],
    ['drop', 'sts_unavailable'],
  ] as const)('maps the emulator fault %s to %s', async (kind, reason) => {
    emulator.injectFaults({ count: 1, kind });
    const error = await authErrorOf(
      verifyToken(await aliceToken({ region: 'us-west-2' }), { clusterId: 'prod', now: () => NOW, sts }),
    );
    expect(error.reason).toBe(reason);
    // and recovers on the next call
    await expect(
      verifyToken(await aliceToken({ region: 'us-west-2' }), { clusterId: 'prod', now: () => NOW, sts }),
    ).resolves.toMatchObject({
      arn: ALICE.arn,
    });
  });

  it('times out when the emulator is slower than timeoutMs', async () => {
    emulator.injectFaults({ count: 1, kind: 'latency', latencyMs: 1500 });
    const slow = createStsClient({ endpointOverride: emulator.url, ca: ca.certPem, timeoutMs: 200 });
    try {
      const error = await authErrorOf(
        verifyToken(await aliceToken({ region: 'us-west-2' }), {
          clusterId: 'prod',
          now: () => NOW,
          sts: slow,
        }),
      );
      expect(error.reason).toBe('sts_unavailable');
    } finally {
      slow.close();
    }
  });

  it('does not send a token whose host is outside the allow-list', async () => {
    emulator.resetCounts();
    const token = await aliceToken({ region: 'us-gov-west-1' });
    const error = await authErrorOf(verifyToken(token, { clusterId: 'prod', now: () => NOW, sts }));
    expect(error.reason).toBe('host_not_allowed');
    expect(Object.values(emulator.counts()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
