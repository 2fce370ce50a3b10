import { AuthError, tokenFingerprint } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import type { Identity } from '@iam-authenticator/token';
import { Registry } from 'prom-client';
import { createAuthenticator, resultLabel } from './authenticate.js';
import type { MappingOutcome } from './authenticate.js';
import { IdentityCache } from './identity-cache.js';
import { createServerMetrics } from './metrics.js';

const identity: Identity = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
  canonicalArn: 'arn:aws:iam::111122223333:role/Dev',
  accountId: '111122223333',
  userId: 'AROAEXAMPLE',
  sessionName: 'alice',
  accessKeyId: 'ASIAEXAMPLE',
  stsEndpoint: 'sts.us-east-1.amazonaws.com',
  principalId: 'AROAEXAMPLE:alice',
};

/** Records lines as pino would write them: a child's bindings merged into each of its lines. */
function recordingLogger(
  lines: { level: string; fields: Record<string, unknown>; msg: string }[],
  bindings: Record<string, unknown> = {},
): Logger {
  const make = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level, fields: { ...bindings, ...fields }, msg });
  };
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

function setup(
  options: {
    verify?: () => Promise<Identity>;
    map?: () => Promise<MappingOutcome>;
    scrubbed?: string[];
  } = {},
) {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const registry = new Registry();
  const metrics = createServerMetrics(registry, { defaultMetrics: false });
  const now = () => new Date('2024-01-01T00:00:00Z');
  const review = createAuthenticator({
    verify: async () => ({
      value: await (options.verify ?? (() => Promise.resolve(identity)))(),
      expiresAt: new Date('2024-01-01T00:10:00Z'),
    }),
    map: options.map ?? (() => Promise.resolve({ mapped: { username: 'dev:alice', groups: ['devs'] } })),
    cache: new IdentityCache<Identity>({ ttlMs: 60_000, maxEntries: 10, now }),
    metrics,
    logger: recordingLogger(lines),
    scrubbedAccounts: new Set(options.scrubbed ?? []),
    now,
  });
  return { review, lines, registry };
}

describe('createAuthenticator', () => {
  it('builds the reference user for a mapped identity and logs one access granted line', async () => {
    const { review, lines, registry } = setup();
    const answer = await review('k8s-aws-v1.token', 'authentication.k8s.io/v1');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      status: {
        authenticated: true,
        user: {
          username: 'dev:alice',
          uid: 'aws-iam-authenticator:111122223333:AROAEXAMPLE',
          groups: ['devs'],
          extra: {
            arn: [identity.arn],
            canonicalArn: [identity.canonicalArn],
            sessionName: ['alice'],
            accessKeyId: ['ASIAEXAMPLE'],
            principalId: ['AROAEXAMPLE'],
            'sigs.k8s.io/aws-iam-authenticator/principalId': ['AROAEXAMPLE'],
          },
        },
      },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'access granted',
      fields: { username: 'dev:alice', arn: identity.arn, result: 'success' },
    });
    expect(typeof lines[0]?.fields['latencyMs']).toBe('number');
    expect(lines[0]?.fields['tokenId']).toBe(tokenFingerprint('k8s-aws-v1.token'));
    expect(await registry.metrics()).toContain(
      'aws_iam_authenticator_authenticate_latency_seconds_count{result="success"} 1',
    );
  });

  it.each([
    ['token_expired', 200, 'invalid_token'],
    ['sts_rejected', 200, 'sts_error'],
    ['sts_throttled', 429, 'sts_throttling'],
    ['internal_error', 500, 'internal_error'],
  ] as const)('turns a verifier %s into HTTP %s, label %s', async (reason, status, label) => {
    const { review, registry, lines } = setup({
      verify: () => Promise.reject(new AuthError(reason, 'nope')),
    });
    const answer = await review('k8s-aws-v1.x', undefined);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toEqual({
      metadata: {},
      spec: {},
      status: { authenticated: false, user: {}, error: reason },
    });
    expect(await registry.metrics()).toContain(`result="${label}"} 1`);
    expect(lines.at(-1)?.msg).toBe('access denied');
  });

  it('answers internal_error for a foreign exception without logging its message', async () => {
    const { review, lines } = setup({
      verify: () =>
        Promise.reject(new TypeError('fetch failed https://sts.amazonaws.com/?X-Amz-Signature=abc')),
    });
    const answer = await review('k8s-aws-v1.x', undefined);
    expect(answer.status).toBe(500);
    expect(JSON.stringify(lines)).not.toContain('X-Amz-Signature');
  });

  it('denies unmapped identities with the matcher reason and label uknown_user', async () => {
    const { review, registry } = setup({
      map: () => Promise.resolve({ denyReason: 'username_reserved', detail: 'system:' }),
    });
    const answer = await review('k8s-aws-v1.x', undefined);
    expect((JSON.parse(answer.body) as { status: { error?: string; user?: unknown } }).status.error).toBe(
      'username_reserved',
    );
    expect(await registry.metrics()).toContain('result="uknown_user"} 1');
  });

  it('scrubs the uid, extra and logged ARN of a scrubbed account', async () => {
    const { review, lines } = setup({ scrubbed: ['111122223333'] });
    const answer = await review('k8s-aws-v1.x', undefined);
    expect((JSON.parse(answer.body) as { status: { error?: string; user?: unknown } }).status.user).toEqual({
      username: 'dev:alice',
      uid: 'aws-iam-authenticator:administrative:dev:alice',
      groups: ['devs'],
    });
    expect(JSON.stringify(lines)).not.toContain(identity.arn);
  });

  it('denies an empty token without calling the verifier', async () => {
    let calls = 0;
    const { review } = setup({
      verify: () => {
        calls++;
        return Promise.resolve(identity);
      },
    });
    const answer = await review('', undefined);
    expect((JSON.parse(answer.body) as { status: { error?: string; user?: unknown } }).status.error).toBe(
      'token_missing',
    );
    expect(calls).toBe(0);
  });

  it('maps every reason to a reference label', () => {
    expect(resultLabel('request_malformed')).toBe('malformed_request');
    expect(resultLabel('host_not_allowed')).toBe('invalid_token');
    expect(resultLabel('identity_unmapped')).toBe('uknown_user');
  });
});
