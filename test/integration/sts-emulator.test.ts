import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { loadIdentitiesFile, startStsEmulator } from '@iam-authenticator/sts-emulator';
import { decodeToken, presignCallerIdentity } from '@iam-authenticator/token';

const IDENTITIES_PATH = new URL('../../../packages/sts-emulator/testdata/identities.json', import.meta.url)
  .pathname;
interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const identities: IdentitiesFile = loadIdentitiesFile(IDENTITIES_PATH);
const raw = JSON.parse(readFileSync(IDENTITIES_PATH, 'utf8')) as IdentitiesFile;
const userByName = (name: string): AwsCredentials => {
  const user = raw.users.find((u) => u.arn.endsWith(`/${name}`));
  if (user === undefined) throw new Error(`no user ${name} in the sample identities`);
  return { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey };
};
const ALICE = userByName('alice');
const ADMIN = userByName('admin');
const BOB = userByName('bob');
const DEV_ROLE = 'arn:aws:iam::111122223333:role/team/dev';
const PARTNER_ROLE = 'arn:aws:iam::111122223333:role/partner';
const NODE_ROLE = 'arn:aws:iam::111122223333:role/eks-node-role';
const SSO_ROLE =
  'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123456789abcdef';
const SIGNED_AT = new Date('2024-01-02T03:04:05Z');

let emulator: StsEmulator;
beforeEach(async () => {
  emulator = await startStsEmulator({ identities });
});
afterEach(async () => {
  await emulator.close();
});

function sts(credentials: AwsCredentials): STSClient {
  return new STSClient({ region: 'us-west-2', endpoint: emulator.url, credentials, maxAttempts: 1 });
}

async function presign(credentials: AwsCredentials, clusterId = 'my-cluster', now = SIGNED_AT): Promise<URL> {
  const { token } = await presignCallerIdentity({
    credentials,
    clusterId,
    region: 'us-west-2',
    now: () => now,
  });
  return new URL(decodeToken(token));
}

