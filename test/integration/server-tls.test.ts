import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { main } from '@iam-authenticator/cli';
import { createDynamicFileBackend } from '@iam-authenticator/mapping';
import { generateServingCert } from '@iam-authenticator/server';
import { createTestCa, issueTestCert, readWebhookKubeconfig } from '../support/index.js';
import type { TestKeyPair } from '../support/index.js';
import { USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

function handshake(
  url: string,
  options: { ca: string; cert?: TestKeyPair; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' },
): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise, reject) => {
    const socket = connect({
      host: hostname,
      port: Number(port),
      ca: options.ca,
      servername: 'localhost',
      ...(options.cert === undefined ? {} : { cert: options.cert.certPem, key: options.cert.keyPem }),
      ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion, minVersion: 'TLSv1' }),
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      // With TLS 1.3 a refused client certificate shows up after the handshake: write and wait for the alert.
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.once('end', () => {
        if (data.startsWith('HTTP/1.1')) resolvePromise(peer);
        else reject(new Error('connection closed without an answer'));
      });
    });
    socket.once('error', reject);
  });
}

function postWith(url: string, body: string, tls: { ca: string; cert?: string; key?: string }) {
  return new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        servername: 'localhost',
        agent: false,
        ...tls,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolvePromise({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('mTLS with --client-ca', () => {
  let h: Harness;
  let foreign: TestKeyPair;
  beforeAll(async () => {
    h = await startHarness({ mtls: true });
    foreign = await issueTestCert(await createTestCa('foreign-ca'), { dnsNames: ['intruder'], client: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers a client with a certificate from the CA', async () => {
    const res = await h.review(await h.token('admin'));
    expect(res.json.status.authenticated).toBe(true);
  });

  it('refuses a client without a certificate at the TLS layer', async () => {
    await expect(handshake(h.started.url, { ca: h.servingCa })).rejects.toThrow();
  });

  it('refuses a client with a certificate from another CA at the TLS layer', async () => {
    await expect(handshake(h.started.url, { ca: h.servingCa, cert: foreign })).rejects.toThrow();
    expect(h.logs.text()).not.toContain('access granted","foreign');
  });

  it('accepts TLS 1.2 and refuses TLS 1.1', async () => {
    await expect(
      handshake(h.started.url, { ca: h.servingCa, cert: h.client!, maxVersion: 'TLSv1.2' }),
    ).resolves.toBeDefined();
    await expect(
      handshake(h.started.url, { ca: h.servingCa, cert: h.client!, maxVersion: 'TLSv1.1' }),
    ).rejects.toThrow();
  });
});

describe('serving certificate reload', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('presents a new certificate once the files change, and keeps the old one when the new files are bad', async () => {
    const before = await handshake(h.started.url, { ca: h.servingCa });
    const stateDir = join(h.dir, 'state');
    const fresh = await generateServingCert({
      stateDir,
      address: '127.0.0.1',
      hostname: 'localhost',
      now: () => new Date(),
      keyType: 'ecdsa',
    });
    let after: PeerCertificate | undefined;
    for (let i = 0; i < 100 && after === undefined; i++) {
      // The watcher reloads on its own; poll (bounded) until new connections see the new certificate.
      const peer = await handshake(h.started.url, { ca: fresh.certPem }).catch(() => undefined);
      if (peer !== undefined && peer.fingerprint256 !== before.fingerprint256) after = peer;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(after).toBeDefined();
    await writeFile(join(stateDir, 'key.pem'), 'not a key');
    expect(await h.server.reloadTls()).toBe(false);
    const still = await handshake(h.started.url, { ca: fresh.certPem });
    expect(still.fingerprint256).toBe(after?.fingerprint256);
    expect(h.logs.text()).toContain('TLS reload failed');
  });
});

describe('/healthz follows backend sync', () => {
  it('is 503 naming the backend until it has synced, then 200', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healthz-'));
    const path = join(dir, 'mappings.json');
    const dynamic = createDynamicFileBackend({ path, pollIntervalMs: 60_000 });
    const h = await startHarness({ deps: { backends: [dynamic] } });
    try {
      await dynamic.start();
      const before = await h.post('/healthz', '', { method: 'GET' });
      expect(before.status).toBe(503);
      expect(before.body).toContain('DynamicFile: not synced');
      // The plain health port: /healthz is readiness (same answer), any other path is liveness.
      const plainBefore = await fetch(`${h.started.healthUrl}/healthz`);
      expect(plainBefore.status).toBe(503);
      expect(await plainBefore.text()).toContain('DynamicFile: not synced');
      expect((await fetch(`${h.started.healthUrl}/`)).status).toBe(200);
      await writeFile(
        path,
        JSON.stringify({
          LastUpdatedDateTime: '2024-01-01',
          Version: '1',
          mapUsers: [{ userarn: USERS.admin.arn, username: 'dyn-admin', groups: [] }],
        }),
      );
      await dynamic.reload();
      const after = await h.post('/healthz', '', { method: 'GET' });
      expect(after.status).toBe(200);
      expect((await fetch(`${h.started.healthUrl}/healthz`)).status).toBe(200);
      const res = await h.review(await h.token('admin'));
      expect(res.json.status.user.username).toBe('dyn-admin');
    } finally {
      await dynamic.stop();
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('init writes a kubeconfig kube-apiserver can use', () => {
  it('with --client-cert, the kubeconfig carries the client certificate the server requires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'init-'));
    const stderr = new PassThrough();
    const stdout = new PassThrough();
    let errText = '';
    stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const code = await main(['init', '-i', 'test-cluster', '--state-dir', dir, '--client-cert'], {
      stdout,
      stderr,
      stdin: new PassThrough(),
      env: {},
      now: () => new Date(),
      cwd: dir,
    });
    expect({ code, errText }).toMatchObject({ code: 0 });
    const target = readWebhookKubeconfig(join(dir, 'aws-iam-authenticator.kubeconfig'));
    expect(target.url.pathname).toBe('/authenticate');
    expect(target.cert).toBeDefined();
    const text = await readFile(join(dir, 'aws-iam-authenticator.kubeconfig'), 'utf8');
    expect(text.startsWith('\nclusters:\n')).toBe(true);
    // The server loads the same state dir and requires the init client CA.
    const h = await startHarness({
      server: { stateDir: dir, kubeconfigPregenerated: true },
      flags: { 'client-ca': join(dir, 'client-ca.pem') },
    });
    try {
      const url = `${h.started.url}/authenticate`;
      const body = JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1beta1',
        kind: 'TokenReview',
        spec: { token: await h.token('admin') },
      });
      const ok = await postWith(url, body, {
        ca: target.ca,
        ...(target.cert === undefined ? {} : { cert: target.cert }),
        ...(target.key === undefined ? {} : { key: target.key }),
      });
      expect(JSON.parse(ok.body)).toMatchObject({
        apiVersion: 'authentication.k8s.io/v1beta1',
        status: { authenticated: true },
      });
      await expect(postWith(url, body, { ca: target.ca })).rejects.toThrow();
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
