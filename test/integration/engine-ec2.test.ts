/**
 * {{EC2PrivateDNSName}} end to end: the mapping engine renders a node mapping by calling EC2
 * DescribeInstances through @aws-sdk/client-ec2, signed with SigV4 for service ec2, against the STS
 * emulator on loopback (which also answers DescribeInstances).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  createEc2DnsResolver,
  createStaticBackend,
  matchIdentity,
  parseAwsAuth,
} from '@iam-authenticator/mapping';
import type { Ec2DnsResolver, MappingSet } from '@iam-authenticator/mapping';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { StsEmulator } from '@iam-authenticator/sts-emulator';
import type { Identity } from '@iam-authenticator/token';

const ACCT = '555555555555';
const NODE_ROLE = 'devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6';
const READER_ROLE = `arn:aws:iam::${ACCT}:role/ec2-describer`;
const KEY = { accessKeyId: 'AKIAEC2READER0000001', secretAccessKey: 'ec2-reader-secret-key-for-tests-only' };

const instanceIds = Array.from({ length: 14 }, (_, i) => `i-0abc${i.toString(16).padStart(13, '0')}`);
const dnsOf = (id: string): string => `ip-10-0-${parseInt(id.slice(-2), 16)}-1.ec2.internal`;

function nodeCaller(instanceId: string): Identity {
  return {
    arn: `arn:aws:sts::${ACCT}:assumed-role/${NODE_ROLE}/${instanceId}`,
    canonicalArn: `arn:aws:iam::${ACCT}:role/${NODE_ROLE}`,
    accountId: ACCT,
    userId: 'AROANODEROLE',
    sessionName: instanceId,
    accessKeyId: 'ASIANODE',
    stsEndpoint: 'sts.us-east-1.amazonaws.com',
    principalId: `AROANODEROLE:${instanceId}`,
  };
}

/** The canonical reference fixture, decoded as the API server would. */
function fixtureMappings(): MappingSet {
  const url = new URL('../../../packages/mapping/testdata/aws-auth/aws-auth.yaml', import.meta.url);
  const manifest = parseYaml(readFileSync(url, 'utf8')) as { data: Record<string, string> };
  return parseAwsAuth(manifest.data).mappings;
}

