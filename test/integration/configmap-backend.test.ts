import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { Logger } from '@iam-authenticator/core';
import { createMappingMetrics } from '@iam-authenticator/mapping';
import { createConfigMapBackend } from '@iam-authenticator/mapping/kube';
import type { MappingBackend } from '@iam-authenticator/mapping';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiTestServer } from '../support/kube-api-server.js';

const NODE_ROLE = 'arn:aws:iam::111122223333:role/nodes';
const ROLES = `- rolearn: ${NODE_ROLE}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n`;
const USERS =
  '- userarn: arn:aws:iam::111122223333:user/admin\n  username: admin\n  groups:\n  - system:masters\n';
const ACCOUNTS = '- "111122223333"\n';

async function waitUntil(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function captureLogger(lines: { level: string; fields: Record<string, unknown>; message: string }[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (fields, message) => lines.push({ level: 'debug', fields: { ...bindings, ...fields }, message }),
    info: (fields, message) => lines.push({ level: 'info', fields: { ...bindings, ...fields }, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields: { ...bindings, ...fields }, message }),
    error: (fields, message) => lines.push({ level: 'error', fields: { ...bindings, ...fields }, message }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}

describe('EKSConfigMap backend against the kube API test server', () => {
  let server: KubeApiTestServer;
  let kubeConfig: KubeConfig;
  let backend: MappingBackend | undefined;
  let registry: Registry;
  let logs: { level: string; fields: Record<string, unknown>; message: string }[];

  beforeEach(async () => {
    server = await startKubeApiServer();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server.kubeconfig());
    registry = new Registry();
    logs = [];
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await server.close();
  });

  const start = async (
    extra: { keepOnDelete?: boolean; resyncIntervalMs?: number } = {},
  ): Promise<MappingBackend> => {
    backend = createConfigMapBackend({
      kubeConfig,
      logger: captureLogger(logs),
      metrics: createMappingMetrics(registry),
      backoff: { initialMs: 20, maxMs: 200 },
      ...extra,
    });
    await backend.start();
    return backend;
  };

  const metric = async (name: string): Promise<number> => {
    const json = await registry.getMetricsAsJSON();
    const found = json.find((m) => m.name === name);
    return (found?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };

  test('initial sync: mappings, healthy status, list then watch by field selector', async () => {
    server.setConfigMap('kube-system', 'aws-auth', {
      mapRoles: ROLES,
      mapUsers: USERS,
      mapAccounts: ACCOUNTS,
    });
    const b = await start();
    expect(b.name).toBe('EKSConfigMap');
    expect(b.current().mapRoles).toEqual([
      {
        rolearn: NODE_ROLE,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes'],
      },
    ]);
    expect(b.current().mapUsers.map((u) => u.username)).toEqual(['admin']);
    expect(b.current().mapAccounts).toEqual(['111122223333']);
    const status = b.status();
    expect(status).toMatchObject({
      name: 'EKSConfigMap',
      synced: true,
      counts: { roles: 1, users: 1, accounts: 1 },
      issues: [],
    });
    expect(status.lastSyncTime).toBeInstanceOf(Date);
    expect(status.lastError).toBeUndefined();
    await server.waitForWatches(1);
    const requests = server.requests();
    const list = requests.find((r) => !r.watch && r.path === '/api/v1/namespaces/kube-system/configmaps');
    const watch = requests.find((r) => r.watch);
    expect(decodeURIComponent(list?.query ?? '')).toContain('fieldSelector=metadata.name=aws-auth');
    const watchQuery = new URLSearchParams(watch?.query ?? '');
    expect(watchQuery.get('fieldSelector')).toBe('metadata.name=aws-auth');
    expect(watchQuery.get('resourceVersion')).toBe(server.resourceVersion());
    expect(await metric('aws_iam_authenticator_configmap_watch_failures_total')).toBe(0);
  });

  test('a missing ConfigMap syncs to empty; its creation is picked up', async () => {
    const b = await start();
    expect(b.status().synced).toBe(true);
    expect(b.current().mapRoles).toHaveLength(0);
    await server.waitForWatches(1);
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    await waitUntil(() => b.current().mapRoles.length === 1);
  });

  test('an edit is seen within 2 s, and each change replaces the snapshot', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    const b = await start();
    const before = b.current();
    await server.waitForWatches(1);
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapUsers: USERS });
    await waitUntil(() => b.current().mapUsers.length === 1, 2000);
    expect(b.current()).not.toBe(before);
    expect(before.mapUsers).toHaveLength(0);
    expect(Object.isFrozen(b.current())).toBe(true);
  });

  test('a broken mapRoles keeps the previous roles while mapUsers updates (difference 5)', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    const b = await start();
    await server.waitForWatches(1);
    // A tab-indented edit: the whole mapRoles text fails to parse.
    server.setConfigMap('kube-system', 'aws-auth', {
      mapRoles: `- rolearn: ${NODE_ROLE}\n\tusername: broken\n`,
      mapUsers: USERS,
    });
    await waitUntil(() => b.current().mapUsers.length === 1);
    expect(b.current().mapRoles.map((r) => r.rolearn)).toEqual([NODE_ROLE]);
    const issues = b.status().issues;
    expect(issues).toContainEqual(
      expect.objectContaining({
        key: 'mapRoles',
        severity: 'warning',
        message: expect.stringContaining('keeping its 1 mapping(s)') as unknown,
      }),
    );
    expect(await metric('aws_iam_authenticator_mapping_parse_failures_total')).toBe(1);
    const warn = logs.find(
      (l) => l.level === 'warn' && l.message === 'aws-auth configmap loaded with issues',
    );
    expect(warn?.fields['failedKeys']).toEqual(['mapRoles']);
    expect(String(warn?.fields['issues'])).toContain('mapRoles');

    // One entry failing validation is dropped alone; the key parses, so it becomes the new last good state.
    server.setConfigMap('kube-system', 'aws-auth', {
      mapRoles: `${ROLES}- username: no-arn\n`,
      mapUsers: USERS,
    });
    await waitUntil(() => !b.status().issues.some((i) => i.message.includes('keeping')));
    expect(b.current().mapRoles.map((r) => r.rolearn)).toEqual([NODE_ROLE]);
    expect(b.status().issues.some((i) => i.key === 'mapRoles' && i.index === 1)).toBe(true);
  });

  test('a dropped watch resumes from its resourceVersion without losing an edit made while it was down', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    const b = await start();
    await server.waitForWatches(1);
    server.failRequests({ watch: true, count: 2, status: 503 });
    server.dropWatches({ abrupt: true });
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapUsers: USERS });
    await waitUntil(() => b.current().mapUsers.length === 1);
    expect(await metric('aws_iam_authenticator_configmap_watch_failures_total')).toBeGreaterThanOrEqual(2);
    // Resumed by watching from the last version: no second list was needed.
    expect(server.requests().filter((r) => !r.watch && r.path.endsWith('/configmaps'))).toHaveLength(1);
    expect(b.status().synced).toBe(true);
  });

  test('410 Gone on the watch triggers a re-list', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    const b = await start();
    await server.waitForWatches(1);
    server.dropWatches();
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapUsers: USERS });
    server.compact();
    await waitUntil(() => b.current().mapUsers.length === 1);
    const lists = server.requests().filter((r) => !r.watch && r.path.endsWith('/configmaps'));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => l.message === 'watch resource version expired; listing again')).toBe(true);
  });

  test('a failing first list leaves the backend unsynced, then it syncs with backoff', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    server.failRequests({ watch: false, count: 2, status: 500 });
    const b = await start();
    expect(b.status().synced).toBe(false);
    expect(b.status().lastError).toContain('500');
    await waitUntil(() => b.status().synced);
    expect(b.current().mapRoles).toHaveLength(1);
    expect(b.status().lastError).toBeUndefined();
    expect(await metric('aws_iam_authenticator_configmap_watch_failures_total')).toBe(2);
  });

  test('deleting the ConfigMap clears the mappings', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapUsers: USERS });
    const b = await start();
    await server.waitForWatches(1);
    server.deleteConfigMap('kube-system', 'aws-auth');
    await waitUntil(() => b.current().mapRoles.length === 0);
    expect(b.current().mapUsers).toHaveLength(0);
    expect(b.status().issues[0]?.message).toContain('was deleted');
  });

  test('keepOnDelete keeps the last mappings when the ConfigMap is deleted', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapUsers: USERS });
    const b = await start({ keepOnDelete: true });
    await server.waitForWatches(1);
    server.deleteConfigMap('kube-system', 'aws-auth');
    await waitUntil(() => b.status().issues.length > 0);
    expect(b.current().mapRoles).toHaveLength(1);
    expect(b.current().mapUsers).toHaveLength(1);
    expect(b.status().issues[0]?.message).toContain('keepOnDelete');
  });

  test('periodic resync lists again', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    await start({ resyncIntervalMs: 100 });
    await waitUntil(
      () => server.requests().filter((r) => !r.watch && r.path.endsWith('/configmaps')).length >= 3,
    );
  });

  test('other ConfigMaps and other namespaces are ignored', async () => {
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES });
    const b = await start();
    await server.waitForWatches(1);
    server.setConfigMap('kube-system', 'not-aws-auth', { mapUsers: USERS });
    server.setConfigMap('default', 'aws-auth', { mapUsers: USERS });
    server.setConfigMap('kube-system', 'aws-auth', { mapRoles: ROLES, mapAccounts: ACCOUNTS });
    await waitUntil(() => b.current().mapAccounts.length === 1);
    expect(b.current().mapUsers).toHaveLength(0);
  });
});
