/**
 * The end-to-end login environment (issue 6 §2): our built CLI as the webhook server (`init` + `server`), the STS
 * emulator behind `--sts-endpoint-override` (TLS for the real STS host name, from a test CA), the kube API test
 * server holding kube-system/aws-auth (EKSConfigMap backend), and kube-apiserver stand-ins that read the webhook
 * kubeconfig written by `init`. Real kubectl binaries log in through them with our `token` as exec plugin.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { decodeToken } from '@iam-authenticator/token';
import {
  createTestCa,
  issueTestCert,
  startKubeApiServer,
  startKubeApiserverStandin,
} from '../support/index.js';
import type { KubeApiserverStandin, KubeApiTestServer, TestKeyPair } from '../support/index.js';

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
export const IDENTITIES = JSON.parse(
  readFileSync(join(ROOT, 'packages/sts-emulator/testdata/identities.json'), 'utf8'),
) as IdentitiesFile;
export const REGION = 'us-west-2';
export const ACCOUNT = '111122223333';
export const DEV_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/team/dev`;
export const SSO_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123456789abcdef`;
export const SESSION_NAME = 'e2e-session';

export type WebhookVersion = 'v1' | 'v1beta1';

export interface AwsUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly arn: string;
}

export function identityUser(arnSuffix: string): AwsUser {
  const user = IDENTITIES.users.find((u) => u.arn.endsWith(arnSuffix));
  if (user === undefined) throw new Error(`no emulator identity ending with ${JSON.stringify(arnSuffix)}`);
  return user;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a program to completion; stdin is closed (kubectl here waits for EOF on a piped stdin). */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd ?? tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout,
        stderr: signal === null ? stderr : `${stderr}\n[killed by ${signal}]`,
        ms: Date.now() - started,
      });
    });
  });
}

