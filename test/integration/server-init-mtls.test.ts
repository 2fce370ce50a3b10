import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readWebhookKubeconfig } from '../support/index.js';

// init --client-cert, then a server that writes the webhook kubeconfig itself: kube-apiserver must keep
// its client certificate, or every handshake is refused once --client-ca is on (found by the e2e suite).
const BIN = new URL('../../../packages/cli/bin/iam-authenticator.js', import.meta.url).pathname;
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: ENV, timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr });
    });
  });
}

function post(url: URL, tls: { ca: string; cert?: string; key?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ...tls, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } }),
    );
  });
}

describe('server keeps the mTLS client certificate of init --client-cert in the kubeconfig it writes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'init-mtls-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rewrites the kubeconfig with the client certificate, which the server then accepts', async () => {
    const state = join(dir, 'state');
    const kubeconfig = join(dir, 'webhook.kubeconfig');
    const init = await cli([
      'init',
      '-i',
      'c1',
      '--client-cert',
      '--state-dir',
      state,
      '--generate-kubeconfig',
      kubeconfig,
    ]);
    expect(init).toMatchObject({ code: 0 });
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      stringify({ clusterID: 'c1', server: { port: 0, stateDir: state, generateKubeconfig: kubeconfig } }),
    );
    const child = spawn(
      process.execPath,
      [BIN, 'server', '--config', config, '--client-ca', join(state, 'client-ca.pem'), '--health-port', '0'],
      { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/serving https:/.test(stderr)) resolve();
        });
        child.once('exit', () => {
          reject(new Error(`server exited early: ${stderr}`));
        });
      });
      // Read the kubeconfig as kube-apiserver does, after the server rewrote it with its real port.
      const target = readWebhookKubeconfig(kubeconfig);
      expect(target.cert).toContain('BEGIN CERTIFICATE');
      expect(target.key).toContain('PRIVATE KEY');
      const ca = target.ca;
      expect(await post(target.url, { ca, cert: target.cert!, key: target.key! })).toBe(200);
      await expect(post(target.url, { ca })).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
