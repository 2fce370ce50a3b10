import { readFile } from 'node:fs/promises';
import type { Logger } from '@iam-authenticator/core';
import type { MappingBackend } from '@iam-authenticator/mapping';
import type { Registry } from 'prom-client';
import { buildBackends } from './backends.js';
import { mountedFileProblems, parseBackendModes } from './config.js';
import type { ServerBackendMode, ServerConfig } from './config.js';
import { watchFiles } from './tls-watch.js';

/**
 * What a dynamic backend mode file (`server.dynamicBackendModePath`) asks for. Its shape is the
 * reference's: `{"backendMode": "<names separated by single spaces>", "Version": …, "LastUpdatedDateTime": …}`;
 * only `backendMode` is read. An empty string, an unknown name or a duplicate is a problem.
 */
export function parseBackendModeFile(text: string): { modes: ServerBackendMode[] } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'the file is not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'expected a JSON object' };
  }
  const names = (value as Record<string, unknown>)['backendMode'];
  if (typeof names !== 'string') {
    return { problem: 'expected "backendMode" to be a string of backend names separated by spaces' };
  }
  const parsed = parseBackendModes(names === '' ? [] : names.split(' '));
  if (parsed.problems.length > 0) return { problem: parsed.problems.join('; ') };
  return { modes: parsed.modes };
}

/** The mapper chain of the server, in mode order. */
export interface BackendChain {
  /** The backends in use (a new array after every switch). */
  current(): readonly MappingBackend[];
  /** Their modes. */
  modes(): readonly ServerBackendMode[];
  /**
   * Reads the mode file again and switches the chain when it asks for other modes (the watcher and the
   * poll call this too). Resolves once the change is applied or refused.
   */
  check(): Promise<void>;
  /** Stops watching and stops the backends in use. */
  stop(): Promise<void>;
}

export interface BackendChainOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly now: () => Date;
  /** How often the mode file is read again besides the directory watch. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** How long a new chain may take to sync before it is swapped in anyway. Default 30 s. */
  readonly syncTimeoutMs?: number;
}

type Wanted = { modes: readonly ServerBackendMode[]; source: string } | { problem: string };

const sameModes = (a: readonly ServerBackendMode[], b: readonly ServerBackendMode[]): boolean =>
  a.length === b.length && a.every((mode, i) => mode === b[i]);

/**
 * Builds and starts the chain of `config.backendMode`, or of the dynamic backend mode file when it exists
 * and is valid. With `server.dynamicBackendModePath` set, the file is watched: a change to other modes
 * builds a new chain, starts it and waits (up to `syncTimeoutMs`) for it to sync before it replaces the old
 * one, which is then stopped (the reference swaps at once, so a new EKSConfigMap backend answers empty until
 * its first event). A file that is not valid, or modes that cannot be built, keep the chain in use.
 * Deleting the file goes back to `config.backendMode`.
 */
