/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unnecessary-condition --
   Manifests are untyped YAML walked as `any`: the expectations below are the type checks. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { VERSION } from '@iam-authenticator/core';
import { CLIENT_CA_FILE, resolveServerConfig } from '@iam-authenticator/server';

// deploy/ cannot rot: every manifest is parsed here and checked against the code's defaults.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? yamlFiles(join(dir, entry.name))
      : entry.name.endsWith('.yaml')
        ? [join(dir, entry.name)]
        : [],
  );
}

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: not YAML`);
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? ''}`);
  }
  return docs.map((doc) => doc.toJS() as Doc).filter((doc) => doc !== null);
}

const KNOWN_KINDS: Record<string, string[]> = {
  v1: ['ServiceAccount', 'ConfigMap', 'Namespace'],
  'apps/v1': ['DaemonSet'],
  'rbac.authorization.k8s.io/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'apiextensions.k8s.io/v1': ['CustomResourceDefinition'],
  'iamauthenticator.k8s.aws/v1alpha1': ['IAMIdentityMapping'],
  'kubeadm.k8s.io/v1beta3': ['ClusterConfiguration'],
  'kops.k8s.io/v1alpha2': ['Cluster'],
};

const manifests = yamlFiles(DEPLOY).filter((file) => !file.endsWith('static-pod-patch.yaml'));
const all = manifests.flatMap((file) => load(file).map((doc) => ({ file: relative(ROOT, file), doc })));
const byKind = (kind: string): Doc[] => all.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc);
function one(kind: string): Doc {
  const [doc] = byKind(kind);
  if (doc === undefined) throw new Error(`deploy/ has no ${kind}`);
  return doc;
}

