/**
 * The health answers with an EKSConfigMap backend on the kube API test server: the TLS /healthz shows the
 * problems of the last load while the server keeps a key's last good mappings (DESIGN.md difference 5),
 * the plain health port names backends only (it listens on every interface by default), and paths are
 * matched exactly, as the reference's ServeMux.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer } from '../support/index.js';
import type { KubeApiTestServer } from '../support/index.js';
import { USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

const get = async (url: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};

describe('server: health detail and exact paths', () => {
  let kube: KubeApiTestServer;
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'server-health-'));
    kube = await startKubeApiServer();
    kube.setConfigMap('kube-system', 'aws-auth', {
      mapUsers: `- userarn: ${USERS.admin.arn}\n  username: admin\n  groups: [system:masters]\n`,
    });
    // Fail the first lists: the plain port must not show the error text (the kube API URL).
    kube.failRequests({ path: /configmaps/, count: 2, status: 500 });
    const kubeconfig = join(dir, 'kube-api.kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig());
    h = await startHarness({ flags: { kubeconfig }, server: { backendMode: ['EKSConfigMap'] } });
  });
  afterAll(async () => {
    await h.close();
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tlsHealth = async (): Promise<{ status: number; body: string }> => {
    const res = await h.post('/healthz', '', { method: 'GET' });
    return { status: res.status, body: res.body };
  };
  const eventually = async (check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await check()).toBe(true);
  };

  it('names backends only on the plain port, details on TLS, and the kept last good state once synced', async () => {
    const plain = `${h.started.healthUrl}/healthz`;
    const early = await get(plain);
    expect(early).toEqual({ status: 503, body: 'not ready\nEKSConfigMap: not synced\n' });
    expect((await tlsHealth()).body).toMatch(/^not ready\nEKSConfigMap: not synced \(.+\)\n$/);
    await eventually(async () => (await tlsHealth()).body === 'ok');
    expect(await get(plain)).toEqual({ status: 200, body: 'ok' });

    // A tab-indented mapUsers does not parse: the admin mapping is kept, and /healthz says so (still 200).
    kube.setConfigMap('kube-system', 'aws-auth', {
      mapUsers: `- userarn: ${USERS.admin.arn}\n\tusername: admin\n`,
    });
    await eventually(async () => (await tlsHealth()).body !== 'ok');
    const degraded = await tlsHealth();
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatch(
      /^ok\nEKSConfigMap: synced, 2 problems in its last load: mapUsers \(line 2\): mapUsers is not valid YAML .*keeping its 1 mapping\(s\) from the last good version\n$/,
    );
    expect(await get(plain)).toEqual({ status: 200, body: 'ok' });
    const review = await h.review(await h.token('admin'));
    expect(review.json.status).toMatchObject({ authenticated: true, user: { username: 'admin' } });
  });

  it('matches paths exactly', async () => {
    for (const [path, method] of [
      ['/Authenticate', 'POST'],
      ['/AUTHENTICATE/', 'POST'],
      ['/authenticate/', 'POST'],
      ['/healthz/', 'GET'],
      ['/HEALTHZ', 'GET'],
      ['/Metrics', 'GET'],
    ] as const) {
      expect([path, (await h.post(path, '{}', { method })).status]).toEqual([path, 404]);
    }
    expect((await h.post('/metrics', '', { method: 'GET' })).status).toBe(200);
    expect((await h.post('/authenticate?x=1', '{}')).status).toBe(200);
  });
});
