import { AuthError, quote } from '@iam-authenticator/core';
import { ApiException, CoreV1Api, KubeConfig, V1ConfigMap, V1ObjectMeta } from '@kubernetes/client-node';

/** client-node's models are classes; build them as such. */
function configMap(fields: Partial<V1ConfigMap>, base?: V1ConfigMap): V1ConfigMap {
  return Object.assign(new V1ConfigMap(), base, fields);
}

function objectMeta(fields: Partial<V1ObjectMeta>): V1ObjectMeta {
  return Object.assign(new V1ObjectMeta(), fields);
}
import { addHistory, decodeHistory, encodeEntry, historyKey } from './history-model.js';
import type { AwsAuthData } from './plan-edit.js';
import { EditConflictError, HISTORY_KEEP } from './store.js';
import type { AwsAuthSnapshot, AwsAuthStore, HistoryEntry, HistoryStore } from './store.js';

export interface KubeConnectOptions {
  /** --kubeconfig; else the first path of KUBECONFIG; else ~/.kube/config or in-cluster. */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** `--master-url`: overrides the current cluster's server URL (reference `add`). */
  readonly server?: string;
  /** The environment to read KUBECONFIG from (the CLI passes its io.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * eksctl's `--cluster` / `--region`: the cluster the user means. The kubeconfig's selected cluster
   * must be it (by the names `aws eks update-kubeconfig` and eksctl write), or nothing is touched.
   */
  readonly expect?: { readonly cluster?: string; readonly region?: string };
}

/**
 * Whether the kubeconfig's cluster (and context) names are those of EKS cluster `name` (in `region`):
 * `arn:aws:eks:<region>:<account>:cluster/<name>` (aws eks update-kubeconfig), `<name>.<region>.eksctl.io`
 * (eksctl), or the plain name. A region is checked only where the names carry one.
 */
export function namesEksCluster(
  names: readonly string[],
  name: string | undefined,
  region: string | undefined,
): boolean {
  const parsed = names.map((candidate) => {
    const arn = /^arn:[^:]+:eks:([^:]*):[^:]*:cluster\/(.+)$/.exec(candidate);
    if (arn !== null) return { name: arn[2], region: arn[1] };
    const eksctl = /^(?:[^@]*@)?(.+)\.([a-z0-9-]+)\.eksctl\.io$/.exec(candidate);
    if (eksctl !== null) return { name: eksctl[1], region: eksctl[2] };
    return { name: candidate, region: undefined };
  });
  const regional = parsed.filter((entry) => entry.region !== undefined);
  if (region !== undefined && regional.length > 0 && !regional.some((entry) => entry.region === region)) {
    return false;
  }
  if (name === undefined) return true;
  return parsed.some(
    (entry) =>
      entry.name === name && (region === undefined || entry.region === undefined || entry.region === region),
  );
}

/** Loads a kubeconfig the way kubectl does (flag > KUBECONFIG > default) and builds a CoreV1 client. */
export function connectCoreV1(options: KubeConnectOptions): CoreV1Api {
  const config = new KubeConfig();
  const fromEnv = options.env?.KUBECONFIG?.split(':').find((path) => path !== '');
  const path = options.kubeconfig ?? fromEnv;
  try {
    if (path !== undefined) config.loadFromFile(path);
    else config.loadFromDefault();
    if (options.context !== undefined) config.setCurrentContext(options.context);
  } catch (error) {
    throw new AuthError(
      'kube_api_error',
      `cannot load the kubeconfig${path === undefined ? '' : ` ${quote(path)}`}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (options.context !== undefined && config.getContextObject(options.context) === null) {
    throw new AuthError('usage_error', `context ${quote(options.context)} is not in the kubeconfig`);
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) {
    throw new AuthError(
      'kube_api_error',
      'the kubeconfig names no current cluster (give --kubeconfig or --context)',
    );
  }
  const wanted = options.expect;
  if (wanted !== undefined && (wanted.cluster !== undefined || wanted.region !== undefined)) {
    const names = [cluster.name, config.getCurrentContext()];
    if (!namesEksCluster(names, wanted.cluster, wanted.region)) {
      const what = [
        wanted.cluster === undefined ? undefined : `--cluster ${quote(wanted.cluster)}`,
        wanted.region === undefined ? undefined : `--region ${quote(wanted.region)}`,
      ]
        .filter((part) => part !== undefined)
        .join(' ');
      throw new AuthError(
        'usage_error',
        `${what} does not match the kubeconfig's cluster ${quote(cluster.name, 120)} (context ${quote(config.getCurrentContext(), 120)}); nothing was changed: pick the cluster with --context`,
      );
    }
  }
  const server = options.server;
  if (server !== undefined) {
    config.loadFromOptions({
      clusters: config.clusters.map((item) => (item.name === cluster.name ? { ...item, server } : item)),
      users: config.users,
      contexts: config.contexts,
      currentContext: config.getCurrentContext(),
    });
  }
  return config.makeApiClient(CoreV1Api);
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