describe('deploy/ manifests', () => {
  it('are valid YAML with known apiVersions and kinds', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const { file, doc } of all) {
      expect({
        file,
        known: KNOWN_KINDS[doc.apiVersion as string]?.includes(doc.kind as string) ?? false,
      }).toEqual({
        file,
        known: true,
      });
      // kubeadm's ClusterConfiguration is a config file, not an API object: it has no metadata.
      if (doc.kind !== 'ClusterConfiguration')
        expect({ file, name: typeof doc.metadata?.name }).toEqual({ file, name: 'string' });
    }
  });

  it('run the DaemonSet on control-plane nodes, on loopback, hardened', () => {
    const ds = one('DaemonSet');
    const pod = ds.spec.template.spec;
    expect(ds.spec.selector.matchLabels).toEqual(ds.spec.template.metadata.labels);
    expect(pod.hostNetwork).toBe(true);
    expect(Object.keys(pod.nodeSelector)).toContain('node-role.kubernetes.io/control-plane');
    expect(pod.tolerations.map((t: Doc) => t.key)).toContain('node-role.kubernetes.io/control-plane');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toHaveProperty('cpu');
    expect(container.resources.requests).toHaveProperty('memory');
    // The image tag is the released version; the ports are the code's defaults (reference: 21362 TLS, 21363 health).
    expect(container.image).toMatch(new RegExp(`:${VERSION.replace(/\./g, '\\.')}$`));
    const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
    expect(ports).toEqual({ webhook: 21362, health: 21363 });
    expect(container.livenessProbe.httpGet.port).toBe(21363);
    expect(container.readinessProbe.httpGet.port).toBe(21363);
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    // Every mount names a volume, every hostPath is a directory the apiserver snippets use too.
    const volumes = new Map(pod.volumes.map((v: Doc) => [v.name, v]));
    for (const mount of container.volumeMounts) expect(volumes.has(mount.name)).toBe(true);
    const configMount = container.volumeMounts.find((m: Doc) => m.name === 'config');
    const configArg = container.args.find((a: string) => a.startsWith('--config='));
    expect(configArg).toBe(`--config=${configMount.mountPath}/config.yaml`);
  });

  it('ship a server config in the reference format whose paths match the DaemonSet mounts', () => {
    const configMap = byKind('ConfigMap').find((doc) => doc.metadata.name === 'iam-authenticator');
    const config = parseYaml(configMap?.data['config.yaml'] as string) as Doc;
    expect(config.clusterID).toEqual(expect.any(String));
    expect(config.server.port).toBe(21362);
    expect(config.server.address).toBe('127.0.0.1');
    expect(config.server.backendMode).toEqual(['MountedFile', 'EKSConfigMap']);
    const pod = one('DaemonSet').spec.template.spec;
    const mountPaths = pod.containers[0].volumeMounts.map((m: Doc) => m.mountPath);
    expect(mountPaths).toContain(config.server.stateDir);
    expect(mountPaths).toContain(config.server.generateKubeconfig.replace(/\/[^/]+$/, ''));
    // The server's own config resolver accepts the file as shipped.
    const resolved = resolveServerConfig(config, {}, {});
    expect(resolved.problems).toEqual([]);
    expect(resolved.config?.port).toBe(21362);
    expect(resolved.config?.healthPort).toBe(21363);
    // mTLS is on, with the CA file `init --client-cert` writes into the state dir.
    expect(config.server.clientCA).toBe(`${config.server.stateDir}/${CLIENT_CA_FILE}`);
    for (const role of config.server.mapRoles) expect(role.rolearn ?? role.sso).toBeDefined();
    // Account IDs are quoted so YAML keeps them as text (leading zeros).
    for (const account of config.server.mapAccounts) expect(typeof account).toBe('string');
  });

  it('grant the server only what the ConfigMap backend calls: get/list/watch on kube-system/aws-auth', () => {
    const role = one('Role');
    expect(role.metadata.namespace).toBe('kube-system');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['aws-auth'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = one('RoleBinding');
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects[0].name).toBe(one('ServiceAccount').metadata.name);
    const crdRole = one('ClusterRole');
    expect(crdRole.rules.flatMap((r: Doc) => r.verbs)).not.toContain('delete');
    expect(crdRole.rules.flatMap((r: Doc) => r.verbs)).not.toContain('create');
  });

  it('point kube-apiserver at the kubeconfig path the server writes, in every snippet', () => {
    const kubeconfigPath = '/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml';
    const kubeadm = one('ClusterConfiguration');
    expect(kubeadm.apiServer.extraArgs['authentication-token-webhook-config-file']).toBe(kubeconfigPath);
    expect(kubeadm.apiServer.extraArgs['authentication-token-webhook-version']).toMatch(/^v1(beta1)?$/);
    const kops = one('Cluster');
    expect(kops.spec.kubeAPIServer.authenticationTokenWebhookConfigFile).toBe(kubeconfigPath);
  });

  it('patch a kube-apiserver static pod with the real kubectl, keeping its other flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'static-pod-'));
    const manifest = join(dir, 'kube-apiserver.yaml');
    writeFileSync(
      manifest,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: kube-apiserver, namespace: kube-system}',
        'spec:',
        '  containers:',
        '  - name: kube-apiserver',
        '    image: registry.k8s.io/kube-apiserver:v1.32.0',
        '    command: [kube-apiserver, --secure-port=6443]',
        '    volumeMounts: [{name: certs, mountPath: /etc/kubernetes/pki}]',
        '  volumes: [{name: certs, hostPath: {path: /etc/kubernetes/pki}}]',
        '',
      ].join('\n'),
    );
    const out = execFileSync(
      'kubectl',
      [
        'patch',
        '--local',
        '-f',
        manifest,
        '--type',
        'json',
        '--patch-file',
        join(DEPLOY, 'apiserver/static-pod-patch.yaml'),
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    const pod = JSON.parse(out) as Doc;
    const command = pod.spec.containers[0].command as string[];
    expect(command.slice(0, 2)).toEqual(['kube-apiserver', '--secure-port=6443']);
    expect(command).toContain(
      '--authentication-token-webhook-config-file=/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml',
    );
    expect(pod.spec.volumes.map((v: Doc) => v.name)).toEqual(['certs', 'iam-authenticator-kubeconfig']);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

  it('is multi-stage on a pinned Node 20 slim base, installs runtime deps only and runs as non-root', () => {
    const froms = lines.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20\.\d+\.\d+-[a-z]+-slim AS \w+$/);
    expect(lines.some((line) => /npm ci .*--omit=dev/.test(line))).toBe(true);
    const user = lines.filter((line) => line.startsWith('USER ')).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/\broot\b|^USER 0\b/);
    const entrypoint = JSON.parse(
      lines.find((line) => line.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length),
    ) as string[];
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint[1]).toBe('/app/packages/cli/bin/iam-authenticator.js');
  });

  it('copies only paths that exist (sources in the repo, build outputs after npm run build)', () => {
    const copies = lines.filter((line) => line.startsWith('COPY '));
    expect(copies.length).toBeGreaterThan(5);
    for (const copy of copies) {
      const parts = copy.split(/\s+/).slice(1);
      const fromBuild = parts[0]?.startsWith('--from=') === true;
      const sources = parts.filter((part) => !part.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        const path = fromBuild ? join(ROOT, source.replace(/^\/src\//, '')) : join(ROOT, source);
        expect({ copy, source, exists: existsSync(path) }).toEqual({ copy, source, exists: true });
      }
    }
  });

  it('has a .dockerignore that keeps node_modules and build output out of the context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/node_modules/);
    expect(ignore).toMatch(/dist/);
  });
});

