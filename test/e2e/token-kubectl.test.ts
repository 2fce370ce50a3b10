import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { request } from 'node:http';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { decodeToken } from '@iam-authenticator/token';
import { createTestCa, issueTestCert } from '../support/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const IDENTITIES = JSON.parse(
  readFileSync(join(ROOT, 'packages/sts-emulator/testdata/identities.json'), 'utf8'),
) as IdentitiesFile;
const ALICE = IDENTITIES.users[0]!;
const CLUSTER = 'e2e-cluster';

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const kubectlOnPath = findOnPath('kubectl');
const kubectlDir = kubectlOnPath === undefined ? undefined : dirname(realpathSync(kubectlOnPath));
const KUBECTLS = [
  ['kubectl', kubectlOnPath],
  ['kubectl.1.27', kubectlDir === undefined ? undefined : join(kubectlDir, 'kubectl.1.27')],
] as const;

/** A stand-in kube-apiserver: answers every GET with an empty PodList once a bearer token is sent. */
async function startApiServer(): Promise<{ url: string; caPem: string; tokens: string[]; server: Server }> {
  const ca = await createTestCa();
  const leaf = await issueTestCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const tokens: string[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}');
      return;
    }
    tokens.push(auth.slice('Bearer '.length));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, caPem: ca.certPem, tokens, server };
}

function writeKubeconfig(home: string, apiUrl: string, caPem: string, execApiVersion: string): string {
  const file = join(home, 'kubeconfig.json');
  const exec: Record<string, unknown> = {
    apiVersion: execApiVersion,
    command: process.execPath,
    args: [BIN, 'token', '-i', CLUSTER],
  };
  if (execApiVersion.endsWith('/v1')) exec.interactiveMode = 'Never';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: { server: apiUrl, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'aws', user: { exec } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'aws' } }],
    'current-context': 'e2e',
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function run(file: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

function callerArn(emulator: StsEmulator, token: string, clusterId: string): Promise<string> {
  const url = new URL(decodeToken(token));
  const target = new URL(emulator.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'x-k8s-aws-id': clusterId, accept: 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`STS answered ${res.statusCode ?? 0}`));
            return;
          }
          resolve(
            (JSON.parse(body) as { GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: string } } })
              .GetCallerIdentityResponse.GetCallerIdentityResult.Arn,
          );
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let emulator: StsEmulator;
let api: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  emulator = await startStsEmulator({ identities: IDENTITIES });
  api = await startApiServer();
});
afterAll(async () => {
  await emulator.close();
  api.server.closeAllConnections();
  await new Promise((resolve) => api.server.close(resolve));
});

describe.each(KUBECTLS)('%s runs our token command as its exec plugin', (name, path) => {
  it.each(['client.authentication.k8s.io/v1beta1', 'client.authentication.k8s.io/v1'])(
    'with exec apiVersion %s',
    async (execApiVersion) => {
      if (path === undefined || !existsSync(path)) throw new Error(`${name} is not installed`);
      const home = mkdtempSync(join(tmpdir(), 'token-kubectl-'));
      const kubeconfig = writeKubeconfig(home, api.url, api.caPem, execApiVersion);
      const env = {
        HOME: home,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AWS_ACCESS_KEY_ID: ALICE.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ALICE.secretAccessKey,
        AWS_REGION: 'us-west-2',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
      };
      const before = api.tokens.length;
      const result = await run(
        path,
        ['--kubeconfig', kubeconfig, 'get', '--raw', '/api/v1/namespaces/default/pods'],
        env,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'PodList' });
      const token = api.tokens[before];
      expect(token).toBeDefined();
      const url = new URL(decodeToken(token!));
      expect(url.host).toBe('sts.us-west-2.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
      expect(await callerArn(emulator, token!, CLUSTER)).toBe(ALICE.arn);
      await expect(callerArn(emulator, token!, 'another-cluster')).rejects.toThrow(/403/);

      // A second kubectl run is served from our token cache: the same token.
      const again = await run(
        path,
        ['--kubeconfig', kubeconfig, 'get', '--raw', '/api/v1/namespaces/default/pods'],
        env,
      );
      expect(again.code).toBe(0);
      expect(api.tokens[api.tokens.length - 1]).toBe(token);
    },
  );
});
