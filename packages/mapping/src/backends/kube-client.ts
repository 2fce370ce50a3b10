import { ApiException, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { clip } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';

/** Delays between failed attempts: doubled after each failure, reset after a success. */
export interface BackoffOptions {
  /** First delay after a failure; default 500 ms. */
  readonly initialMs: number;
  /** Upper bound; default 30 000 ms. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 500, maxMs: 30_000 });
/** Default periodic re-list: 10 minutes (the reference never re-lists; we do, to heal any missed event). */
export const DEFAULT_RESYNC_INTERVAL_MS = 10 * 60_000;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ReflectorOptions<T extends KubernetesObject> {
  readonly kubeConfig: KubeConfig;
  /** Collection path for the watch, e.g. `/api/v1/namespaces/kube-system/configmaps`. */
  readonly watchPath: string;
  readonly fieldSelector?: string;
  /** One LIST call; returns the items and the list's resourceVersion. */
  readonly list: () => Promise<{ items: T[]; resourceVersion: string }>;
  /** After every successful list: the complete current state. */
  readonly onList: (items: T[]) => void;
  readonly onEvent: (type: WatchEventType, object: T) => void;
  /** Every failed list or watch (connection refused, non-200, ERROR event other than 410). */
  readonly onFailure?: (phase: 'list' | 'watch', message: string) => void;
  readonly resyncIntervalMs: number;
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
}

export interface Reflector {
  /** Starts the loop; resolves after the first list attempt (successful or not). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly synced: boolean;
  readonly lastSyncTime: Date | undefined;
  readonly lastError: string | undefined;
}

/** A readable one-line message for a client-node or network error (never a request header). */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let detail = '';
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        detail = typeof parsed.message === 'string' ? parsed.message : body;
      } catch {
        detail = body;
      }
    } else if (
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { message?: unknown }).message === 'string'
    ) {
      detail = (body as { message: string }).message;
    }
    return clip(`kubernetes api answered http ${error.code}${detail === '' ? '' : `: ${detail}`}`);
  }
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    return clip(
      typeof status === 'number' ? `kubernetes api answered http ${status}: ${error.message}` : error.message,
    );
  }
  return clip(String(error));
}

/** The HTTP status of a failed client-node call, when it had one. */
export function kubeErrorCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

interface WatchOutcome {
  readonly error: unknown;
  /** The server said the resourceVersion is too old (410): re-list. */
  readonly gone: boolean;
  readonly events: number;
}

/**
 * List, then watch from the list's resourceVersion; re-list on 410 Gone and on every resync tick; reconnect a
 * dropped watch from the last seen resourceVersion (bookmarks included), with backoff after failures.
 */