describe('deploy/ RBAC against the real ConfigMap backend', () => {
  it('authorises every request the EKSConfigMap backend makes, and nothing broader is needed', async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const { createConfigMapBackend } = await import('@iam-authenticator/mapping/kube');
    const { startKubeApiServer } = await import('../support/index.js');
    const server = await startKubeApiServer();
    try {
      server.setConfigMap('kube-system', 'aws-auth', {
        mapUsers: '- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n',
      });
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(server.kubeconfig());
      const backend = createConfigMapBackend({ kubeConfig, resyncIntervalMs: 0 });
      await backend.start();
      await server.waitForWatches(1);
      // A dropped watch makes the backend reconnect: those calls must be allowed too.
      server.dropWatches();
      await server.waitForWatches(1);
      await backend.stop();
      expect(backend.status().synced).toBe(true);

      const [rule] = one('Role').rules as Doc[];
      const requests = server
        .requests()
        .filter((r) => !r.path.startsWith('/openapi') && r.path !== '/version');
      expect(requests.length).toBeGreaterThanOrEqual(3);
      for (const request of requests) {
        const match = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(request.path);
        expect({ path: request.path, isConfigMap: match !== null }).toEqual({
          path: request.path,
          isConfigMap: true,
        });
        const [, namespace, name] = match!;
        const fieldName = /(?:^|&)fieldSelector=metadata\.name(?:%3D|=)([^&]+)/.exec(request.query)?.[1];
        const verb =
          request.method !== 'GET'
            ? request.method.toLowerCase()
            : request.watch
              ? 'watch'
              : name !== undefined
                ? 'get'
                : 'list';
        // RBAC checks list/watch against resourceNames only through a metadata.name field selector.
        const object = name ?? (fieldName === undefined ? undefined : decodeURIComponent(fieldName));
        expect({
          request: `${request.method} ${request.path}?${request.query}`,
          namespace,
          verb,
          object,
        }).toEqual({
          request: `${request.method} ${request.path}?${request.query}`,
          namespace: one('Role').metadata.namespace,
          verb: expect.stringMatching(new RegExp(`^(${(rule?.verbs as string[]).join('|')})$`)),
          object: rule?.resourceNames[0],
        });
      }
    } finally {
      await server.close();
    }
  });
});
