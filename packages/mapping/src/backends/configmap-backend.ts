import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import type { MappingMetrics } from '../metrics.js';
import { EMPTY_MAPPINGS } from '../model.js';
import type { MapKey, MappingSet, ParseIssue } from '../model.js';
import { parseAwsAuth } from '../parse-aws-auth.js';
import type { BackendStatus, MappingBackend } from './backend.js';
import { DEFAULT_BACKOFF, DEFAULT_RESYNC_INTERVAL_MS, createReflector } from './kube-client.js';
import type { BackoffOptions } from './kube-client.js';

export interface ConfigMapBackendOptions {
  /** Where the ConfigMap lives (from --kubeconfig / in-cluster). */
  readonly kubeConfig: KubeConfig;
  /** Default `kube-system`. */
  readonly namespace?: string;
  /** Default `aws-auth`. */
  readonly name?: string;
  /** Periodic re-list; default 600 000 ms (10 min); 0 disables. */
  readonly resyncIntervalMs?: number;
  /** Keep the last mappings when the ConfigMap is deleted; default false (clear, as the reference). */
  readonly keepOnDelete?: boolean;
  /** Default: silent. */
  readonly logger?: Logger;
  /** `configMapWatchFailures`, `mappingParseFailures{backend}` and `mappingEntries{backend,kind}` are used. */
  readonly metrics?: MappingMetrics;
  /** Delays after a failed list/watch; default 500 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
}

const BACKEND = 'EKSConfigMap';

type Snapshot = { -readonly [K in MapKey]: MappingSet[K] };

function freezeSet(set: Snapshot): MappingSet {
  return Object.freeze({
    mapRoles: Object.freeze([...set.mapRoles]),
    mapUsers: Object.freeze([...set.mapUsers]),
    mapAccounts: Object.freeze([...set.mapAccounts]),
  });
}

/**
 * The EKSConfigMap backend (identity-mapping.md §2.4) with our difference 5: a data key that fails to parse
 * keeps its last good mappings (warning log, metric, issue in status) instead of dropping them; entries that
 * fail validation are still dropped one by one. List, then watch the single object by field selector.
 */
export function createConfigMapBackend(options: ConfigMapBackendOptions): MappingBackend {
  const namespace = options.namespace ?? 'kube-system';
  const name = options.name ?? 'aws-auth';
  const logger = (options.logger ?? silentLogger).child({
    backend: BACKEND,
    configmap: `${namespace}/${name}`,
  });
  const metrics = options.metrics;
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  let current: MappingSet = EMPTY_MAPPINGS;
  /** Per key, the mappings of the last version in which that key parsed. */
  let lastGood: Snapshot = { mapRoles: [], mapUsers: [], mapAccounts: [] };
  let issues: readonly ParseIssue[] = [];
  let loadedVersion: string | undefined;

  const publish = (next: MappingSet): void => {
    if (JSON.stringify(next) !== JSON.stringify(current)) current = next;
    metrics?.mappingEntries.set({ backend: BACKEND, kind: 'roles' }, current.mapRoles.length);
    metrics?.mappingEntries.set({ backend: BACKEND, kind: 'users' }, current.mapUsers.length);
    metrics?.mappingEntries.set({ backend: BACKEND, kind: 'accounts' }, current.mapAccounts.length);
  };

  const load = (configMap: V1ConfigMap): void => {
    const version = configMap.metadata?.resourceVersion;
    if (version !== undefined && version === loadedVersion) return;
    loadedVersion = version;
    const result = parseAwsAuth(configMap.data ?? {});
    const next: Snapshot = {
      mapRoles: result.mappings.mapRoles,
      mapUsers: result.mappings.mapUsers,
      mapAccounts: result.mappings.mapAccounts,
    };
    const loadIssues: ParseIssue[] = [...result.issues];
    for (const key of result.failedKeys) {
      const kept = lastGood[key];
      (next as Record<MapKey, unknown>)[key] = kept;
      loadIssues.push({
        key,
        severity: 'warning',
        message: `${key} does not parse; keeping its ${kept.length} mapping(s) from the last good version`,
      });
      metrics?.mappingParseFailures.inc({ backend: BACKEND });
    }
    for (const key of ['mapRoles', 'mapUsers', 'mapAccounts'] as const) {
      if (!result.failedKeys.includes(key)) (lastGood as Record<MapKey, unknown>)[key] = next[key];
    }
    issues = Object.freeze(loadIssues);
    publish(freezeSet(next));
    if (loadIssues.length > 0) {
      logger.warn(
        {
          resourceVersion: version,
          failedKeys: result.failedKeys,
          issues: loadIssues.map(
            (i) => `${i.key}${i.index !== undefined ? `[${i.index}]` : ''}: ${i.message}`,
          ),
        },
        'aws-auth configmap loaded with issues',
      );
    }
    logger.info(
      {
        resourceVersion: version,
        roles: next.mapRoles.length,
        users: next.mapUsers.length,
        accounts: next.mapAccounts.length,
      },
      'aws-auth configmap loaded',
    );
  };

  const clear = (why: string): void => {
    loadedVersion = undefined;
    if (options.keepOnDelete === true && current !== EMPTY_MAPPINGS) {
      issues = Object.freeze([
        {
          key: name,
          severity: 'warning',
          message: `configmap ${namespace}/${name} ${why}; keeping the last mappings (keepOnDelete)`,
        },
      ]);
      logger.warn({}, 'aws-auth configmap gone; keeping the last mappings');
      return;
    }
    lastGood = { mapRoles: [], mapUsers: [], mapAccounts: [] };
    issues = Object.freeze([
      { key: name, severity: 'warning', message: `configmap ${namespace}/${name} ${why}; no mappings` },
    ]);
    publish(EMPTY_MAPPINGS);
    logger.warn({}, 'aws-auth configmap gone; mappings cleared');
  };

  const reflector = createReflector<V1ConfigMap>({
    kubeConfig: options.kubeConfig,
    watchPath: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    fieldSelector: `metadata.name=${name}`,
    list: async () => {
      const list = await api.listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    onList: (items) => {
      const found = items.find((item) => item.metadata?.name === name);
      if (found === undefined) clear('does not exist');
      else load(found);
    },
    onEvent: (type, object) => {
      if (object.metadata?.name !== name) return;
      if (type === 'DELETED') clear('was deleted');
      else load(object);
    },
    onFailure: () => metrics?.configMapWatchFailures.inc(),
    resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    logger,
  });

  return {
    name: BACKEND,
    start: () => reflector.start(),
    stop: () => reflector.stop(),
    current: () => current,
    status(): BackendStatus {
      return {
        name: BACKEND,
        synced: reflector.synced,
        ...(reflector.lastSyncTime !== undefined ? { lastSyncTime: reflector.lastSyncTime } : {}),
        ...(reflector.lastError !== undefined ? { lastError: reflector.lastError } : {}),
        counts: {
          roles: current.mapRoles.length,
          users: current.mapUsers.length,
          accounts: current.mapAccounts.length,
        },
        issues,
      };
    },
  };
}
