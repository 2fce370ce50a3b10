/**
 * The webhook reuses a cached identity's mapping result and answer only while every backend serves the
 * same snapshot: an edit of the mapping applies to the very next review of a token that is still in the
 * identity cache (no STS call in between).
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createDynamicFileBackend, createEc2DnsResolver } from '@iam-authenticator/mapping';
import type { MappingBackend } from '@iam-authenticator/mapping';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { StsEmulator } from '@iam-authenticator/sts-emulator';
import { IDENTITIES, REGION, ROLES, USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

let dir: string;
let path: string;
let backend: MappingBackend;
let h: Harness;
let reloaded: (() => void) | undefined;
// EC2 DescribeInstances for {{EC2PrivateDNSName}}: a plain-HTTP emulator the AWS SDK reaches.
let ec2: StsEmulator;
let ec2Resolver: ReturnType<typeof createEc2DnsResolver>;

async function writeMappings(mapUsers: unknown[], mapRoles: unknown[] = []): Promise<void> {
  const loaded = new Promise<void>((resolve) => (reloaded = resolve));
  await writeFile(join(dir, 'next.json'), JSON.stringify({ mapUsers, mapRoles }));
  await rename(join(dir, 'next.json'), path);
  await loaded;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapping-reuse-'));
  path = join(dir, 'mappings.json');
  await writeFile(path, JSON.stringify({ mapUsers: [] }));
  backend = createDynamicFileBackend({
    path,
    pollIntervalMs: 20,
    registry: new Registry(),
    onLoad: (outcome) => {
      if (outcome.kind === 'loaded') reloaded?.();
    },
  });
  await backend.start();
  ec2 = await startStsEmulator({ identities: IDENTITIES });
  ec2Resolver = createEc2DnsResolver({
    region: REGION,
    endpoint: ec2.url,
    credentials: { accessKeyId: USERS.admin.accessKeyId, secretAccessKey: USERS.admin.secretAccessKey },
    cacheTtlMs: 0,
  });
  h = await startHarness({ deps: { backends: [backend], pipeline: { ec2: ec2Resolver } } });
});
afterAll(async () => {
  await h.close();
  ec2Resolver.close();
  await ec2.close();
  await backend.stop();
  await rm(dir, { recursive: true, force: true });
});

it('applies each mapping edit to the next review of a cached identity', async () => {
  const token = await h.token('admin');
  const user = (answer: Awaited<ReturnType<Harness['review']>>) => answer.json.status.user;

  await writeMappings([{ userarn: USERS.admin.arn, username: 'first', groups: ['g1'] }]);
  expect(user(await h.review(token))).toMatchObject({ username: 'first', groups: ['g1'] });
  expect(user(await h.review(token))).toMatchObject({ username: 'first', groups: ['g1'] });

  await writeMappings([{ userarn: USERS.admin.arn, username: 'second', groups: ['g2', 'g3'] }]);
  expect(user(await h.review(token))).toMatchObject({ username: 'second', groups: ['g2', 'g3'] });

  await writeMappings([]);
  const denied = await h.review(token);
  expect(denied.json.status).toMatchObject({ authenticated: false, error: 'identity_unmapped' });

  await writeMappings([{ userarn: USERS.admin.arn, username: 'first', groups: ['g1'] }]);
  expect(user(await h.review(token))).toMatchObject({ username: 'first', groups: ['g1'] });

  // Every review after the first was an identity-cache hit: only the mapping changed.
  expect(h.sts.counts()['GetCallerIdentity']).toBe(1);
  const granted = h.logs.lines().filter((line) => line['msg'] === 'access granted');
  expect(granted.map((line) => line['username'])).toEqual(['first', 'first', 'second', 'first']);
  expect(granted.map((line) => line['cache'])).toEqual(['miss', 'hit', 'hit', 'hit']);
});

it('matches a {{EC2PrivateDNSName}} mapping again on every review: an EC2 failure is not kept', async () => {
  await writeMappings(
    [],
    [{ rolearn: ROLES.dev.arn, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:nodes'] }],
  );
  const node = await h.assumeRole('admin', ROLES.dev.arn, 'i-0123456789abcdef0');
  const token = await h.tokenFor(node);
  ec2.injectFaults({ count: 20, kind: 'http500', action: 'DescribeInstances' });
  const failed = await h.review(token);
  expect(failed.json.status).toMatchObject({ authenticated: false, error: 'mapping_render_failed' });
  ec2.clearFaults();
  const calls = ec2.counts()['DescribeInstances'] ?? 0;
  const mapped = await h.review(token);
  expect(mapped.json.status.user).toMatchObject({
    username: 'system:node:ip-10-0-0-1.ec2.internal',
    groups: ['system:nodes'],
  });
  await h.review(token);
  // Both later reviews asked EC2 (the resolver here keeps no names), though the identity was cached.
  expect((ec2.counts()['DescribeInstances'] ?? 0) - calls).toBe(2);
});

it('answers each new token of an identity already answered from the current mapping', async () => {
  // Each token is new (another signing second), so each review is an identity-cache miss whose identity
  // the server has answered before: the kept answer must still follow every edit.
  // Signed one second further back each time, from one fixed instant: never the same token twice.
  const base = Date.now();
  let second = 0;
  const fresh = (): Promise<string> => h.token('nobody', { now: new Date(base - ++second * 1000) });
  const user = (answer: Awaited<ReturnType<Harness['review']>>) => answer.json.status.user;
  const calls = h.sts.counts()['GetCallerIdentity'] ?? 0;

  await writeMappings([{ userarn: USERS.nobody.arn, username: 'one', groups: ['a'] }]);
  for (let i = 0; i < 3; i++) {
    expect(user(await h.review(await fresh()))).toMatchObject({ username: 'one', groups: ['a'] });
  }
  await writeMappings([{ userarn: USERS.nobody.arn, username: 'two', groups: ['b'] }]);
  expect(user(await h.review(await fresh()))).toMatchObject({ username: 'two', groups: ['b'] });
  await writeMappings([]);
  expect((await h.review(await fresh())).json.status).toMatchObject({
    authenticated: false,
    error: 'identity_unmapped',
  });
  await writeMappings([{ userarn: USERS.nobody.arn, username: 'one', groups: ['a'] }]);
  expect(user(await h.review(await fresh()))).toMatchObject({ username: 'one', groups: ['a'] });
  expect((h.sts.counts()['GetCallerIdentity'] ?? 0) - calls).toBe(6);
});

it('never answers one session with another session’s access key id', async () => {
  await writeMappings([], [{ rolearn: ROLES.dev.arn, username: 'dev:{{SessionName}}', groups: ['dev'] }]);
  // Two sessions of one role under one session name: the same ARN and user id, other access keys.
  const first = await h.assumeRole('admin', ROLES.dev.arn, 'shared-session');
  const second = await h.assumeRole('admin', ROLES.dev.arn, 'shared-session');
  expect(second.accessKeyId).not.toBe(first.accessKeyId);
  const base = Date.now();
  for (const [credentials, ago] of [
    [first, 1],
    [second, 2],
    [first, 3],
    [second, 4],
  ] as const) {
    const token = await h.tokenFor(credentials, { now: new Date(base - ago * 1000) });
    const { user } = (await h.review(token)).json.status;
    expect(user).toMatchObject({ username: 'dev:shared-session', groups: ['dev'] });
    expect(user.extra?.['accessKeyId']).toEqual([credentials.accessKeyId]);
  }
});