describe('EC2PrivateDNSName through the emulator', () => {
  let emulator: StsEmulator;
  let resolver: Ec2DnsResolver | undefined;
  let nowMs = Date.parse('2026-01-01T00:00:00Z');
  const clock = (): Date => new Date(nowMs);

  beforeAll(async () => {
    emulator = await startStsEmulator({
      identities: {
        users: [{ ...KEY, arn: `arn:aws:iam::${ACCT}:user/ec2-reader`, userId: 'AIDAEC2READER' }],
        roles: [
          {
            arn: READER_ROLE,
            roleId: 'AROAEC2READER000001',
            trustedPrincipals: [`arn:aws:iam::${ACCT}:user/ec2-reader`],
          },
        ],
        instances: instanceIds.map((instanceId) => ({ instanceId, privateDnsName: dnsOf(instanceId) })),
      },
    });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.resetCounts();
  });
  afterEach(() => {
    resolver?.close();
    resolver = undefined;
  });

  const makeResolver = (extra: { batchWindowMs?: number; cacheTtlMs?: number } = {}): Ec2DnsResolver => {
    resolver = createEc2DnsResolver({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: KEY,
      qps: 0,
      now: clock,
      ...extra,
    });
    return resolver;
  };

  it('maps the fixture node role to system:node:<private dns name>, cached until the TTL expires', async () => {
    const ec2 = makeResolver({ cacheTtlMs: 60_000 });
    const backends = [createStaticBackend('EKSConfigMap', fixtureMappings())];
    const id = instanceIds[0] ?? '';
    const first = await matchIdentity(nodeCaller(id), backends, { ec2 });
    expect(first.mapped).toEqual({
      username: `system:node:${dnsOf(id)}`,
      groups: ['system:bootstrappers', 'system:nodes'],
      backend: 'EKSConfigMap',
      rule: 'role-arn',
      entry: { key: 'mapRoles', index: 0 },
    });
    expect(emulator.counts().DescribeInstances).toBe(1);

    nowMs += 59_000;
    await matchIdentity(nodeCaller(id), backends, { ec2 });
    expect(emulator.counts().DescribeInstances).toBe(1);

    nowMs += 1_000;
    const again = await matchIdentity(nodeCaller(id), backends, { ec2 });
    expect(again.mapped?.username).toBe(`system:node:${dnsOf(id)}`);
    expect(emulator.counts().DescribeInstances).toBe(2);
  });

  it('batches concurrent lookups beyond five in flight into one DescribeInstances call', async () => {
    const ec2 = makeResolver({ batchWindowMs: 50 });
    const backends = [createStaticBackend('EKSConfigMap', fixtureMappings())];
    const ids = instanceIds.slice(1, 13);
    const results = await Promise.all(ids.map((id) => matchIdentity(nodeCaller(id), backends, { ec2 })));
    expect(results.map((r) => r.mapped?.username)).toEqual(ids.map((id) => `system:node:${dnsOf(id)}`));
    // 5 single calls, then the other 7 ids in one batched call.
    expect(emulator.counts().DescribeInstances).toBe(6);
    expect(emulator.counts().rejected).toBe(0);
  });

  it('an unknown instance denies with mapping_render_failed and does not fall through', async () => {
    const ec2 = makeResolver();
    const fallback = createStaticBackend('DynamicFile', { mapRoles: [], mapUsers: [], mapAccounts: [ACCT] });
    const result = await matchIdentity(
      nodeCaller('i-0fffffffffffffff0'),
      [createStaticBackend('EKSConfigMap', fixtureMappings()), fallback],
      {
        ec2,
      },
    );
    expect(result.mapped).toBeUndefined();
    expect(result.denyReason).toBe('mapping_render_failed');
    expect(result.denyDetail).toMatch(
      /^error rendering username template "system:node:{{EC2PrivateDNSName}}": failed querying private dns name from ec2 for node "i-0fffffffffffffff0": InvalidInstanceID.NotFound/,
    );
  });

  it('a session name that is not an instance id never reaches EC2', async () => {
    const ec2 = makeResolver();
    const caller = { ...nodeCaller('i-0abc'), sessionName: 'i-0abc' };
    const result = await matchIdentity(caller, [createStaticBackend('EKSConfigMap', fixtureMappings())], {
      ec2,
    });
    expect(result.denyReason).toBe('mapping_render_failed');
    expect(emulator.counts().DescribeInstances).toBe(0);
  });

  it('wrong credentials are reported as a render failure', async () => {
    resolver = createEc2DnsResolver({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: 'wrong' },
      qps: 0,
    });
    const id = instanceIds[13] ?? '';
    const result = await matchIdentity(
      nodeCaller(id),
      [createStaticBackend('EKSConfigMap', fixtureMappings())],
      { ec2: resolver },
    );
    expect(result.denyReason).toBe('mapping_render_failed');
    expect(result.denyDetail).toMatch(/SignatureDoesNotMatch|signature/i);
    expect(emulator.counts().rejected).toBeGreaterThanOrEqual(1);
  });

  it('assumes assumeRoleArn with the given credentials; a source ARN without an account sends only x-amz-source-arn', async () => {
    // The SDK's configured-endpoint variable sends the AssumeRole call to the emulator.
    process.env['AWS_ENDPOINT_URL_STS'] = emulator.url;
    try {
      resolver = createEc2DnsResolver({
        region: 'us-east-1',
        endpoint: emulator.url,
        credentials: KEY,
        assumeRoleArn: READER_ROLE,
        sourceArn: 'arn:aws:s3:::audit-bucket',
        qps: 0,
      });
      const id = instanceIds[12] ?? '';
      expect(await resolver.resolve(id)).toBe(dnsOf(id));
    } finally {
      delete process.env['AWS_ENDPOINT_URL_STS'];
    }
    expect(emulator.lastAssumeRole()).toEqual({
      roleArn: READER_ROLE,
      sessionName: 'aws-iam-authenticator-ec2',
      sourceArn: 'arn:aws:s3:::audit-bucket',
    });
    expect(emulator.lastCaller('AssumeRole')).toBe(`arn:aws:iam::${ACCT}:user/ec2-reader`);
    expect(emulator.lastCaller('DescribeInstances')).toBe(
      `arn:aws:sts::${ACCT}:assumed-role/ec2-describer/aws-iam-authenticator-ec2`,
    );
  });
});