/** What the webhook does: GET the token URL (at the emulator) with its own cluster id and Accept: JSON. */
async function verifyAtEmulator(
  url: URL,
  clusterId = 'my-cluster',
  accept = 'application/json',
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${emulator.url}${url.pathname}${url.search}`, {
    headers: { 'x-k8s-aws-id': clusterId, accept },
  });
  return { status: response.status, body: await response.text() };
}

function stsError(body: string): { Code: string; Message: string; Type: string } {
  return (JSON.parse(body) as { Error: { Code: string; Message: string; Type: string } }).Error;
}

function callerOf(body: string): { Account: string; Arn: string; UserId: string } {
  return (
    JSON.parse(body) as {
      GetCallerIdentityResponse: {
        GetCallerIdentityResult: { Account: string; Arn: string; UserId: string };
      };
    }
  ).GetCallerIdentityResponse.GetCallerIdentityResult;
}

describe('presigned GetCallerIdentity (tokens from the real presigner)', () => {
  beforeEach(() => {
    emulator.setNow(() => new Date(SIGNED_AT.getTime() + 60_000));
  });

  it('accepts a token and names the signer (JSON)', async () => {
    const url = await presign(ALICE);
    expect(url.host).toBe('sts.us-west-2.amazonaws.com');
    const result = await verifyAtEmulator(url);
    expect(result.status).toBe(200);
    expect(callerOf(result.body)).toEqual({
      Account: '111122223333',
      Arn: 'arn:aws:iam::111122223333:user/alice',
      UserId: 'AIDAEMULATORALICE001',
    });
  });

  it('answers XML without Accept: application/json', async () => {
    const result = await verifyAtEmulator(await presign(ALICE), 'my-cluster', '*/*');
    expect(result.status).toBe(200);
    expect(result.body).toContain('<Arn>arn:aws:iam::111122223333:user/alice</Arn>');
  });

  it('accepts the request when the signed Host header is sent as is', async () => {
    const url = await presign(ADMIN);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${emulator.url}${url.pathname}${url.search}`,
        { headers: { host: url.host, 'x-k8s-aws-id': 'my-cluster' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('rejects a tampered signature', async () => {
    const url = await presign(ALICE);
    const signature = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1));
    const result = await verifyAtEmulator(url);
    expect(result.status).toBe(403);
    expect(stsError(result.body).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects the token at another cluster', async () => {
    const result = await verifyAtEmulator(await presign(ALICE), 'another-cluster');
    expect(result.status).toBe(403);
    expect(stsError(result.body).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a token signed with another secret', async () => {
    const result = await verifyAtEmulator(
      await presign({ ...ALICE, secretAccessKey: ADMIN.secretAccessKey }),
    );
    expect(result.status).toBe(403);
    expect(stsError(result.body).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown access key', async () => {
    const result = await verifyAtEmulator(await presign({ ...ALICE, accessKeyId: 'AKIAUNKNOWNKEY000001' }));
    expect(result.status).toBe(403);
    expect(stsError(result.body)).toMatchObject({ Code: 'InvalidClientTokenId', Type: 'Sender' });
  });

  it('rejects a token 15 minutes past its X-Amz-Date on the emulator clock', async () => {
    emulator.setNow(() => new Date(SIGNED_AT.getTime() + 15 * 60_000 + 1000));
    const result = await verifyAtEmulator(await presign(ALICE));
    expect(result.status).toBe(403);
    expect(stsError(result.body).Message).toBe(
      'Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z (20240102T031906Z - 15 min.)',
    );
    // X-Amz-Expires (60) is signed but, as with real STS, not enforced.
    emulator.setNow(() => new Date(SIGNED_AT.getTime() + 14 * 60_000));
    expect((await verifyAtEmulator(await presign(ALICE))).status).toBe(200);
  });

  it('rejects a signature scoped to another region than the signed host', async () => {
    const signer = new SignatureV4({
      service: 'sts',
      region: 'us-east-1',
      sha256: Hash.bind(null, 'sha256'),
      credentials: ALICE,
    });
    const signed = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: 'sts.us-west-2.amazonaws.com',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.us-west-2.amazonaws.com', 'x-k8s-aws-id': 'my-cluster' },
      }),
      { signingDate: SIGNED_AT, expiresIn: 60 },
    );
    const query = new URLSearchParams(signed.query as Record<string, string>).toString();
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${emulator.url}/?${query}`,
        {
          headers: {
            host: 'sts.us-west-2.amazonaws.com',
            'x-k8s-aws-id': 'my-cluster',
            accept: 'application/json',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status.status).toBe(403);
    expect(stsError(status.body).Message).toBe('Credential should be scoped to a valid region. ');
  });
});

describe('AssumeRole through @aws-sdk/client-sts', () => {
  it('issues temporary keys that GetCallerIdentity names as the assumed role', async () => {
    const assumed = await sts(ALICE).send(
      new AssumeRoleCommand({
        RoleArn: DEV_ROLE,
        RoleSessionName: 'alice@example.com',
        DurationSeconds: 900,
      }),
    );
    const creds = assumed.Credentials!;
    expect(creds.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(creds.SessionToken!.length).toBeGreaterThan(100);
    expect(Math.abs(creds.Expiration!.getTime() - (Date.now() + 900_000))).toBeLessThan(5000);
    expect(assumed.AssumedRoleUser).toEqual({
      Arn: 'arn:aws:sts::111122223333:assumed-role/dev/alice@example.com',
      AssumedRoleId: 'AROAEMULATORDEV00001:alice@example.com',
    });
    const temporary = {
      accessKeyId: creds.AccessKeyId!,
      secretAccessKey: creds.SecretAccessKey!,
      sessionToken: creds.SessionToken!,
    };
    const caller = await sts(temporary).send(new GetCallerIdentityCommand({}));
    expect(caller).toMatchObject({
      Account: '111122223333',
      Arn: 'arn:aws:sts::111122223333:assumed-role/dev/alice@example.com',
      UserId: 'AROAEMULATORDEV00001:alice@example.com',
    });
    // A token signed with the temporary keys carries the session token and verifies too.
    const verified = await verifyAtEmulator(await presign(temporary, 'my-cluster', new Date()));
    expect(verified.status).toBe(200);
    expect(callerOf(verified.body).Arn).toBe('arn:aws:sts::111122223333:assumed-role/dev/alice@example.com');
    // ...but not without the session token, nor with another one.
    const withoutToken = { accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey };
    const noToken = await verifyAtEmulator(await presign(withoutToken, 'my-cluster', new Date()));
    expect(stsError(noToken.body).Code).toBe('InvalidClientTokenId');
    await expect(
      sts({ ...temporary, sessionToken: 'x' + temporary.sessionToken }).send(
        new GetCallerIdentityCommand({}),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    });
    expect(emulator.counts()).toMatchObject({ AssumeRole: 1, GetCallerIdentity: 4, rejected: 2 });
  });

  it('refuses expired temporary credentials with ExpiredToken', async () => {
    const assumed = await sts(ALICE).send(
      new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'alice' }),
    );
    const creds = assumed.Credentials!;
    const temporary = {
      accessKeyId: creds.AccessKeyId!,
      secretAccessKey: creds.SecretAccessKey!,
      sessionToken: creds.SessionToken!,
    };
    const signedAt = new Date(creds.Expiration!.getTime() + 1000);
    emulator.setNow(() => signedAt);
    const result = await verifyAtEmulator(await presign(temporary, 'my-cluster', signedAt));
    expect(result.status).toBe(403);
    expect(stsError(result.body)).toEqual({
      Code: 'ExpiredToken',
      Message: 'The security token included in the request is expired',
      Type: 'Sender',
    });
  });

  it('checks the trust list', async () => {
    await expect(
      sts(BOB).send(new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'bob' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:iam::444455556666:user/bob is not authorized to perform: sts:AssumeRole on resource: ${DEV_ROLE}`,
      $metadata: { httpStatusCode: 403 },
    });
    // The role ARN must carry its path, as with real STS.
    await expect(
      sts(ALICE).send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/dev', RoleSessionName: 'alice' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const sso = await sts(ADMIN).send(new AssumeRoleCommand({ RoleArn: SSO_ROLE, RoleSessionName: 'admin' }));
    expect(sso.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/admin',
    );
  });

  it('chains roles: an assumed role may assume a role that trusts its account', async () => {
    const first = (
      await sts(ALICE).send(new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'alice' }))
    ).Credentials!;
    const chained = await sts({
      accessKeyId: first.AccessKeyId!,
      secretAccessKey: first.SecretAccessKey!,
      sessionToken: first.SessionToken!,
    }).send(new AssumeRoleCommand({ RoleArn: NODE_ROLE, RoleSessionName: 'i-0123456789abcdef0' }));
    expect(chained.AssumedRoleUser?.AssumedRoleId).toBe('AROAEMULATORNODE0001:i-0123456789abcdef0');
  });

  it('requires the role external id', async () => {
    const client = sts(ALICE);
    await expect(
      client.send(new AssumeRoleCommand({ RoleArn: PARTNER_ROLE, RoleSessionName: 'alice' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(emulator.lastAssumeRole()).toEqual({ roleArn: PARTNER_ROLE, sessionName: 'alice' });
    await expect(
      client.send(
        new AssumeRoleCommand({ RoleArn: PARTNER_ROLE, RoleSessionName: 'alice', ExternalId: 'wrong-id' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const ok = await client.send(
      new AssumeRoleCommand({
        RoleArn: PARTNER_ROLE,
        RoleSessionName: 'alice',
        ExternalId: 'partner-external-id',
      }),
    );
    expect(ok.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/partner/alice');
    expect(emulator.lastAssumeRole()).toEqual({
      roleArn: PARTNER_ROLE,
      sessionName: 'alice',
      externalId: 'partner-external-id',
    });
    const overHttp = await fetch(`${emulator.url}/_emulator/last-assume-role`);
    expect(await overHttp.json()).toEqual(emulator.lastAssumeRole());
  });

  it.each([
    [
      'too short',
      'a',
      "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    ],
    ['too long', 'a'.repeat(65), 'Member must have length less than or equal to 64'],
    ['bad character', 'alice smith', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*'],
  ])('refuses a session name %s', async (_name, sessionName, message) => {
    const error = (await sts(ALICE)
      .send(new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: sessionName }))
      .catch((e: unknown) => e)) as { name: string; message: string; $metadata: { httpStatusCode: number } };
    expect(error.name).toBe('ValidationError');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toContain(message);
  });

  it('accepts every allowed session name character and 64 characters', async () => {
    for (const name of ['a+=,.@-_1', 'x'.repeat(64)]) {
      const assumed = await sts(ALICE).send(
        new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: name }),
      );
      expect(assumed.AssumedRoleUser?.AssumedRoleId).toBe(`AROAEMULATORDEV00001:${name}`);
    }
  });

  it('refuses a duration beyond the role maximum', async () => {
    await expect(
      sts(ALICE).send(
        new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'alice', DurationSeconds: 7200 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    await expect(
      sts(ALICE).send(
        new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'alice', DurationSeconds: 60 }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('DescribeInstances through @aws-sdk/client-ec2', () => {
  function ec2(credentials: AwsCredentials): EC2Client {
    return new EC2Client({ region: 'us-west-2', endpoint: emulator.url, credentials, maxAttempts: 1 });
  }

  it('answers the private DNS names the SDK parses', async () => {
    const answer = await ec2(ADMIN).send(
      new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0', 'i-0fedcba9876543210'] }),
    );
    const instances = (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances.map((i) => [i.InstanceId, i.PrivateDnsName])).toEqual([
      ['i-0123456789abcdef0', 'ip-10-0-0-1.us-west-2.compute.internal'],
      ['i-0fedcba9876543210', 'ip-10-0-0-2.us-west-2.compute.internal'],
    ]);
    expect(instances[0]?.PrivateIpAddress).toBe('10.0.0.1');
    expect(emulator.counts()['DescribeInstances']).toBe(1);
  });

  it('keeps an empty private DNS name empty', async () => {
    const answer = await ec2(ADMIN).send(
      new DescribeInstancesCommand({ InstanceIds: ['i-0aaaabbbbccccdddd'] }),
    );
    expect(answer.Reservations?.[0]?.Instances?.[0]?.PrivateDnsName).toBe('');
  });

  it('reports unknown and malformed instance ids as EC2 does', async () => {
    await expect(
      ec2(ADMIN).send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000000f'] })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0000000000000000f' does not exist",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      ec2(ADMIN).send(new DescribeInstancesCommand({ InstanceIds: ['i-zz'] })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceID.Malformed',
    });
  });

  it('verifies the EC2 signature', async () => {
    await expect(
      ec2({ ...ADMIN, secretAccessKey: ALICE.secretAccessKey }).send(new DescribeInstancesCommand({})),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    await expect(
      ec2({ ...ADMIN, accessKeyId: 'AKIAUNKNOWNKEY000001' }).send(new DescribeInstancesCommand({})),
    ).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });
});

describe('fault injection seen by the AWS SDK', () => {
  it('throttles, fails, drops and delays', async () => {
    const client = sts(ALICE);
    emulator.injectFaults({ count: 1, kind: 'throttle', action: 'GetCallerIdentity' });
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    emulator.injectFaults({ count: 1, kind: 'http500' });
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    emulator.injectFaults({ count: 1, kind: 'drop', action: 'AssumeRole' });
    await expect(
      client.send(new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'alice' })),
    ).rejects.toThrow();
    emulator.injectFaults({ count: 1, kind: 'latency', latencyMs: 250 });
    const began = performance.now();
    await client.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - began).toBeGreaterThanOrEqual(240);
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 3, AssumeRole: 1, faulted: 4, rejected: 0 });
  });
});
