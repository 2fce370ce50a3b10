/** Shared set-up of the server-*.test.ts files: STS emulator over TLS as the real STS host, the webhook, tokens. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '@iam-authenticator/core';
import { createServer, resolveServerConfig } from '@iam-authenticator/server';
import type { ServerDeps, ServerFlags, StartedServer, WebhookServer } from '@iam-authenticator/server';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { presignCallerIdentity } from '@iam-authenticator/token';
import type { AwsCredentials } from '@iam-authenticator/token';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createTestCa, issueTestCert, loopbackServerKeys } from '../support/index.js';
import type { TestKeyPair } from '../support/index.js';

export const CLUSTER = 'test-cluster';
export const REGION = 'us-east-1';
export const STS_HOST = `sts.${REGION}.amazonaws.com`;
export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const SCRUBBED_ACCOUNT = '777788889999';

export const USERS = {
  admin: {
    accessKeyId: 'AKIATESTADMIN00001',
    secretAccessKey: 'test-secret-admin-000000000000000000000',
    arn: `arn:aws:iam::${ACCOUNT}:user/admin`,
    userId: 'AIDATESTADMIN000001',
  },
  nobody: {
    accessKeyId: 'AKIATESTNOBODY0001',
    secretAccessKey: 'test-secret-nobody-00000000000000000000',
    arn: `arn:aws:iam::${ACCOUNT}:user/nobody`,
    userId: 'AIDATESTNOBODY00001',
  },
  other: {
    accessKeyId: 'AKIATESTOTHER00001',
    secretAccessKey: 'test-secret-other-000000000000000000000',
    arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/carol`,
    userId: 'AIDATESTOTHER000001',
  },
  scrubbed: {
    accessKeyId: 'AKIATESTSCRUB00001',
    secretAccessKey: 'test-secret-scrub-000000000000000000000',
    arn: `arn:aws:iam::${SCRUBBED_ACCOUNT}:user/ops`,
    userId: 'AIDATESTSCRUB000001',
  },
} as const;

export const ROLES = {
  dev: {
    arn: `arn:aws:iam::${ACCOUNT}:role/team/Dev`,
    roleId: 'AROATESTDEV00000001',
    trustedPrincipals: [USERS.admin.arn],
  },
};

export const IDENTITIES: IdentitiesFile = {
  users: Object.values(USERS),
  roles: Object.values(ROLES),
  instances: [{ instanceId: 'i-0123456789abcdef0', privateDnsName: 'ip-10-0-0-1.ec2.internal' }],
};

export const MAPPINGS = {
  mapUsers: [
    { userarn: USERS.admin.arn, username: 'admin', groups: ['system:masters'] },
    { userarn: USERS.scrubbed.arn, username: 'ops', groups: ['ops'] },
  ],
  mapRoles: [{ rolearn: ROLES.dev.arn, username: 'dev:{{SessionName}}', groups: ['devs'] }],
  mapAccounts: [OTHER_ACCOUNT],
};

/** A TokenReview answer as the tests read it. */
export interface ReviewJson {
  apiVersion?: string;
  kind?: string;
  metadata?: unknown;
  spec?: unknown;
  status: {
    authenticated?: boolean;
    error?: string;
    user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

export interface CapturedLogs {
  readonly logger: Logger;
  text(): string;
  lines(): Record<string, unknown>[];
}

/** A real pino logger writing JSON lines into memory. */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink) as unknown as Logger;
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface Harness {
  readonly dir: string;
  readonly sts: StsEmulator;
  readonly stsCa: TestKeyPair;
  readonly server: WebhookServer;
  readonly started: StartedServer;
  readonly servingCa: string;
  readonly logs: CapturedLogs;
  readonly client?: TestKeyPair;
  token(user?: keyof typeof USERS, options?: { clusterId?: string; now?: Date }): Promise<string>;
  tokenFor(credentials: AwsCredentials, options?: { clusterId?: string; now?: Date }): Promise<string>;
  /** A real SigV4-signed AssumeRole against the emulator. */
  assumeRole(user: keyof typeof USERS, roleArn: string, sessionName: string): Promise<AwsCredentials>;
  review(
    token: string,
    options?: { apiVersion?: string },
  ): Promise<{ status: number; body: string; json: ReviewJson }>;
  post(
    path: string,
    body: string,
    options?: { method?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly flags?: ServerFlags;
  readonly server?: Record<string, unknown>;
  readonly mtls?: boolean;
  readonly deps?: Partial<ServerDeps>;
  readonly now?: () => Date;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'iam-server-test-'));
  const stsCa = await createTestCa('server-test-sts-ca');
  const stsCert = await issueTestCert(stsCa, {
    dnsNames: [STS_HOST, 'sts.amazonaws.com', 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  await writeFile(join(dir, 'sts-ca.pem'), stsCa.certPem);
  const now = options.now ?? (() => new Date());
  const sts = await startStsEmulator({
    identities: IDENTITIES,
    tls: { cert: stsCert.certPem, key: stsCert.keyPem },
    now,
  });
  let client: TestKeyPair | undefined;
  const flags: Record<string, unknown> = {
    'sts-endpoint-override': sts.url,
    'sts-ca': join(dir, 'sts-ca.pem'),
    ...options.flags,
  };
  if (options.mtls === true) {
    const clientCa = await createTestCa('server-test-client-ca');
    client = await issueTestCert(clientCa, { dnsNames: ['kube-apiserver'], client: true });
    await writeFile(join(dir, 'client-ca.pem'), clientCa.certPem);
    flags['client-ca'] = join(dir, 'client-ca.pem');
  }
  const resolved = resolveServerConfig(
    {
      clusterID: CLUSTER,
      server: {
        ...loopbackServerKeys(join(dir, 'state'), join(dir, 'kubeconfig.yaml')),
        scrubbedAccounts: [SCRUBBED_ACCOUNT],
        ...MAPPINGS,
        ...options.server,
      },
    },
    flags as ServerFlags,
    {},
  );
  if (resolved.config === undefined) throw new Error(`harness config: ${resolved.problems.join('; ')}`);
  const logs = captureLogs();
  const server = createServer(resolved.config, { logger: logs.logger, now, ...options.deps });
  const started = await server.start();
  const servingCa = await readFile(join(resolved.config.stateDir, 'cert.pem'), 'utf8');

  const post: Harness['post'] = (path, body, opts = {}) =>
    new Promise((resolvePromise, reject) => {
      const req = request(
        `${started.url}${path}`,
        {
          method: opts.method ?? 'POST',
          ca: servingCa,
          servername: 'localhost',
          agent: false,
          headers: { 'content-type': 'application/json', ...opts.headers },
          ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolvePromise({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const harness: Harness = {
    dir,
    sts,
    stsCa,
    server,
    started,
    servingCa,
    logs,
    ...(client === undefined ? {} : { client }),
    async token(user = 'admin', opts = {}) {
      const u = USERS[user];
      return harness.tokenFor({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey }, opts);
    },
    async assumeRole(user, roleArn, sessionName) {
      const u = USERS[user];
      const body = new URLSearchParams({
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: roleArn,
        RoleSessionName: sessionName,
      }).toString();
      const signer = new SignatureV4({
        service: 'sts',
        region: REGION,
        credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey },
        sha256: Hash.bind(null, 'sha256'),
      });
      const signed = await signer.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'https:',
          hostname: STS_HOST,
          path: '/',
          headers: {
            host: STS_HOST,
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
            accept: 'application/json',
          },
          body,
        }),
        { signingDate: now() },
      );
      const text = await new Promise<string>((resolvePromise, reject) => {
        const req = request(
          sts.url,
          { method: 'POST', headers: signed.headers, ca: stsCa.certPem, servername: STS_HOST, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              resolvePromise(Buffer.concat(chunks).toString('utf8'));
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      const creds = (
        JSON.parse(text) as {
          AssumeRoleResponse: { AssumeRoleResult: { Credentials: Record<string, string> } };
        }
      ).AssumeRoleResponse.AssumeRoleResult.Credentials;
      return {
        accessKeyId: creds['AccessKeyId'] ?? '',
        secretAccessKey: creds['SecretAccessKey'] ?? '',
        sessionToken: creds['SessionToken'] ?? '',
      };
    },
    async tokenFor(credentials, opts = {}) {
      const at = opts.now ?? now();
      const { token } = await presignCallerIdentity({
        credentials,
        clusterId: opts.clusterId ?? CLUSTER,
        region: REGION,
        now: () => at,
      });
      return token;
    },
    async review(token, opts = {}) {
      const body = JSON.stringify({
        apiVersion: opts.apiVersion ?? 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        metadata: {},
        spec: { token, audiences: ['https://kubernetes.default.svc'] },
        status: { user: {} },
      });
      const res = await post('/authenticate', body);
      return { status: res.status, body: res.body, json: JSON.parse(res.body) as ReviewJson };
    },
    post,
    async close() {
      await server.stop({ drainMs: 500 });
      await sts.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Re-encodes a presigned URL as a token (for tests that tamper with the URL). */
export function encodeUrlAsToken(url: string): string {
  return `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
}

export function decodeTokenUrl(token: string): string {
  return Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
}