export async function startBackendChain(
  config: ServerConfig,
  options: BackendChainOptions,
): Promise<BackendChain> {
  const { logger } = options;
  const path = config.dynamicBackendModePath;
  const build = async (modes: readonly ServerBackendMode[]): Promise<MappingBackend[]> => {
    const modeConfig: ServerConfig = { ...config, backendMode: modes };
    const problems = mountedFileProblems(modeConfig);
    if (modes.includes('DynamicFile') && config.dynamicFilePath === '') {
      problems.push('DynamicFile needs server.dynamicfilepath');
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
    const backends = buildBackends(modeConfig, options);
    try {
      await Promise.all(backends.map((backend) => backend.start()));
    } catch (error) {
      await Promise.allSettled(backends.map((backend) => backend.stop()));
      throw error;
    }
    return backends;
  };

  const fromText = (text: string | undefined): Wanted => {
    if (text === undefined) return { modes: config.backendMode, source: 'server.backendMode' };
    const parsed = parseBackendModeFile(text);
    return 'problem' in parsed ? parsed : { modes: parsed.modes, source: path };
  };
  /** The mode file's text; undefined when it does not exist (then server.backendMode applies). */
  const readModeFile = async (): Promise<string | undefined> => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  let modes: readonly ServerBackendMode[] = config.backendMode;
  if (path !== '') {
    let wanted: Wanted;
    try {
      wanted = fromText(await readModeFile());
    } catch (error) {
      wanted = { problem: `cannot read it: ${describe(error)}` };
    }
    if ('problem' in wanted) {
      logger.error(
        { path, detail: wanted.problem, modes: config.backendMode },
        'dynamic backend mode file refused, using server.backendMode',
      );
    } else {
      modes = wanted.modes;
      if (wanted.source === path)
        logger.info({ path, modes }, 'backend modes from the dynamic backend mode file');
    }
  }
  let backends: readonly MappingBackend[];
  try {
    backends = await build(modes);
  } catch (error) {
    if (modes === config.backendMode) throw error;
    logger.error(
      { path, modes, detail: describe(error) },
      'the modes of the dynamic backend mode file could not be built, using server.backendMode',
    );
    modes = config.backendMode;
    backends = await build(modes);
  }
  let stopped = false;
  // Read through a call: stop() may set it while a switch awaits.
  const isStopped = (): boolean => stopped;
  let pending: Promise<void> = Promise.resolve();

  const waitForSync = async (next: readonly MappingBackend[]): Promise<boolean> => {
    const timeoutMs = options.syncTimeoutMs ?? 30_000;
    const deadline = performance.now() + timeoutMs;
    while (!next.every((backend) => backend.status().synced)) {
      if (isStopped() || performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  };

  // The file text (or read error) last refused: the poll reads the file every second, and a refusal is
  // logged, and a failed build tried, once per content.
  let refused: string | undefined;
  const apply = async (): Promise<void> => {
    if (isStopped()) return;
    let text: string | undefined;
    try {
      text = await readModeFile();
    } catch (error) {
      const detail = describe(error);
      if (refused !== `\0${detail}`) {
        refused = `\0${detail}`;
        logger.warn({ path, detail }, 'cannot read the dynamic backend mode file, keeping the chain');
      }
      return;
    }
    if (text !== undefined && text === refused) return;
    const wanted = fromText(text);
    if ('problem' in wanted) {
      refused = text;
      logger.error(
        { path, detail: wanted.problem, modes },
        'dynamic backend mode file refused, keeping the chain',
      );
      return;
    }
    refused = undefined;
    if (sameModes(wanted.modes, modes)) return;
    let next: MappingBackend[];
    try {
      next = await build(wanted.modes);
    } catch (error) {
      refused = text;
      logger.error(
        { path, modes, wanted: wanted.modes, detail: describe(error) },
        'backend modes not switched: the new chain could not be built, keeping the chain',
      );
      return;
    }
    const synced = await waitForSync(next);
    if (isStopped()) {
      await Promise.allSettled(next.map((backend) => backend.stop()));
      return;
    }
    const old = backends;
    const from = modes;
    backends = next;
    modes = wanted.modes;
    logger[synced ? 'info' : 'warn'](
      { path, from, to: modes, source: wanted.source, synced },
      synced ? 'backend modes switched' : 'backend modes switched before the new chain synced',
    );
    await Promise.allSettled(old.map((backend) => backend.stop()));
  };

  // One check waits at most behind the running one: polls during a slow switch do not pile up.
  let queued = false;
  const check = (): Promise<void> => {
    if (queued) return pending;
    queued = true;
    const run = (): Promise<void> => {
      queued = false;
      return apply();
    };
    pending = pending.then(run, run);
    return pending;
  };

  let stopWatch: (() => void) | undefined;
  let poller: NodeJS.Timeout | undefined;
  if (path !== '') {
    stopWatch = watchFiles([path], () => void check());
    poller = setInterval(() => void check(), options.pollIntervalMs ?? 1000);
    poller.unref();
  }

  return {
    current: () => backends,
    modes: () => modes,
    check,
    async stop() {
      stopped = true;
      stopWatch?.();
      if (poller !== undefined) clearInterval(poller);
      await pending.catch(() => undefined);
      await Promise.allSettled(backends.map((backend) => backend.stop()));
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