function apiError(action: string, error: unknown): AuthError {
  const code = statusOf(error);
  let detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    const message =
      typeof body === 'string'
        ? (() => {
            try {
              return (JSON.parse(body) as { message?: string }).message;
            } catch {
              return body;
            }
          })()
        : (body as { message?: string } | undefined)?.message;
    detail = `HTTP ${code ?? '?'}${message ? `: ${message}` : ''}`;
  }
  return new AuthError('kube_api_error', `${action} failed: ${detail}`, { cause: error });
}

async function readConfigMap(
  api: CoreV1Api,
  namespace: string,
  name: string,
): Promise<V1ConfigMap | undefined> {
  try {
    return await api.readNamespacedConfigMap({ name, namespace });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw apiError(`reading configmap ${namespace}/${name}`, error);
  }
}

export interface KubeStoreOptions {
  readonly api: CoreV1Api;
  readonly namespace: string;
  readonly name: string;
}

/** aws-auth in the cluster: GET, then PUT with the read resourceVersion (409 → EditConflictError). */
export function createKubeStore(options: KubeStoreOptions): AwsAuthStore {
  const { api, namespace, name } = options;
  const objects = new Map<string, V1ConfigMap>();
  const description = `configmap ${namespace}/${name}`;
  return {
    description,
    async read(): Promise<AwsAuthSnapshot> {
      const object = await readConfigMap(api, namespace, name);
      if (object === undefined) return { exists: false, data: {}, immutable: false };
      const version = object.metadata?.resourceVersion;
      if (version !== undefined) objects.set(version, object);
      return {
        exists: true,
        data: { ...(object.data ?? {}) },
        immutable: object.immutable === true,
        ...(version === undefined ? {} : { version }),
      };
    },
    async write(previous: AwsAuthSnapshot, data: AwsAuthData): Promise<void> {
      const object = previous.version === undefined ? undefined : objects.get(previous.version);
      if (object === undefined) throw new AuthError('internal_error', 'write without a read object');
      // The read object (labels, annotations, binaryData, resourceVersion) with only .data replaced.
      const body = configMap({ data: { ...data } }, object);
      try {
        await api.replaceNamespacedConfigMap({ name, namespace, body });
      } catch (error) {
        if (statusOf(error) === 409) throw new EditConflictError(`${description} changed since it was read`);
        if (statusOf(error) === 422 && object.immutable === true) {
          throw new AuthError('mapping_refused', `${description} is immutable`);
        }
        throw apiError(`updating ${description}`, error);
      }
    },
    async create(data: AwsAuthData): Promise<void> {
      try {
        await api.createNamespacedConfigMap({
          namespace,
          body: configMap({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: objectMeta({ name, namespace }),
            data: { ...data },
          }),
        });
      } catch (error) {
        if (statusOf(error) === 409) throw new EditConflictError(`${description} was created meanwhile`);
        throw apiError(`creating ${description}`, error);
      }
    },
  };
}

/** The history ConfigMap's budget for its data: under the 1 MiB object limit, with room for keys and metadata. */
const HISTORY_MAX_BYTES = 900 * 1024;

/** Previous versions in a ConfigMap (default `aws-auth-history`) beside aws-auth, the last `keep`. */
export function createConfigMapHistoryStore(
  options: KubeStoreOptions & { readonly keep?: number },
): HistoryStore {
  const { api, namespace, name } = options;
  const keep = options.keep ?? HISTORY_KEEP;
  return {
    description: `configmap ${namespace}/${name}`,
    async list(): Promise<HistoryEntry[]> {
      const object = await readConfigMap(api, namespace, name);
      return decodeHistory(object?.data ?? {});
    },
    async save(entry: Omit<HistoryEntry, 'seq'>): Promise<number> {
      for (let attempt = 0; attempt < 30; attempt++) {
        const object = await readConfigMap(api, namespace, name);
        const existing = decodeHistory(object?.data ?? {});
        // Versions of a large aws-auth: as many as fit a ConfigMap (1 MiB), at most `keep`.
        const next = addHistory(existing, entry, keep, HISTORY_MAX_BYTES);
        if (existing.some((item) => item.seq === next.seq)) return next.seq;
        const data: Record<string, string> = {};
        for (const item of next.entries) data[historyKey(item.seq)] = encodeEntry(item);
        try {
          if (object === undefined) {
            await api.createNamespacedConfigMap({
              namespace,
              body: configMap({
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: objectMeta({
                  name,
                  namespace,
                  labels: { 'app.kubernetes.io/managed-by': 'iam-authenticator' },
                }),
                data,
              }),
            });
          } else {
            await api.replaceNamespacedConfigMap({ name, namespace, body: configMap({ data }, object) });
          }
          return next.seq;
        } catch (error) {
          if (statusOf(error) === 409) {
            await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 50)));
            continue;
          }
          throw apiError(`saving history in configmap ${namespace}/${name}`, error);
        }
      }
      throw new AuthError(
        'mapping_conflict',
        `could not save a history version in configmap ${namespace}/${name}`,
      );
    },
  };
}
