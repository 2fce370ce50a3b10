/**
 * An identity that no backend maps while a backend of the chain has not loaded its data yet gets a 503
 * with Retry-After (mapping_not_synced), not a denial: kube-apiserver caches a denial for 2 minutes but
 * retries such a 503 and caches nothing (reference §4.1). Once every backend has loaded, the same
 * identity is denied as unmapped.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

describe('server: reviews before every mapping backend has loaded', () => {
  let h: Harness;
  let dir: string;
  let dynamicPath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'not-synced-'));
    dynamicPath = join(dir, 'dynamic.json');
    // DynamicFile stays unsynced until its file exists.
    h = await startHarness({
      server: { backendMode: ['MountedFile', 'DynamicFile'], dynamicfilepath: dynamicPath },
    });
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 + Retry-After for an unmapped identity until then, and maps what it can meanwhile', async () => {
    expect((await h.post('/healthz', '', { method: 'GET' })).status).toBe(503);
    const admin = await h.review(await h.token('admin'));
    expect(admin.status).toBe(200);
    expect(admin.json.status).toMatchObject({ authenticated: true, user: { username: 'admin' } });

    const token = await h.token('nobody');
    for (let i = 0; i < 2; i++) {
      // The second review is an identity-cache hit: the answer is not kept either.
      const res = await h.post(
        '/authenticate',
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
      );
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.parse(res.body)).toMatchObject({
        apiVersion: 'authentication.k8s.io/v1',
        status: { authenticated: false, error: 'mapping_not_synced' },
      });
    }
    expect(h.logs.text()).toContain('DynamicFile has not loaded its mappings yet');
    expect(h.logs.text()).toContain('"reason":"mapping_not_synced"');
    expect(h.logs.text()).toContain(USERS.nobody.arn);

    await writeFile(dynamicPath, JSON.stringify({ mapRoles: [], mapUsers: [], mapAccounts: [] }));
    const deadline = Date.now() + 5_000;
    let res = await h.review(token);
    while (res.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      res = await h.review(token);
    }
    expect(res.status).toBe(200);
    expect(res.json.status).toMatchObject({ authenticated: false, error: 'identity_unmapped' });
    expect((await h.post('/healthz', '', { method: 'GET' })).status).toBe(200);
  });
});
