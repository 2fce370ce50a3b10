import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { isAuthError, silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { canonicalizeArn, classifyArn } from '@iam-authenticator/token';
import type { MappingMetrics } from '../metrics.js';
import type { MappingSet, ParseIssue, RoleMapping, UserMapping } from '../model.js';
import { EMPTY_MAPPINGS } from '../model.js';
import type { BackendStatus, MappingBackend } from './backend.js';
import {
  DEFAULT_BACKOFF,
  DEFAULT_RESYNC_INTERVAL_MS,
  createReflector,
  describeKubeError,
  kubeErrorCode,
} from './kube-client.js';
import type { BackoffOptions } from './kube-client.js';

export const IAM_IDENTITY_MAPPING_GROUP = 'iamauthenticator.k8s.aws';
export const IAM_IDENTITY_MAPPING_VERSION = 'v1alpha1';
export const IAM_IDENTITY_MAPPING_PLURAL = 'iamidentitymappings';

/** `IAMIdentityMapping` (cluster-scoped; identity-mapping.md §2.10). */
export interface IAMIdentityMapping extends KubernetesObject {
  spec?: { arn?: unknown; username?: unknown; groups?: unknown };
  status?: { canonicalARN?: unknown; userID?: unknown };
}

export interface CrdBackendOptions {
  readonly kubeConfig: KubeConfig;
  /** Periodic re-list; default 600 000 ms; 0 disables. */
  readonly resyncIntervalMs?: number;
  /** Run the status controller that writes status.canonicalARN; default true. */
  readonly writeStatus?: boolean;
  readonly logger?: Logger;
  /** `mappingEntries{backend="CRD",kind}` is used. */
  readonly metrics?: MappingMetrics;
  /** Delays after failed list/watch/status writes; default 500 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
}

const BACKEND = 'CRD';

interface Evaluated {
  readonly canonical?: string;
  readonly error?: string;
}

function evaluate(object: IAMIdentityMapping): Evaluated {
  const arn = object.spec?.arn;
  if (typeof arn !== 'string' || arn === '') return { error: 'spec.arn must be a non-empty string' };
  try {
    // The reference canonicalises the lowercased ARN, so the index key is lower case.
    return { canonical: canonicalizeArn(arn.toLowerCase()) };
  } catch (error) {
    return { error: isAuthError(error) ? error.message : String(error) };
  }
}

/**
 * The CRD backend: an informer over IAMIdentityMapping objects plus the status controller that writes
 * `status.canonicalARN`. As in the reference, an object maps only once its status carries the canonical ARN;
 * we also require that status to equal the canonical form of `spec.arn`, so a hand-written status cannot point
 * a mapping at another identity. No SSO, no accounts. Objects are ordered by name (first wins on duplicates).
 */
export function createCrdBackend(options: CrdBackendOptions): MappingBackend {
  const logger = (options.logger ?? silentLogger).child({ backend: BACKEND });
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const writeStatus = options.writeStatus ?? true;
  const objects = new Map<string, IAMIdentityMapping>();
  let current: MappingSet = EMPTY_MAPPINGS;
  let issues: readonly ParseIssue[] = [];
  const state = { stopped: true };
  const isStopped = (): boolean => state.stopped;
  const queue = new Set<string>();
  let working = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = 0;
  let statusError: string | undefined;

  const rebuild = (): void => {
    const roles: RoleMapping[] = [];
    const users: UserMapping[] = [];
    const found: ParseIssue[] = [];
    const names = [...objects.keys()].sort();
    for (const [index, name] of names.entries()) {
      const object = objects.get(name);
      if (object === undefined) continue;
      const { canonical, error } = evaluate(object);
      if (canonical === undefined) {
        found.push({
          key: name,
          index,
          severity: 'error',
          message: `iamidentitymapping ${JSON.stringify(name)}: ${error ?? 'invalid'}`,
        });
        continue;
      }
      const statusArn = object.status?.canonicalARN;
      if (statusArn !== canonical) {
        if (typeof statusArn === 'string' && statusArn !== '') {
          found.push({
            key: name,
            index,
            severity: 'warning',
            message: `iamidentitymapping ${JSON.stringify(name)}: status.canonicalARN ${JSON.stringify(statusArn)} differs from spec.arn; not mapped until the controller rewrites it`,
          });
        }
        continue;
      }
      const username = typeof object.spec?.username === 'string' ? object.spec.username : '';
      const rawGroups = object.spec?.groups;
      const groups = Array.isArray(rawGroups)
        ? rawGroups.filter((g): g is string => typeof g === 'string')
        : [];
      if (classifyArn(canonical).kind === 'role')
        roles.push(Object.freeze({ rolearn: canonical, username, groups: Object.freeze(groups) }));
      else users.push(Object.freeze({ userarn: canonical, username, groups: Object.freeze(groups) }));
    }
    const next: MappingSet = Object.freeze({
      mapRoles: Object.freeze(roles),
      mapUsers: Object.freeze(users),
      mapAccounts: Object.freeze([]),
    });
    if (JSON.stringify(next) !== JSON.stringify(current)) current = next;
    issues = Object.freeze(found);
    options.metrics?.mappingEntries.set({ backend: BACKEND, kind: 'roles' }, roles.length);
    options.metrics?.mappingEntries.set({ backend: BACKEND, kind: 'users' }, users.length);
    options.metrics?.mappingEntries.set({ backend: BACKEND, kind: 'accounts' }, 0);
  };

  const needsStatus = (object: IAMIdentityMapping): boolean => {
    const { canonical } = evaluate(object);
    return canonical !== undefined && object.status?.canonicalARN !== canonical;
  };

  const scheduleRetry = (): void => {
    retryDelayMs = retryDelayMs === 0 ? backoff.initialMs : Math.min(retryDelayMs * 2, backoff.maxMs);
    if (retryTimer !== undefined || isStopped()) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void work();
    }, retryDelayMs);
  };

  const work = async (): Promise<void> => {
    if (working || isStopped()) return;
    working = true;
    let failed = false;
    try {
      while (queue.size > 0 && !isStopped()) {
        const [name] = queue;
        if (name === undefined) break;
        queue.delete(name);
        const object = objects.get(name);
        if (object === undefined || !needsStatus(object)) continue;
        const { canonical } = evaluate(object);
        try {
          await api.replaceClusterCustomObjectStatus({
            group: IAM_IDENTITY_MAPPING_GROUP,
            version: IAM_IDENTITY_MAPPING_VERSION,
            plural: IAM_IDENTITY_MAPPING_PLURAL,
            name,
            body: { ...object, status: { ...object.status, canonicalARN: canonical } },
          });
          statusError = undefined;
          logger.info({ name, canonicalARN: canonical }, 'iamidentitymapping status written');
        } catch (error) {
          // 409: a newer version is on its way through the watch, which queues it again. 404: deleted meanwhile.
          const code = kubeErrorCode(error);
          if (code === 404 || code === 409) continue;
          statusError = describeKubeError(error);
          logger.warn({ name, error: statusError }, 'iamidentitymapping status write failed');
          queue.add(name);
          failed = true;
          break;
        }
      }
    } finally {
      working = false;
    }
    if (failed || queue.size > 0) scheduleRetry();
    else retryDelayMs = 0;
  };

  const enqueue = (object: IAMIdentityMapping): void => {
    const name = object.metadata?.name;
    if (!writeStatus || name === undefined || !needsStatus(object)) return;
    queue.add(name);
    void work();
  };

  const reflector = createReflector<IAMIdentityMapping>({
    kubeConfig: options.kubeConfig,
    watchPath: `/apis/${IAM_IDENTITY_MAPPING_GROUP}/${IAM_IDENTITY_MAPPING_VERSION}/${IAM_IDENTITY_MAPPING_PLURAL}`,
    list: async () => {
      const list = (await api.listClusterCustomObject({
        group: IAM_IDENTITY_MAPPING_GROUP,
        version: IAM_IDENTITY_MAPPING_VERSION,
        plural: IAM_IDENTITY_MAPPING_PLURAL,
      })) as { items?: IAMIdentityMapping[]; metadata?: { resourceVersion?: string } };
      return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    onList: (items) => {
      objects.clear();
      for (const item of items) if (item.metadata?.name !== undefined) objects.set(item.metadata.name, item);
      rebuild();
      for (const item of items) enqueue(item);
    },
    onEvent: (type, object) => {
      const name = object.metadata?.name;
      if (name === undefined) return;
      if (type === 'DELETED') objects.delete(name);
      else objects.set(name, object);
      rebuild();
      if (type !== 'DELETED') enqueue(object);
    },
    resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
    backoff,
    logger,
  });

  return {
    name: BACKEND,
    async start() {
      state.stopped = false;
      await reflector.start();
    },
    async stop() {
      state.stopped = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      await reflector.stop();
    },
    current: () => current,
    status(): BackendStatus {
      const lastError = reflector.lastError ?? statusError;
      return {
        name: BACKEND,
        synced: reflector.synced,
        ...(reflector.lastSyncTime !== undefined ? { lastSyncTime: reflector.lastSyncTime } : {}),
        ...(lastError !== undefined ? { lastError } : {}),
        counts: { roles: current.mapRoles.length, users: current.mapUsers.length, accounts: 0 },
        issues,
      };
    },
  };
}
