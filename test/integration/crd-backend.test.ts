import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { createCrdBackend } from '@iam-authenticator/mapping/kube';
import type { MappingBackend } from '@iam-authenticator/mapping';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiTestServer } from '../support/kube-api-server.js';

async function waitUntil(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const GVP = { group: 'iamauthenticator.k8s.aws', version: 'v1alpha1', plural: 'iamidentitymappings' };

describe('CRD backend (IAMIdentityMapping) against the kube API test server', () => {
  let server: KubeApiTestServer;
  let kubeConfig: KubeConfig;
  let backend: MappingBackend | undefined;

  beforeEach(async () => {
    server = await startKubeApiServer();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server.kubeconfig());
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await server.close();
  });

  const start = async (writeStatus = true): Promise<MappingBackend> => {
    backend = createCrdBackend({ kubeConfig, writeStatus, backoff: { initialMs: 20, maxMs: 200 } });
    await backend.start();
    return backend;
  };

  test('writes status.canonicalARN and maps only after it is written', async () => {
    server.setIdentityMapping('admin', {
      arn: 'arn:aws:iam::111122223333:role/KubernetesAdmin',
      username: 'kubernetes-admin',
      groups: ['system:masters'],
    });
    server.setIdentityMapping('alice', {
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      username: 'alice',
    });
    const b = await start();
    expect(b.name).toBe('CRD');
    expect(b.status().synced).toBe(true);
    await waitUntil(() => b.current().mapRoles.length === 2);
    expect(server.getIdentityMapping('admin')?.['status']).toEqual({
      canonicalARN: 'arn:aws:iam::111122223333:role/kubernetesadmin',
    });
    // An assumed-role ARN in spec.arn is canonicalised to its role.
    expect(server.getIdentityMapping('alice')?.['status']).toEqual({
      canonicalARN: 'arn:aws:iam::111122223333:role/dev',
    });
    expect(b.current().mapRoles).toEqual([
      {
        rolearn: 'arn:aws:iam::111122223333:role/kubernetesadmin',
        username: 'kubernetes-admin',
        groups: ['system:masters'],
      },
      { rolearn: 'arn:aws:iam::111122223333:role/dev', username: 'alice', groups: [] },
    ]);
    expect(b.current().mapAccounts).toEqual([]);
    const statusWrites = server.requests().filter((r) => r.method === 'PUT' && r.path.endsWith('/status'));
    expect(statusWrites).toHaveLength(2);
  });

  test('without the status controller nothing maps (as in the reference)', async () => {
    server.setIdentityMapping('bob', { arn: 'arn:aws:iam::111122223333:user/bob', username: 'bob' });
    const b = await start(false);
    expect(b.current().mapUsers).toHaveLength(0);
    expect(server.getIdentityMapping('bob')?.['status']).toBeUndefined();
  });

  test('follows creates, spec edits and deletes through the watch', async () => {
    const b = await start();
    await server.waitForWatches(1);
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    await api.createClusterCustomObject({
      ...GVP,
      body: {
        apiVersion: 'iamauthenticator.k8s.aws/v1alpha1',
        kind: 'IAMIdentityMapping',
        metadata: { name: 'bob' },
        spec: { arn: 'arn:aws:iam::111122223333:user/Bob', username: 'bob', groups: ['dev'] },
      },
    });
    await waitUntil(() => b.current().mapUsers.length === 1);
    expect(b.current().mapUsers[0]).toEqual({
      userarn: 'arn:aws:iam::111122223333:user/bob',
      username: 'bob',
      groups: ['dev'],
    });
    server.setIdentityMapping('bob', { arn: 'arn:aws:iam::111122223333:user/robert', username: 'robert' });
    await waitUntil(() => b.current().mapUsers[0]?.username === 'robert');
    expect(b.current().mapUsers[0]?.userarn).toBe('arn:aws:iam::111122223333:user/robert');
    server.deleteIdentityMapping('bob');
    await waitUntil(() => b.current().mapUsers.length === 0);
  });

  test('a bad ARN is reported and not mapped', async () => {
    server.setIdentityMapping('bad', { arn: 'not-an-arn', username: 'x' });
    const b = await start();
    expect(b.status().issues).toContainEqual(expect.objectContaining({ key: 'bad', severity: 'error' }));
    expect(b.current().mapUsers).toHaveLength(0);
    expect(server.getIdentityMapping('bad')?.['status']).toBeUndefined();
  });

  test('a hand-written status pointing elsewhere is corrected by the controller before it maps', async () => {
    server.setIdentityMapping('carol', { arn: 'arn:aws:iam::111122223333:user/carol', username: 'carol' });
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const obj = server.getIdentityMapping('carol')!;
    await api.replaceClusterCustomObjectStatus({
      ...GVP,
      name: 'carol',
      body: { ...obj, status: { canonicalARN: 'arn:aws:iam::111122223333:user/mallory' } },
    });
    const b = await start();
    await waitUntil(() => b.current().mapUsers.length === 1);
    expect(b.current().mapUsers[0]?.userarn).toBe('arn:aws:iam::111122223333:user/carol');
    expect((server.getIdentityMapping('carol')?.['status'] as { canonicalARN: string }).canonicalARN).toBe(
      'arn:aws:iam::111122223333:user/carol',
    );
  });

  test('status writes that fail are retried', async () => {
    server.setIdentityMapping('dave', { arn: 'arn:aws:iam::111122223333:user/dave', username: 'dave' });
    server.failRequests({ method: 'PUT', path: /\/status$/, count: 2, status: 500 });
    const b = await start();
    await waitUntil(() => b.current().mapUsers.length === 1);
    expect(
      server
        .requests()
        .filter((r) => r.method === 'PUT' && r.path.endsWith('/status'))
        .map((r) => r.status),
    ).toEqual([500, 500, 200]);
  });
});
