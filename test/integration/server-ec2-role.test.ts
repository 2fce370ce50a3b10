/**
 * server.ec2DescribeInstancesRoleARN and server.sourceARN, end to end: the built CLI server renders
 * {{EC2PrivateDNSName}} with DescribeInstances calls made as an assumed role, and the AssumeRole call carries
 * the confused-deputy headers. A second, plain-HTTP emulator plays EC2 and the STS of those AssumeRole calls
 * (reached through the SDK's AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_STS); the harness's TLS emulator plays
 * the STS of the tokens.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { StsEmulator } from '@iam-authenticator/sts-emulator';
import { loopbackServerKeys, postJson, startServerProcess } from '../support/index.js';
import type { ServerProcess } from '../support/index.js';
import { ACCOUNT, CLUSTER, ROLES, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

const SERVER_KEY = {
  accessKeyId: 'AKIASERVERSELF00001',
  secretAccessKey: 'server-own-secret-key-for-tests-only-0',
  arn: `arn:aws:iam::${ACCOUNT}:user/authenticator`,
  userId: 'AIDASERVERSELF00001',
};
const READER = `arn:aws:iam::${ACCOUNT}:role/ec2-reader`;
const UNTRUSTED = `arn:aws:iam::${ACCOUNT}:role/locked`;
const SOURCE = `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/${CLUSTER}`;
const INSTANCES = [
  { instanceId: 'i-0123456789abcdef0', privateDnsName: 'ip-10-0-0-1.ec2.internal' },
  { instanceId: 'i-0123456789abcdef1', privateDnsName: 'ip-10-0-0-2.ec2.internal' },
];

interface Running extends ServerProcess {
  readonly ca: string;
}

describe('server: EC2 lookups as server.ec2DescribeInstancesRoleARN, with server.sourceARN', () => {
  let h: Harness;
  let ec2: StsEmulator;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    ec2 = await startStsEmulator({
      identities: {
        users: [SERVER_KEY],
        roles: [
          { arn: READER, roleId: 'AROAEC2READER000001', trustedPrincipals: [SERVER_KEY.arn] },
          { arn: UNTRUSTED, roleId: 'AROALOCKED000000001', trustedPrincipals: [] },
        ],
        instances: INSTANCES,
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'server-ec2-role-'));
  });
  afterAll(async () => {
    await ec2.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ec2.resetCounts();
  });

  async function startServer(name: string, server: Record<string, unknown>): Promise<Running> {
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      stringify({
        clusterID: CLUSTER,
        server: {
          ...loopbackServerKeys(join(dir, name), join(dir, name, 'kubeconfig.yaml')),
          mapRoles: [
            {
              rolearn: ROLES.dev.arn,
              username: 'system:node:{{EC2PrivateDNSName}}',
              groups: ['system:nodes'],
            },
          ],
          ...server,
        },
      }),
    );
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: SERVER_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SERVER_KEY.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ENDPOINT_URL_STS: ec2.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const started = await startServerProcess(
      ['--config', file, '--sts-endpoint-override', h.sts.url, '--sts-ca', join(h.dir, 'sts-ca.pem')],
      env,
    );
    return { ...started, ca: await readFile(join(dir, name, 'cert.pem'), 'utf8') };
  }

  async function review(
    server: Running,
    token: string,
  ): Promise<{ authenticated?: boolean; error?: string; user: { username?: string } }> {
    const { text } = await postJson(
      server.url,
      server.ca,
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
    );
    return (
      JSON.parse(text) as { status: { authenticated?: boolean; error?: string; user: { username?: string } } }
    ).status;
  }

  const nodeToken = async (instanceId: string): Promise<string> =>
    h.tokenFor(await h.assumeRole('admin', ROLES.dev.arn, instanceId));

  it('describes instances as the role, sends the source headers on AssumeRole, and reuses the role session', async () => {
    const server = await startServer('trusted', { ec2DescribeInstancesRoleARN: READER, sourceARN: SOURCE });
    try {
      const first = await review(server, await nodeToken('i-0123456789abcdef0'));
      expect(first).toMatchObject({
        authenticated: true,
        user: { username: 'system:node:ip-10-0-0-1.ec2.internal' },
      });
      expect(ec2.lastAssumeRole()).toEqual({
        roleArn: READER,
        sessionName: 'aws-iam-authenticator-ec2',
        sourceArn: SOURCE,
        sourceAccount: ACCOUNT,
      });
      expect(ec2.lastCaller('AssumeRole')).toBe(SERVER_KEY.arn);
      expect(ec2.lastCaller('DescribeInstances')).toBe(
        `arn:aws:sts::${ACCOUNT}:assumed-role/ec2-reader/aws-iam-authenticator-ec2`,
      );

      const second = await review(server, await nodeToken('i-0123456789abcdef1'));
      expect(second.user.username).toBe('system:node:ip-10-0-0-2.ec2.internal');
      // One role session serves both lookups.
      expect(ec2.counts()).toMatchObject({ AssumeRole: 1, DescribeInstances: 2, rejected: 0 });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stderr()).not.toContain(SERVER_KEY.secretAccessKey);
  });

  it('without server.sourceARN the AssumeRole call carries no source headers', async () => {
    const server = await startServer('no-source', { ec2DescribeInstancesRoleARN: READER });
    try {
      const answer = await review(server, await nodeToken('i-0123456789abcdef0'));
      expect(answer.user.username).toBe('system:node:ip-10-0-0-1.ec2.internal');
      expect(ec2.lastAssumeRole()).toEqual({ roleArn: READER, sessionName: 'aws-iam-authenticator-ec2' });
    } finally {
      await server.stop();
    }
  });

  it('a role the server may not assume denies the node with mapping_render_failed and leaks no secret', async () => {
    const server = await startServer('untrusted', {
      ec2DescribeInstancesRoleARN: UNTRUSTED,
      sourceARN: SOURCE,
    });
    try {
      const answer = await review(server, await nodeToken('i-0123456789abcdef0'));
      expect(answer).toMatchObject({ authenticated: false, error: 'mapping_render_failed' });
      expect(ec2.counts()).toMatchObject({ AssumeRole: 1, DescribeInstances: 0 });
    } finally {
      await server.stop();
    }
    const logs = server.stderr();
    expect(logs).toContain(
      'failed querying private dns name from ec2 for node \\"i-0123456789abcdef0\\": AccessDenied',
    );
    expect(logs).not.toContain(SERVER_KEY.secretAccessKey);
  });

  it('without the role, DescribeInstances is signed with the server’s own credentials (no AssumeRole)', async () => {
    const server = await startServer('own', {});
    try {
      const answer = await review(server, await nodeToken('i-0123456789abcdef1'));
      expect(answer.user.username).toBe('system:node:ip-10-0-0-2.ec2.internal');
      expect(ec2.lastCaller('DescribeInstances')).toBe(SERVER_KEY.arn);
      expect(ec2.counts()).toMatchObject({ AssumeRole: 0, DescribeInstances: 1 });
    } finally {
      await server.stop();
    }
  });
});
