import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiTestServer } from '../support/kube-api-server.js';

/** client-node's request types are classes; plain JSON bodies are what the API sends anyway. */
const cmBody = (value: unknown): V1ConfigMap => value as V1ConfigMap;

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function expectApiError(
  promise: Promise<unknown>,
  code: number,
  reason?: string,
): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    const apiError = error as ApiException<unknown>;
    expect(apiError.code).toBe(code);
    const body = (typeof apiError.body === 'string' ? JSON.parse(apiError.body) : apiError.body) as Record<
      string,
      unknown
    >;
    if (reason !== undefined) expect(body['reason']).toBe(reason);
    return body;
  }
  throw new Error(`expected http ${code}`);
}

const ROLES =
  '- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:nodes\n';

describe('kube API test server with @kubernetes/client-node', () => {
  let server: KubeApiTestServer;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeEach(async () => {
    server = await startKubeApiServer({ bookmarkIntervalMs: 50 });
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ token: 'test-token' }));
    core = kc.makeApiClient(CoreV1Api);
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
  });
  afterEach(async () => {
    await server.close();
  });

  test('read, list with resourceVersion, create conflict, and the request log', async () => {
    const cm = await core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
    expect(cm.data?.['mapRoles']).toBe(ROLES);
    expect(cm.metadata?.resourceVersion).toBe(server.resourceVersion());
    const list = await core.listNamespacedConfigMap({
      namespace: 'kube-system',
      fieldSelector: 'metadata.name=aws-auth',
    });
    expect(list.items).toHaveLength(1);
    expect(list.metadata?.resourceVersion).toBe(server.resourceVersion());
    expect(
      (await core.listNamespacedConfigMap({ namespace: 'kube-system', fieldSelector: 'metadata.name=other' }))
        .items,
    ).toHaveLength(0);
    const body = await expectApiError(
      core.createNamespacedConfigMap({
        namespace: 'kube-system',
        body: cmBody({ metadata: { name: 'aws-auth' }, data: {} }),
      }),
      409,
      'AlreadyExists',
    );
    expect(body['message']).toBe('configmaps "aws-auth" already exists');
    await expectApiError(
      core.readNamespacedConfigMap({ name: 'missing', namespace: 'kube-system' }),
      404,
      'NotFound',
    );
    const read = server
      .requests()
      .find((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/kube-system/configmaps/aws-auth');
    expect(read).toMatchObject({ authorization: true, status: 200, watch: false });
    expect(read?.userAgent).not.toBe('');
  });

  test('replace needs the current resourceVersion (409 Conflict on a stale one)', async () => {
    const cm = await core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
    const updated = await core.replaceNamespacedConfigMap({
      name: 'aws-auth',
      namespace: 'kube-system',
      body: cmBody(Object.assign({}, cm, { data: { mapRoles: ROLES, mapUsers: '[]' } })),
    });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(cm.metadata?.resourceVersion));
    const body = await expectApiError(
      core.replaceNamespacedConfigMap({
        name: 'aws-auth',
        namespace: 'kube-system',
        body: cmBody(Object.assign({}, cm, { data: {} })),
      }),
      409,
      'Conflict',
    );
    expect(String(body['message'])).toContain('the object has been modified');
    expect(server.getConfigMap('kube-system', 'aws-auth')?.['data']).toEqual({
      mapRoles: ROLES,
      mapUsers: '[]',
    });
  });

  test('merge, strategic and JSON patches', async () => {
    const ref = { name: 'aws-auth', namespace: 'kube-system' };
    await core.patchNamespacedConfigMap(
      { ...ref, body: { data: { mapAccounts: '- "111122223333"' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      { ...ref, body: { data: { extra: 'x' } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await core.patchNamespacedConfigMap(
      { ...ref, body: [{ op: 'remove', path: '/data/extra' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(server.getConfigMap('kube-system', 'aws-auth')?.['data']).toEqual({
      mapRoles: ROLES,
      mapAccounts: '- "111122223333"',
    });
    await expectApiError(
      core.patchNamespacedConfigMap(
        { ...ref, body: [{ op: 'remove', path: '/data/nothing' }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
      422,
    );
    // A merge patch carrying a stale resourceVersion is an optimistic-concurrency conflict.
    await expectApiError(
      core.patchNamespacedConfigMap(
        { ...ref, body: { metadata: { resourceVersion: '1' }, data: { x: 'y' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      409,
      'Conflict',
    );
  });

  test('validation like the real API: immutable ConfigMaps, non-string data, bad keys', async () => {
    server.setConfigMap('default', 'frozen', { a: '1' }, { immutable: true });
    const ref = { name: 'frozen', namespace: 'default' };
    const body = await expectApiError(
      core.patchNamespacedConfigMap(
        { ...ref, body: { data: { a: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      422,
      'Invalid',
    );
    expect(String(body['message'])).toContain('field is immutable when `immutable` is set');
    // Labels may still change on an immutable ConfigMap.
    await core.patchNamespacedConfigMap(
      { ...ref, body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // aws-auth-missing-bar.yaml: a data value that is a list, not a string, cannot even be decoded.
    await expectApiError(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: cmBody({ metadata: { name: 'bar' }, data: { mapRoles: [{ rolearn: 'x' }] } }),
      }),
      400,
      'BadRequest',
    );
    await expectApiError(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: cmBody({ metadata: { name: 'keys' }, data: { 'bad key': 'x' } }),
      }),
      422,
      'Invalid',
    );
    await expectApiError(
      core.createNamespacedConfigMap({ namespace: 'default', body: cmBody({ metadata: { name: 'Upper' } }) }),
      422,
      'Invalid',
    );
  });

  test('watch from a resourceVersion, bookmarks, 410 after compact, dropWatches ends the stream', async () => {
    const startRv = server.resourceVersion();
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: '[]' });
    const events: { type: string; rv: string | undefined }[] = [];
    let done: unknown = 'open';
    await new Watch(kc).watch(
      '/api/v1/namespaces/kube-system/configmaps',
      { resourceVersion: startRv, allowWatchBookmarks: true, fieldSelector: 'metadata.name=aws-auth' },
      (type: string, obj: V1ConfigMap) => events.push({ type, rv: obj.metadata?.resourceVersion }),
      (err: unknown) => {
        done = err;
      },
    );
    await waitUntil(() => events.some((e) => e.type === 'BOOKMARK'));
    expect(events[0]).toEqual({ type: 'MODIFIED', rv: server.resourceVersion() });
    server.setConfigMap('kube-system', 'other', { a: 'b' });
    server.deleteConfigMap('kube-system', 'aws-auth');
    await waitUntil(() => events.some((e) => e.type === 'DELETED'));
    expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(server.watchCount('configmaps')).toBe(1);
    expect(server.dropWatches()).toBe(1);
    await waitUntil(() => done !== 'open');
    expect(done).toBeNull();

    server.compact();
    const expired: { type: string; code?: number }[] = [];
    let closed = false;
    await new Watch(kc).watch(
      '/api/v1/namespaces/kube-system/configmaps',
      { resourceVersion: startRv },
      (type: string, obj: { code?: number }) =>
        expired.push({ type, ...(obj.code !== undefined ? { code: obj.code } : {}) }),
      () => {
        closed = true;
      },
    );
    await waitUntil(() => closed);
    expect(expired).toEqual([{ type: 'ERROR', code: 410 }]);
  });

  test('makeInformer lists and follows changes, and survives a dropped watch', async () => {
    const informer = makeInformer(kc, '/api/v1/namespaces/kube-system/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'kube-system' }),
    );
    const seen: string[] = [];
    informer.on('add', (obj) => seen.push(`add:${obj.metadata?.name ?? ''}`));
    informer.on('update', (obj) => seen.push(`update:${obj.metadata?.name ?? ''}`));
    informer.on('delete', (obj) => seen.push(`delete:${obj.metadata?.name ?? ''}`));
    await informer.start();
    await server.waitForWatches(1);
    server.setConfigMap('kube-system', 'aws-auth', { mapUsers: '[]' });
    await waitUntil(() => seen.includes('update:aws-auth'));
    server.dropWatches();
    server.setConfigMap('kube-system', 'second', {});
    await waitUntil(() => seen.includes('add:second'));
    server.deleteConfigMap('kube-system', 'second');
    await waitUntil(() => seen.includes('delete:second'));
    expect(seen).toEqual(['add:aws-auth', 'update:aws-auth', 'add:second', 'delete:second']);
    await informer.stop();
  });

  test('IAMIdentityMapping: cluster-scoped, status subresource, schema checks', async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const gvp = { group: 'iamauthenticator.k8s.aws', version: 'v1alpha1', plural: 'iamidentitymappings' };
    const created = (await api.createClusterCustomObject({
      ...gvp,
      body: {
        apiVersion: 'iamauthenticator.k8s.aws/v1alpha1',
        kind: 'IAMIdentityMapping',
        metadata: { name: 'alice' },
        spec: { arn: 'arn:aws:iam::111122223333:user/alice', username: 'alice', groups: ['dev'] },
        status: { canonicalARN: 'ignored-on-create' },
      },
    })) as { status?: unknown; metadata: { resourceVersion: string } };
    expect(created.status).toBeUndefined();
    const withStatus = (await api.replaceClusterCustomObjectStatus({
      ...gvp,
      name: 'alice',
      body: {
        ...created,
        spec: { arn: 'changed', username: 'x' },
        status: { canonicalARN: 'arn:aws:iam::111122223333:user/alice' },
      },
    })) as { spec: { arn: string }; status: { canonicalARN: string } };
    expect(withStatus.spec.arn).toBe('arn:aws:iam::111122223333:user/alice');
    expect(withStatus.status.canonicalARN).toBe('arn:aws:iam::111122223333:user/alice');
    const mainWrite = (await api.replaceClusterCustomObject({
      ...gvp,
      name: 'alice',
      body: { ...withStatus, spec: { ...withStatus.spec, username: 'alice2' }, status: {} },
    })) as { spec: { username: string }; status: { canonicalARN: string } };
    expect(mainWrite.spec.username).toBe('alice2');
    expect(mainWrite.status.canonicalARN).toBe('arn:aws:iam::111122223333:user/alice');
    const body = await expectApiError(
      api.createClusterCustomObject({
        ...gvp,
        body: {
          apiVersion: 'iamauthenticator.k8s.aws/v1alpha1',
          kind: 'IAMIdentityMapping',
          metadata: { name: 'bad' },
          spec: { username: 'x' },
        },
      }),
      422,
      'Invalid',
    );
    expect(String(body['message'])).toContain('spec.arn: Required value');
    const deleted = (await api.deleteClusterCustomObject({ ...gvp, name: 'alice' })) as {
      metadata: { name: string };
    };
    expect(deleted.metadata.name).toBe('alice');
    expect(server.getIdentityMapping('alice')).toBeUndefined();
  });

  test('failRequests injects errors for matching requests only', async () => {
    server.failRequests({ status: 503, count: 1, method: 'GET', path: /aws-auth$/ });
    await expectApiError(core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' }), 503);
    await core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
  });
});

describe('kube API test server with the real kubectl', () => {
  let server: KubeApiTestServer;
  let dir: string;
  let kubectl: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    server = await startKubeApiServer();
    dir = await mkdtemp(join(tmpdir(), 'kube-api-server-'));
    await writeFile(join(dir, 'kubeconfig'), server.kubeconfig());
    // stdin must be closed: this machine's kubectl wrapper waits for EOF on a piped stdin.
    kubectl = (...args) =>
      new Promise((resolve, reject) => {
        const child = execFile(
          'kubectl',
          ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
          { env: { ...process.env, KUBE_EDITOR: join(dir, 'editor.sh'), HOME: dir }, timeout: 20_000 },
          (error, stdout, stderr) => {
            if (error !== null) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr}`));
            else resolve(stdout);
          },
        );
        child.stdin?.end();
      });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const manifest = (role: string): string =>
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: aws-auth',
      '  namespace: kube-system',
      'data:',
      '  mapRoles: |',
      `    - rolearn: arn:aws:iam::111122223333:role/${role}`,
      `      username: ${role}`,
      '',
    ].join('\n');

  test('apply, get -o yaml, replace, edit, patch, get table, delete', async () => {
    await writeFile(join(dir, 'cm.yaml'), manifest('applied'));
    expect(await kubectl('apply', '-f', join(dir, 'cm.yaml'))).toContain('configmap/aws-auth created');
    expect(await kubectl('apply', '-f', join(dir, 'cm.yaml'))).toContain('configmap/aws-auth unchanged');
    const got = parseYaml(
      await kubectl('get', 'cm', '-n', 'kube-system', 'aws-auth', '-o', 'yaml'),
    ) as V1ConfigMap;
    expect(got.data?.['mapRoles']).toContain('role/applied');
    expect(got.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      'applied',
    );

    await writeFile(join(dir, 'cm2.yaml'), manifest('replaced'));
    expect(await kubectl('replace', '-f', join(dir, 'cm2.yaml'))).toContain('configmap/aws-auth replaced');
    expect(server.getConfigMap('kube-system', 'aws-auth')?.['data']).toEqual({
      mapRoles: expect.stringContaining('role/replaced') as unknown,
    });

    await writeFile(join(dir, 'editor.sh'), '#!/bin/sh\nsed -i "s/replaced/edited/g" "$1"\n');
    await chmod(join(dir, 'editor.sh'), 0o755);
    expect(await kubectl('edit', 'cm', '-n', 'kube-system', 'aws-auth')).toContain(
      'configmap/aws-auth edited',
    );
    expect(JSON.stringify(server.getConfigMap('kube-system', 'aws-auth')?.['data'])).toContain('role/edited');

    await kubectl(
      'patch',
      'cm',
      '-n',
      'kube-system',
      'aws-auth',
      '--type',
      'merge',
      '-p',
      '{"data":{"mapAccounts":"- \\"111122223333\\""}}',
    );
    await kubectl('patch', 'cm', '-n', 'kube-system', 'aws-auth', '-p', '{"data":{"x":"y"}}');
    await kubectl(
      'patch',
      'cm',
      '-n',
      'kube-system',
      'aws-auth',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/data/x"}]',
    );
    const json = JSON.parse(
      await kubectl('get', 'cm', '-n', 'kube-system', 'aws-auth', '-o', 'json'),
    ) as V1ConfigMap;
    expect(Object.keys(json.data ?? {}).sort()).toEqual(['mapAccounts', 'mapRoles']);

    const table = await kubectl('get', 'cm', '-n', 'kube-system');
    expect(table).toMatch(/NAME\s+DATA\s+AGE/);
    expect(table).toMatch(/aws-auth\s+2\s+/);

    expect(server.requests().filter((r) => r.userAgent.startsWith('kubectl')).length).toBeGreaterThan(5);
    expect(await kubectl('delete', 'cm', '-n', 'kube-system', 'aws-auth')).toContain(
      'configmap "aws-auth" deleted',
    );
    expect(server.getConfigMap('kube-system', 'aws-auth')).toBeUndefined();
  });

  test('a refused edit (immutable ConfigMap) exits non-zero and changes nothing', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: '[]' }, { immutable: true });
    await writeFile(join(dir, 'editor.sh'), '#!/bin/sh\nsed -i "s/\\[\\]/[{}]/" "$1"\n');
    await expect(kubectl('edit', 'cm', '-n', 'kube-system', 'aws-auth')).rejects.toThrow(
      /configmaps "aws-auth" is invalid/,
    );
    expect(server.getConfigMap('kube-system', 'aws-auth')?.['data']).toEqual({ mapRoles: '[]' });
  });

  test('the CRD and example manifests in deploy/crd apply, and IAMIdentityMappings list', async () => {
    const crdDir = join(process.cwd(), 'deploy', 'crd');
    await kubectl('apply', '-f', join(crdDir, 'iamidentitymapping.yaml'));
    await kubectl('apply', '-f', join(crdDir, 'example-iamidentitymapping.yaml'));
    const list = JSON.parse(await kubectl('get', 'iamidentitymappings', '-o', 'json')) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name)).toContain('kubernetes-admin');
    const text = await readFile(join(crdDir, 'example-iamidentitymapping.yaml'), 'utf8');
    expect(text).toContain('kind: IAMIdentityMapping');
  });
});
