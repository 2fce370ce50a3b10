import { AuthError } from '@iam-authenticator/core';
import { presignCallerIdentity } from './presign.js';
import type { CallerIdentity, StsClient } from './sts-client.js';
import type { ValidatedToken } from './validate-token.js';
import { verifyToken } from './verify-token.js';

const NOW = new Date('2023-04-28T00:05:00Z');

/** A recording STS client: the collaborator is injected, nothing of ours is mocked. */
function recordingSts(answer: CallerIdentity): StsClient & { calls: [ValidatedToken, string][] } {
  const calls: [ValidatedToken, string][] = [];
  return {
    calls,
    getCallerIdentity(validated, clusterId) {
      calls.push([validated, clusterId]);
      return Promise.resolve(answer);
    },
    inFlight: () => 0,
    queued: () => 0,
    close: () => undefined,
  };
}

async function token(region: string): Promise<string> {
  const presigned = await presignCallerIdentity({
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' },
    clusterId: 'c',
    region,
    now: () => NOW,
  });
  return presigned.token;
}

const ROLE: CallerIdentity = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Admin/bob',
  account: '111122223333',
  userId: 'AROAADMIN:bob',
};

describe('verifyToken', () => {
  it('passes the server cluster id to STS and builds the identity', async () => {
    const sts = recordingSts(ROLE);
    const identity = await verifyToken(await token('us-west-2'), {
      clusterId: 'server',
      now: () => NOW,
      sts,
    });
    expect(sts.calls).toHaveLength(1);
    expect(sts.calls[0]![1]).toBe('server');
    expect(identity.canonicalArn).toBe('arn:aws:iam::111122223333:role/Admin');
    expect(identity.sessionName).toBe('bob');
    expect(identity.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  it('defaults to partition aws and makes no STS call when a local check fails', async () => {
    const sts = recordingSts(ROLE);
    const govToken = await token('us-gov-west-1');
    await expect(verifyToken(govToken, { clusterId: 'server', now: () => NOW, sts })).rejects.toMatchObject({
      reason: 'host_not_allowed',
    });
    await expect(
      verifyToken(await token('us-west-2'), {
        clusterId: 'server',
        now: () => new Date('2024-01-01T00:00:00Z'),
        sts,
      }),
    ).rejects.toMatchObject({ reason: 'token_expired' });
    expect(sts.calls).toHaveLength(0);
    const identity = await verifyToken(govToken, {
      clusterId: 's',
      partition: 'aws-us-gov',
      now: () => NOW,
      sts,
    });
    expect(identity.stsEndpoint).toBe('sts.us-gov-west-1.amazonaws.com');
  });

  it('honours the region list', async () => {
    const sts = recordingSts(ROLE);
    const error: unknown = await verifyToken(await token('eu-west-1'), {
      clusterId: 's',
      regions: ['us-west-2'],
      now: () => NOW,
      sts,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).reason).toBe('host_not_allowed');
  });

  it('turns a malformed STS answer into sts_response_invalid', async () => {
    const sts = recordingSts({ ...ROLE, userId: 'AROAADMIN' });
    await expect(
      verifyToken(await token('us-west-2'), { clusterId: 's', now: () => NOW, sts }),
    ).rejects.toMatchObject({
      reason: 'sts_response_invalid',
    });
  });
});