export function createReflector<T extends KubernetesObject>(options: ReflectorOptions<T>): Reflector {
  const { logger } = options;
  /** An object, so that narrowing does not assume it stays unchanged across awaits. */
  const state = { stopped: true };
  const isStopped = (): boolean => state.stopped;
  let synced = false;
  let lastSyncTime: Date | undefined;
  let lastError: string | undefined;
  let resourceVersion = '';
  let needList = true;
  let delayMs = 0;
  let abortWatch: (() => void) | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let firstAttempt: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const fail = (phase: 'list' | 'watch', error: unknown): void => {
    lastError = describeKubeError(error);
    options.onFailure?.(phase, lastError);
    delayMs = delayMs === 0 ? options.backoff.initialMs : Math.min(delayMs * 2, options.backoff.maxMs);
  };

  const watchOnce = (): Promise<WatchOutcome> =>
    new Promise((resolve) => {
      let gone = false;
      let events = 0;
      let aborted = false;
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (error: unknown): void => {
        if (settled) return;
        settled = true;
        abortWatch = undefined;
        resolve({ error: aborted ? undefined : error, gone, events });
      };
      abortWatch = () => {
        aborted = true;
        controller?.abort();
        finish(undefined);
      };
      const query: Record<string, string> = { resourceVersion, allowWatchBookmarks: 'true' };
      if (options.fieldSelector !== undefined) query['fieldSelector'] = options.fieldSelector;
      new Watch(options.kubeConfig)
        .watch(
          options.watchPath,
          query,
          (type: string, object: T & { code?: number; message?: string }) => {
            if (settled) return;
            if (type === 'ERROR') {
              if (object.code === 410) gone = true;
              else lastError = clip(`watch error event: ${String(object.message ?? object.code)}`);
              return;
            }
            const rv = object.metadata?.resourceVersion;
            if (rv !== undefined && rv !== '') resourceVersion = rv;
            if (type === 'BOOKMARK') return;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
              events += 1;
              options.onEvent(type, object);
            }
          },
          (error: unknown) => {
            finish(error ?? undefined);
          },
        )
        .then(
          (c) => {
            controller = c;
            if (aborted || settled) c.abort();
          },
          (error: unknown) => {
            finish(error);
          },
        );
    });

  const listOnce = async (): Promise<boolean> => {
    try {
      const { items, resourceVersion: listRv } = await options.list();
      if (isStopped()) return false;
      resourceVersion = listRv;
      needList = false;
      options.onList(items);
      synced = true;
      lastSyncTime = new Date();
      lastError = undefined;
      delayMs = 0;
      return true;
    } catch (error) {
      fail('list', error);
      logger.warn(
        { path: options.watchPath, error: lastError, retryInMs: delayMs },
        'kubernetes list failed',
      );
      return false;
    }
  };

  const run = async (): Promise<void> => {
    while (!isStopped()) {
      if (needList) {
        const ok = await listOnce();
        firstAttempt?.();
        firstAttempt = undefined;
        if (!ok) {
          if (!isStopped()) await sleep(delayMs);
          continue;
        }
      }
      const startedAt = Date.now();
      const outcome = await watchOnce();
      if (isStopped()) break;
      if (outcome.gone) {
        logger.info(
          { path: options.watchPath, resourceVersion },
          'watch resource version expired; listing again',
        );
        needList = true;
        continue;
      }
      if (outcome.error !== undefined && outcome.error !== null) {
        if (kubeErrorCode(outcome.error) === 410) {
          needList = true;
          continue;
        }
        fail('watch', outcome.error);
        logger.warn(
          { path: options.watchPath, error: lastError, retryInMs: delayMs },
          'kubernetes watch failed',
        );
        await sleep(delayMs);
        continue;
      }
      // A clean close (server timeout, dropWatches): reconnect at once, unless the server keeps closing at once.
      if (outcome.events > 0 || Date.now() - startedAt >= 1000) delayMs = 0;
      else delayMs = delayMs === 0 ? options.backoff.initialMs : Math.min(delayMs * 2, options.backoff.maxMs);
      if (delayMs > 0) await sleep(delayMs);
    }
  };

  return {
    async start() {
      if (!isStopped()) return;
      state.stopped = false;
      needList = true;
      const first = new Promise<void>((resolve) => {
        firstAttempt = resolve;
      });
      loop = run().catch((error: unknown) => {
        lastError = describeKubeError(error);
        logger.error(
          { path: options.watchPath, error: lastError },
          'kubernetes reflector isStopped() unexpectedly',
        );
      });
      if (options.resyncIntervalMs > 0) {
        resyncTimer = setInterval(() => {
          needList = true;
          abortWatch?.();
        }, options.resyncIntervalMs);
        resyncTimer.unref();
      }
      await first;
    },
    async stop() {
      state.stopped = true;
      if (resyncTimer !== undefined) clearInterval(resyncTimer);
      resyncTimer = undefined;
      abortWatch?.();
      wake?.();
      firstAttempt?.();
      await loop;
    },
    get synced() {
      return synced;
    },
    get lastSyncTime() {
      return lastSyncTime;
    },
    get lastError() {
      return lastError;
    },
  };
}