function baseEnv(home: string): Record<string, string> {
  return { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

// ---------------------------------------------------------------------------------------------------------------
// kubectl

export interface Kubectl {
  readonly name: string;
  readonly path: string;
  /** `auth whoami` (≥ 1.28) or `alpha auth whoami` (1.27). */
  readonly whoami: readonly string[];
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Upstream 1.27 has `alpha auth whoami`; some 1.27 builds (this machine's) ship it as `auth whoami`. */
function whoamiCommand(path: string): string[] {
  const help = execFileSync(path, ['auth', '--help'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() },
  }).toString('utf8');
  return /^\s+whoami\s/m.test(help) ? ['auth', 'whoami'] : ['alpha', 'auth', 'whoami'];
}

/** The installed kubectl and kubectl.1.27 next to the real binary; a missing one is an error, not a skip. */
export function kubectls(): Kubectl[] {
  const onPath = findOnPath('kubectl');
  if (onPath === undefined) throw new Error('kubectl is not on PATH');
  const dir = dirname(realpathSync(onPath));
  const old = join(dir, 'kubectl.1.27');
  if (!existsSync(old)) throw new Error(`${old} does not exist`);
  return [
    { name: 'kubectl', path: onPath, whoami: whoamiCommand(onPath) },
    { name: 'kubectl.1.27', path: old, whoami: whoamiCommand(old) },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The environment

export interface LoginEnvironmentOptions {
  readonly clusterId: string;
  /** kube-system/aws-auth data on the kube API test server (EKSConfigMap backend). */
  readonly awsAuth: Record<string, string>;
  /** `server.mapUsers` / `server.mapRoles` of the server config file (MountedFile backend). */
  readonly serverMappings?: { readonly mapUsers?: unknown[]; readonly mapRoles?: unknown[] };
  /** `--identity-cache-ttl` of the server (default: the server's own). */
  readonly identityCacheTtl?: string;
  /** One stand-in per entry. */
  readonly standins: readonly {
    readonly webhookVersion: WebhookVersion;
    readonly cacheTtlMs?: number;
    readonly retryInitialMs?: number;
  }[];
}

export interface WhoamiOptions {
  /** Role to assume with `token -r`. */
  readonly role?: string;
  /** Exec plugin apiVersion; default client.authentication.k8s.io/v1beta1. */
  readonly execApiVersion?: 'client.authentication.k8s.io/v1beta1' | 'client.authentication.k8s.io/v1';
  /** The cluster ID the token is minted for (`token -i`); default the server's. */
  readonly tokenClusterId?: string;
}

export interface WhoamiResult extends ProcessResult {
  /** status.userInfo of the SelfSubjectReview when kubectl succeeded. */
  readonly userInfo?: {
    username?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
  };
}

export interface LoginEnvironment {
  readonly clusterId: string;
  readonly dir: string;
  readonly sts: StsEmulator;
  readonly kubeApi: KubeApiTestServer;
  /** kubeconfig file for the kube API test server (what `mapping … --kubeconfig` and the server's backend use). */
  readonly kubeApiKubeconfig: string;
  readonly webhookKubeconfig: string;
  readonly standins: readonly KubeApiserverStandin[];
  /** Everything the webhook server wrote to stderr and stdout so far. */
  serverLogs(): string;
  whoami(
    kubectl: Kubectl,
    standin: KubeApiserverStandin,
    user: AwsUser,
    options?: WhoamiOptions,
  ): Promise<WhoamiResult>;
  /** Any kubectl command through a stand-in, logged in as `user` with our exec plugin. */
  kubectlAs(
    kubectl: Kubectl,
    standin: KubeApiserverStandin,
    user: AwsUser,
    options: WhoamiOptions,
    args: readonly string[],
  ): Promise<ProcessResult>;
  /** Runs our CLI (the built bin) with a clean environment. */
  cli(args: readonly string[], env?: Record<string, string>): Promise<ProcessResult>;
  /** Every token our exec plugin cached for the logins so far. */
  tokens(): string[];
  /** The server's JSON log lines so far. */
  serverLogLines(): Record<string, unknown>[];
  /** Resolves with the first JSON log line (past or future) for which `test` holds; rejects after timeoutMs. */
  waitForServerLog(
    test: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** A request to the webhook server itself, with kube-apiserver's client certificate (mTLS). */
  webhookRequest(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: string }>;
  /** Runs kubectl against the kube API test server (an admin's view of the cluster, for edits of aws-auth). */
  kubectlAdmin(
    kubectl: Kubectl,
    args: readonly string[],
    env?: Record<string, string>,
  ): Promise<ProcessResult>;
  close(): Promise<void>;
}

/** Polls `attempt` until it returns a value other than undefined; rejects with the last value after timeoutMs. */
export async function eventually<T>(
  attempt: () => Promise<T | undefined>,
  timeoutMs: number,
  describeLast: () => string = () => '',
): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await attempt();
    const elapsedMs = Date.now() - started;
    if (value !== undefined) return { value, elapsedMs };
    if (elapsedMs > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms ${describeLast()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function yamlFlowJson(value: unknown): string {
  // JSON is YAML: the server config file is written as JSON so no YAML library is needed here.
  return JSON.stringify(value, null, 2);
}

async function waitForServer(child: ChildProcess, logs: () => string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!logs().includes('iam-authenticator: serving ')) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${logs()}`);
    if (Date.now() - started > timeoutMs)
      throw new Error(`server did not start in ${timeoutMs} ms:\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Mtls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** One HTTPS request with a client certificate (the webhook requires kube-apiserver's). */
function mtlsRequest(
  url: string,
  tls: Mtls,
  method: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ...tls,
        timeout: 10_000,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => {
      req.destroy(new Error(`${method} ${url} timed out`));
    });
    req.end(body);
  });
}

export async function startLoginEnvironment(options: LoginEnvironmentOptions): Promise<LoginEnvironment> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-login-'));
  const cleanups: (() => Promise<void> | void)[] = [
    () => {
      rmSync(dir, { recursive: true, force: true });
    },
  ];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const ca: TestKeyPair = await createTestCa('e2e-login-ca');
    const caFile = join(dir, 'test-ca.pem');
    writeFileSync(caFile, ca.certPem);

    // STS emulator: TLS for the real STS host (what the tokens name) and for 127.0.0.1 (how it is reached).
    const stsCert = await issueTestCert(ca, {
      dnsNames: [`sts.${REGION}.amazonaws.com`],
      ipAddresses: ['127.0.0.1'],
    });
    const sts = await startStsEmulator({
      identities: IDENTITIES,
      tls: { cert: stsCert.certPem, key: stsCert.keyPem },
    });
    cleanups.push(() => sts.close());

    const kubeApi = await startKubeApiServer();
    cleanups.push(() => kubeApi.close());
    kubeApi.setConfigMap('kube-system', 'aws-auth', options.awsAuth);
    const kubeApiKubeconfig = join(dir, 'kube-api.kubeconfig');
    writeFileSync(kubeApiKubeconfig, kubeApi.kubeconfig());

    // `init` writes the serving cert/key, a client CA + client cert for kube-apiserver, and the webhook kubeconfig.
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    const webhookKubeconfig = join(dir, 'webhook.kubeconfig');
    const cliEnv = baseEnv(dir);
    const runCli = (args: readonly string[], env: Record<string, string> = {}) =>
      runProcess(process.execPath, [BIN, ...args], { env: { ...cliEnv, ...env }, cwd: dir });

    let child: ChildProcess | undefined;
    let logs = '';
    for (let attempt = 0; child === undefined; attempt += 1) {
      const port = await freePort();
      const init = await runCli([
        'init',
        '-i',
        options.clusterId,
        '--client-cert',
        '--state-dir',
        stateDir,
        '--generate-kubeconfig',
        webhookKubeconfig,
        '--port',
        String(port),
      ]);
      if (init.code !== 0) throw new Error(`init failed (${init.code}): ${init.stderr}`);

      const configFile = join(dir, 'server-config.yaml');
      writeFileSync(
        configFile,
        yamlFlowJson({
          clusterID: options.clusterId,
          server: {
            port,
            stateDir,
            kubeconfigPregenerated: true,
            backendMode: ['MountedFile', 'EKSConfigMap'],
            kubeconfig: kubeApiKubeconfig,
            mapUsers: options.serverMappings?.mapUsers ?? [],
            mapRoles: options.serverMappings?.mapRoles ?? [],
          },
        }),
      );
      const args = [
        BIN,
        'server',
        '--config',
        configFile,
        '--health-port',
        '0',
        '--health-address',
        '127.0.0.1',
        '--client-ca',
        join(stateDir, 'client-ca.pem'),
        '--sts-endpoint-override',
        sts.url,
        '--sts-ca',
        caFile,
        ...(options.identityCacheTtl === undefined ? [] : ['--identity-cache-ttl', options.identityCacheTtl]),
      ];
      logs = '';
      const started = spawn(process.execPath, args, {
        env: cliEnv,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
      started.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
      try {
        await waitForServer(started, () => logs, 20_000);
        child = started;
      } catch (error) {
        started.kill('SIGKILL');
        // Another process may have taken the port between freePort() and listen(): try another one.
        if (attempt >= 2 || !logs.includes('EADDRINUSE')) throw error;
      }
    }
    const server = child;
    cleanups.push(async () => {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    });

    // Ready when /healthz (every backend synced) answers 200.
    const mtls: Mtls = {
      ca: readFileSync(join(stateDir, 'cert.pem'), 'utf8'),
      cert: readFileSync(join(stateDir, 'client.pem'), 'utf8'),
      key: readFileSync(join(stateDir, 'client-key.pem'), 'utf8'),
    };
    const serverUrl = /serving (https:\/\/\S+?)\/authenticate/.exec(logs)?.[1] ?? 'https://invalid';
    const webhookRequest = (method: 'GET' | 'POST', path: string, body?: unknown) =>
      mtlsRequest(
        new URL(path, serverUrl).toString(),
        mtls,
        method,
        body === undefined ? undefined : JSON.stringify(body),
      );
    const healthz = () =>
      webhookRequest('GET', '/healthz').then(
        (r) => r.status,
        () => 0,
      );
    for (const started = Date.now(); (await healthz()) !== 200;) {
      if (Date.now() - started > 15_000) throw new Error(`server never became healthy:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const standinCert = await issueTestCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const standins: KubeApiserverStandin[] = [];
    for (const spec of options.standins) {
      const standin = await startKubeApiserverStandin({
        webhookKubeconfigPath: webhookKubeconfig,
        webhookVersion: spec.webhookVersion,
        ...(spec.cacheTtlMs === undefined ? {} : { cacheTtlMs: spec.cacheTtlMs }),
        ...(spec.retryInitialMs === undefined ? {} : { retryInitialMs: spec.retryInitialMs }),
        backend: { url: kubeApi.url, caPem: kubeApi.caPem },
        tls: { certPem: standinCert.certPem, keyPem: standinCert.keyPem, caPem: ca.certPem },
      });
      standins.push(standin);
      cleanups.push(() => standin.close());
    }

    const homes = new Map<string, string>();
    const homeFor = (user: AwsUser, role: string | undefined): string => {
      const key = `${user.accessKeyId}|${role ?? ''}`;
      let home = homes.get(key);
      if (home === undefined) {
        home = join(dir, `home-${homes.size}`);
        mkdirSync(home);
        writeFileSync(join(home, 'aws-empty'), '');
        homes.set(key, home);
      }
      return home;
    };

    const kubectlAs = async (
      kubectl: Kubectl,
      standin: KubeApiserverStandin,
      user: AwsUser,
      whoamiOptions: WhoamiOptions,
      args: readonly string[],
    ): Promise<ProcessResult> => {
      const home = homeFor(user, whoamiOptions.role);
      const execApiVersion = whoamiOptions.execApiVersion ?? 'client.authentication.k8s.io/v1beta1';
      const env: Record<string, string> = {
        AWS_ACCESS_KEY_ID: user.accessKeyId,
        AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(home, 'aws-empty'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-empty'),
        HOME: home,
        // Only AssumeRole goes to the emulator; the token itself names sts.us-west-2.amazonaws.com.
        AWS_ENDPOINT_URL_STS: sts.url,
        NODE_EXTRA_CA_CERTS: caFile,
      };
      const exec: Record<string, unknown> = {
        apiVersion: execApiVersion,
        command: process.execPath,
        args: [
          BIN,
          'token',
          '-i',
          whoamiOptions.tokenClusterId ?? options.clusterId,
          '--region',
          REGION,
          ...(whoamiOptions.role === undefined ? [] : ['-r', whoamiOptions.role, '-s', SESSION_NAME]),
        ],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
      };
      if (execApiVersion.endsWith('/v1')) exec.interactiveMode = 'Never';
      const kubeconfig = join(home, `kubeconfig-${standins.indexOf(standin)}.json`);
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'e2e',
              cluster: {
                server: standin.url,
                'certificate-authority-data': Buffer.from(ca.certPem).toString('base64'),
              },
            },
          ],
          users: [{ name: 'aws', user: { exec } }],
          contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'aws' } }],
          'current-context': 'e2e',
        }),
      );
      return runProcess(
        kubectl.path,
        ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kube-cache'), ...args],
        {
          env: baseEnv(home),
          cwd: home,
        },
      );
    };

    const whoami = async (
      kubectl: Kubectl,
      standin: KubeApiserverStandin,
      user: AwsUser,
      whoamiOptions: WhoamiOptions = {},
    ): Promise<WhoamiResult> => {
      const result = await kubectlAs(kubectl, standin, user, whoamiOptions, [
        ...kubectl.whoami,
        '-o',
        'json',
      ]);
      if (result.code !== 0) return result;
      const review = JSON.parse(result.stdout) as { status?: { userInfo?: WhoamiResult['userInfo'] } };
      return review.status?.userInfo === undefined ? result : { ...result, userInfo: review.status.userInfo };
    };

    const tokens = (): string[] => {
      const found: string[] = [];
      for (const home of homes.values()) {
        const cacheDir = join(home, '.kube', 'cache', 'iam-authenticator');
        if (!existsSync(cacheDir)) continue;
        for (const file of readdirSync(cacheDir)) {
          const text = readFileSync(join(cacheDir, file), 'utf8');
          for (const match of text.matchAll(/k8s-aws-v1\.[A-Za-z0-9_-]+/g)) found.push(match[0]);
        }
      }
      return found;
    };

    const serverLogLines = (): Record<string, unknown>[] =>
      logs
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
    const waitForServerLog = async (test: (line: Record<string, unknown>) => boolean, timeoutMs = 5000) =>
      (
        await eventually(
          () => Promise.resolve(serverLogLines().find(test)),
          timeoutMs,
          () => `(server log tail: ${logs.slice(-2000)})`,
        )
      ).value;
    const adminHome = join(dir, 'admin-home');
    mkdirSync(adminHome);
    const kubectlAdmin = (kubectl: Kubectl, args: readonly string[], env: Record<string, string> = {}) =>
      runProcess(
        kubectl.path,
        ['--kubeconfig', kubeApiKubeconfig, '--cache-dir', join(adminHome, 'kube-cache'), ...args],
        { env: { ...baseEnv(adminHome), ...env }, cwd: adminHome },
      );

    return {
      clusterId: options.clusterId,
      dir,
      sts,
      kubeApi,
      kubeApiKubeconfig,
      webhookKubeconfig,
      standins,
      serverLogs: () => logs,
      whoami,
      kubectlAs,
      cli: runCli,
      tokens,
      serverLogLines,
      waitForServerLog,
      webhookRequest,
      kubectlAdmin,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The secrets a token carries, each of which must never appear in a log: the token, its base64 payload (and a
 * long slice of it, in case a log cuts it), the presigned URL, its signature and session token.
 */
export function tokenSecrets(token: string): string[] {
  const payload = token.slice('k8s-aws-v1.'.length);
  const url = new URL(decodeToken(token));
  const secrets = [token, payload, payload.slice(0, 40), payload.slice(-40), url.toString(), url.search];
  const signature = url.searchParams.get('X-Amz-Signature');
  if (signature !== null) secrets.push(signature);
  const sessionToken = url.searchParams.get('X-Amz-Security-Token');
  if (sessionToken !== null)
    secrets.push(sessionToken, encodeURIComponent(sessionToken), sessionToken.slice(0, 40));
  return secrets;
}
