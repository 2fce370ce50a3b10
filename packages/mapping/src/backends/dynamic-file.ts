import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Registry } from 'prom-client';
import { silentLogger, systemClock } from '@iam-authenticator/core';
import type { Clock, Logger } from '@iam-authenticator/core';
import { createMappingMetrics } from '../metrics.js';
import type { MappingMetrics } from '../metrics.js';
import { EMPTY_MAPPINGS } from '../model.js';
import type { MappingSet, ParseIssue } from '../model.js';
import type { BackendStatus, MappingBackend } from './backend.js';
import { parseDynamicFile } from './dynamic-file-format.js';

export interface DynamicFileBackendOptions {
  /** `server.dynamicfilepath`. */
  readonly path: string;
  /** `server.dynamicfileUserIDStrict`: look entries up by userid. Default false. */
  readonly userIDStrict?: boolean;
  /** Poll interval, used while the file is missing and as a fallback to fs.watch. Default 1000 ms (reference). */
  readonly pollIntervalMs?: number;
  readonly logger?: Logger;
  /** Where the mapper metrics go (never the global registry). Default: no metrics. */
  readonly registry?: Registry;
  /** Clock of lastSyncTime and the e2e latency metric. */
  readonly now?: Clock;
  /** Called after every load attempt (tests await this instead of sleeping). */
  readonly onLoad?: (outcome: DynamicFileLoadOutcome) => void;
}

export type DynamicFileLoadOutcome =
  | { readonly kind: 'loaded'; readonly mappings: MappingSet }
  | { readonly kind: 'rejected'; readonly error: string }
  | { readonly kind: 'removed' }
  | { readonly kind: 'unchanged' };

export interface DynamicFileBackend extends MappingBackend {
  /** Re-checks the file now (also what the watcher and the poll do). */
  reload(): Promise<DynamicFileLoadOutcome>;
}

interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * The DynamicFile backend (identity-mapping.md §2.3): a JSON file reloaded when it changes (fs.watch on
 * its directory, so atomic renames are seen, plus polling as a fallback). A load is all or nothing: a bad
 * file keeps the last good state (counted in dynamicfile_failures_total). A removed file clears every
 * mapping, as in the reference, until the file returns.
 */
export function createDynamicFileBackend(options: DynamicFileBackendOptions): DynamicFileBackend {
  const logger = (options.logger ?? silentLogger).child({ backend: 'DynamicFile' });
  const now = options.now ?? systemClock;
  const pollMs = options.pollIntervalMs ?? 1000;
  const metrics: MappingMetrics | undefined =
    options.registry === undefined ? undefined : createMappingMetrics(options.registry);
  const strict = options.userIDStrict === true;

  let current: MappingSet = strict
    ? Object.freeze({ ...EMPTY_MAPPINGS, userIdStrict: true })
    : EMPTY_MAPPINGS;
  let synced = false;
  let loadedOnce = false;
  let lastSyncTime: Date | undefined;
  let lastError: string | undefined;
  let issues: readonly ParseIssue[] = [];
  let stamp: FileStamp | undefined;
  let watcher: FSWatcher | undefined;
  let poller: NodeJS.Timeout | undefined;
  let running = false;
  let chain: Promise<DynamicFileLoadOutcome> = Promise.resolve({ kind: 'unchanged' });

  const publish = (set: MappingSet): void => {
    current = set;
    if (metrics !== undefined) {
      metrics.mappingEntries.set({ backend: 'DynamicFile', kind: 'roles' }, set.mapRoles.length);
      metrics.mappingEntries.set({ backend: 'DynamicFile', kind: 'users' }, set.mapUsers.length);
      metrics.mappingEntries.set({ backend: 'DynamicFile', kind: 'accounts' }, set.mapAccounts.length);
    }
  };

  const check = async (force: boolean): Promise<DynamicFileLoadOutcome> => {
    let next: FileStamp;
    try {
      const info = await stat(options.path);
      next = { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        return fail(`cannot stat the dynamic file: ${String(err)}`);
      if (stamp === undefined && !force) return { kind: 'unchanged' };
      // Reference: a removed file clears every mapping, then the path is polled until it returns.
      stamp = undefined;
      if (loadedOnce) logger.warn({ path: options.path }, 'dynamic file removed, mappings cleared');
      publish(strict ? Object.freeze({ ...EMPTY_MAPPINGS, userIdStrict: true }) : EMPTY_MAPPINGS);
      issues = [];
      lastError = 'the dynamic file does not exist';
      return { kind: 'removed' };
    }
    if (!force && stamp !== undefined && sameStamp(stamp, next)) return { kind: 'unchanged' };
    stamp = next;
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (err) {
      stamp = undefined;
      return fail(`cannot read the dynamic file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const parsed = parseDynamicFile(text, { userIDStrict: strict });
    if (!parsed.ok) {
      issues = parsed.issues;
      return fail(parsed.error);
    }
    publish(parsed.mappings);
    if (loadedOnce && parsed.lastUpdated !== undefined && metrics !== undefined) {
      const seconds = (now().getTime() - parsed.lastUpdated.getTime()) / 1000;
      if (seconds >= 0) metrics.dynamicE2eLatency.observe({ type: 'dynamic_file' }, seconds);
    }
    loadedOnce = true;
    synced = true;
    lastSyncTime = now();
    lastError = undefined;
    issues = parsed.issues;
    logger.info(
      {
        path: options.path,
        roles: parsed.mappings.mapRoles.length,
        users: parsed.mappings.mapUsers.length,
        accounts: parsed.mappings.mapAccounts.length,
      },
      'dynamic file loaded',
    );
    return { kind: 'loaded', mappings: parsed.mappings };
  };

  const fail = (error: string): DynamicFileLoadOutcome => {
    lastError = error;
    metrics?.dynamicFileFailures.inc();
    logger.warn({ path: options.path, error }, 'dynamic file rejected, keeping the last good mappings');
    return { kind: 'rejected', error };
  };

  /** Loads are serialised so a slow read cannot overwrite a newer one. */
  const enqueue = (force: boolean): Promise<DynamicFileLoadOutcome> => {
    chain = chain.then(
      () => check(force),
      () => check(force),
    );
    return chain.then((outcome) => {
      if (outcome.kind !== 'unchanged') options.onLoad?.(outcome);
      return outcome;
    });
  };

  const startWatcher = (): void => {
    try {
      const name = basename(options.path);
      watcher = watch(dirname(options.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) void enqueue(false);
      });
      watcher.on('error', (err) => {
        logger.warn({ path: options.path, error: String(err) }, 'dynamic file watch failed, polling only');
        watcher?.close();
        watcher = undefined;
      });
    } catch (err) {
      logger.warn({ path: options.path, error: String(err) }, 'dynamic file watch failed, polling only');
    }
  };

  return {
    name: 'DynamicFile',
    async start(): Promise<void> {
      if (running) return;
      running = true;
      metrics?.dynamicFileEnabled.set(1);
      startWatcher();
      poller = setInterval(() => void enqueue(false), pollMs);
      poller.unref();
      await enqueue(true);
    },
    stop(): Promise<void> {
      running = false;
      watcher?.close();
      watcher = undefined;
      if (poller !== undefined) clearInterval(poller);
      poller = undefined;
      return chain.then(() => undefined);
    },
    reload: () => enqueue(true),
    current: () => current,
    status(): BackendStatus {
      return {
        name: 'DynamicFile',
        synced,
        ...(lastSyncTime === undefined ? {} : { lastSyncTime }),
        ...(lastError === undefined ? {} : { lastError }),
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

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
