import type { ParseArgsConfig } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AuthError, quote } from '@iam-authenticator/core';
import { createDirHistoryStore, createFileStore, runSafeEdit } from '@iam-authenticator/mapping';
import type {
  AwsAuthStore,
  EditChange,
  HistoryStore,
  SafeEditOptions,
  SafeEditResult,
} from '@iam-authenticator/mapping';
import type { CliIo } from '../io.js';
import { parsePflagArgs } from '../token/parse-flags.js';

/** Flags every mapping/add command accepts. */
export const COMMON_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'kubeconfig-context': { type: 'string' },
  'master-url': { type: 'string' },
  namespace: { type: 'string' },
  name: { type: 'string' },
  file: { type: 'string', short: 'f' },
  'backup-dir': { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface CommonFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace: string;
  readonly name: string;
  readonly file?: string;
  readonly backupDir?: string;
  readonly masterUrl?: string;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  /** eksctl's --cluster / --region: checked against the kubeconfig's cluster. */
  readonly cluster?: string;
  readonly region?: string;
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** node:util parseArgs, strict, with our usage_error for anything it refuses. */
export function parseFlags(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): Values {
  // eksctl's flag library (pflag) takes `--all=true` too.
  try {
    return parsePflagArgs(args, options);
  } catch (error) {
    throw new AuthError(
      'usage_error',
      error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
    );
  }
}

export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function strs(values: Values, name: string): string[] {
  const value = values[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  // eksctl's --group is a string slice: repeated or comma-separated.
  return list
    .filter((item): item is string => typeof item === 'string')
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function bool(values: Values, name: string): boolean {
  return values[name] === true;
}

export function commonFlags(values: Values, io: CliIo): CommonFlags {
  const file = str(values, 'file');
  const backupDir = str(values, 'backup-dir');
  const kubeconfig = str(values, 'kubeconfig');
  const context = str(values, 'context') ?? str(values, 'kubeconfig-context');
  return {
    ...(kubeconfig === undefined || kubeconfig === '' ? {} : { kubeconfig: resolve(io.cwd, kubeconfig) }),
    ...(context === undefined ? {} : { context }),
    namespace: str(values, 'namespace') ?? 'kube-system',
    name: str(values, 'name') ?? 'aws-auth',
    ...(file === undefined ? {} : { file: resolve(io.cwd, file) }),
    ...(str(values, 'master-url') === undefined ? {} : { masterUrl: str(values, 'master-url') ?? '' }),
    ...(backupDir === undefined ? {} : { backupDir: resolve(io.cwd, backupDir) }),
    dryRun: bool(values, 'dry-run'),
    yes: bool(values, 'yes'),
    force: bool(values, 'force'),
    ...(str(values, 'cluster') === undefined ? {} : { cluster: str(values, 'cluster') ?? '' }),
    ...(str(values, 'region') === undefined ? {} : { region: str(values, 'region') ?? '' }),
  };
}

export interface Target {
  readonly store: AwsAuthStore;
  readonly history: HistoryStore;
}

/**
 * The aws-auth store (cluster or --file) and where previous versions go. The Kubernetes client is loaded
 * only for the cluster (it takes ≈ 0.6 s; a --file command starts without it).
 */
export async function openTarget(flags: CommonFlags, io: CliIo): Promise<Target> {
  if (flags.file !== undefined) {
    return {
      store: createFileStore({ path: flags.file, name: flags.name, namespace: flags.namespace }),
      history: createDirHistoryStore(flags.backupDir ?? `${flags.file}.history`),
    };
  }
  const { connectCoreV1, createConfigMapHistoryStore, createKubeStore } =
    await import('@iam-authenticator/mapping/kube');
  const api = connectCoreV1({
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(flags.masterUrl === undefined ? {} : { server: flags.masterUrl }),
    env: io.env,
    expect: {
      ...(flags.cluster === undefined ? {} : { cluster: flags.cluster }),
      ...(flags.region === undefined ? {} : { region: flags.region }),
    },
  });
  return {
    store: createKubeStore({ api, namespace: flags.namespace, name: flags.name }),
    history:
      flags.backupDir !== undefined
        ? createDirHistoryStore(flags.backupDir)
        : createConfigMapHistoryStore({ api, namespace: flags.namespace, name: `${flags.name}-history` }),
  };
}

/** Reads one line from stdin (prompts go to stderr). */
export async function askYesNo(io: CliIo, question: string): Promise<boolean> {
  io.stderr.write(question);
  const line = await new Promise<string>((resolveLine) => {
    let buffer = '';
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      const at = buffer.indexOf('\n');
      if (at >= 0) done(buffer.slice(0, at));
    };
    const onEnd = (): void => {
      done(buffer);
    };
    const done = (text: string): void => {
      io.stdin.removeListener('data', onData);
      io.stdin.removeListener('end', onEnd);
      io.stdin.pause();
      resolveLine(text);
    };
    io.stdin.on('data', onData);
    io.stdin.on('end', onEnd);
    io.stdin.resume();
  });
  const answer = line.trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

/** Test hook: pause after the first read until `<file>.go` exists (makes the 409 path deterministic). */
function pauseHook(io: CliIo): ((attempt: number) => Promise<void>) | undefined {
  const file = io.env.IAM_AUTHENTICATOR_TEST_EDIT_PAUSE_FILE;
  if (file === undefined || file === '') return undefined;
  return async (attempt: number): Promise<void> => {
    if (attempt !== 1) return;
    writeFileSync(`${file}.ready`, '');
    const deadline = Date.now() + 30_000;
    while (!existsSync(`${file}.go`)) {
      if (Date.now() > deadline) throw new AuthError('internal_error', 'test pause hook timed out');
      await new Promise((done) => setTimeout(done, 10));
    }
  };
}

export interface EditRunOptions {
  readonly change: SafeEditOptions['change'];
  readonly createIfMissing?: boolean;
  /** Ask before writing when interactive (unless --yes). */
  readonly ask?: (result: { diff: string; summary: readonly string[] }) => Promise<boolean>;
}

/** Runs one edit on the safe path and reports: diff (dry run) on stdout, what changed on stderr. */
export async function runEdit(
  flags: CommonFlags,
  io: CliIo,
  options: EditRunOptions,
): Promise<SafeEditResult> {
  const target = await openTarget(flags, io);
  const hook = pauseHook(io);
  const ask = options.ask;
  const result = await runSafeEdit({
    store: target.store,
    history: target.history,
    change: options.change,
    force: flags.force,
    dryRun: flags.dryRun,
    createIfMissing: options.createIfMissing === true,
    now: io.now,
    ...(hook === undefined ? {} : { afterRead: hook }),
    ...(ask === undefined ? {} : { confirm: (plan, diff) => ask({ diff, summary: plan.summary }) }),
  });
  for (const warning of result.plan.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (flags.dryRun) {
    io.stdout.write(result.diff);
    for (const line of result.plan.summary) io.stderr.write(`dry run: would have ${line}\n`);
    return result;
  }
  if (result.cancelled) {
    io.stderr.write('cancelled; nothing was changed\n');
    return result;
  }
  for (const line of result.plan.summary) io.stderr.write(`${line}\n`);
  if (result.written) {
    const where = target.store.description;
    const saved =
      result.savedAs === undefined
        ? ''
        : `; previous version saved as ${result.savedAs} in ${target.history.description} (mapping undo)`;
    io.stderr.write(
      `${result.created ? 'created' : 'updated'} ${where}${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}${saved}\n`,
    );
  }
  return result;
}

/** Interactive confirmation for edits: only on a terminal, never with --yes or --dry-run. */
export function interactiveAsk(flags: CommonFlags, io: CliIo): EditRunOptions['ask'] {
  if (flags.yes || flags.dryRun || io.stdin.isTTY !== true) return undefined;
  return async ({ diff, summary }) => {
    io.stderr.write(diff);
    return askYesNo(io, `${summary.join('; ')}\nApply? [y/N]: `);
  };
}

export function requireOne(values: Values, names: readonly string[]): void {
  const given = names.filter((name) => values[name] !== undefined);
  if (given.length !== 1) {
    throw new AuthError(
      'usage_error',
      `exactly one of ${names.map((n) => `--${n}`).join(', ')} must be set, received ${given.length === 0 ? 'none' : given.map((n) => `--${n}`).join(' ')}`,
    );
  }
}

export type { EditChange };
export { quote };
