import { AuthError, quote } from '@iam-authenticator/core';
import { checkAccountId, checkMappingArn, parseSsoFlag, ssoWarnings } from '@iam-authenticator/mapping';
import type { EditChange, HistoryEntry } from '@iam-authenticator/mapping';
import type { CliIo } from '../io.js';
import {
  COMMON_OPTIONS,
  bool,
  commonFlags,
  interactiveAsk,
  openTarget,
  parseFlags,
  requireOne,
  runEdit,
  str,
  strs,
} from './common.js';

const CREATE_OPTIONS = {
  ...COMMON_OPTIONS,
  arn: { type: 'string' },
  role: { type: 'string' },
  username: { type: 'string' },
  group: { type: 'string', multiple: true },
  account: { type: 'string' },
  sso: { type: 'string' },
  'allow-duplicate': { type: 'boolean' },
  'no-duplicate-arns': { type: 'boolean' },
  cluster: { type: 'string' },
  region: { type: 'string' },
} as const;

export async function runCreate(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, CREATE_OPTIONS);
  const flags = commonFlags(values, io);
  const arn = str(values, 'arn') ?? str(values, 'role');
  const account = str(values, 'account');
  const sso = str(values, 'sso');
  const given = [arn, account, sso].filter((item) => item !== undefined).length;
  if (given !== 1) {
    throw new AuthError('usage_error', 'exactly one of --arn, --account or --sso must be set');
  }
  const username = str(values, 'username');
  const groups = strs(values, 'group');
  if (account !== undefined && (username !== undefined || groups.length > 0)) {
    throw new AuthError('usage_error', 'account cannot be configured with any other options');
  }
  const allowDuplicate = bool(values, 'allow-duplicate');
  let change: EditChange;
  if (account !== undefined) {
    change = { kind: 'create', target: { type: 'account', account: checkAccountId(account) } };
  } else {
    const base = { ...(username === undefined ? {} : { username }), groups, allowDuplicate };
    if (arn !== undefined) {
      const checked = checkMappingArn(arn);
      for (const warning of checked.warnings) io.stderr.write(`warning: ${warning}\n`);
      change = {
        kind: 'create',
        target: { type: 'arn', key: checked.key, field: checked.field, arn: checked.arn },
        ...base,
      };
    } else {
      const parsed = parseSsoFlag(sso ?? '');
      for (const warning of ssoWarnings(parsed)) io.stderr.write(`warning: ${warning}\n`);
      change = { kind: 'create', target: { type: 'sso', sso: parsed }, ...base };
    }
    if ((username ?? '') === '' && groups.length === 0) {
      throw new AuthError(
        'usage_error',
        'neither username nor group are set for the mapping: give --username or --group',
      );
    }
  }
  const ask = interactiveAsk(flags, io);
  await runEdit(flags, io, { change, createIfMissing: true, ...(ask === undefined ? {} : { ask }) });
  return 0;
}

const DELETE_OPTIONS = {
  ...COMMON_OPTIONS,
  arn: { type: 'string' },
  role: { type: 'string' },
  account: { type: 'string' },
  all: { type: 'boolean' },
  cluster: { type: 'string' },
  region: { type: 'string' },
} as const;

export async function runDelete(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, DELETE_OPTIONS);
  const flags = commonFlags(values, io);
  const arn = str(values, 'arn') ?? str(values, 'role');
  const account = str(values, 'account');
  if ((arn === undefined) === (account === undefined)) {
    throw new AuthError('usage_error', 'either --arn or --account must be set');
  }
  const change: EditChange = {
    kind: 'delete',
    target: arn !== undefined ? { type: 'arn', arn } : { type: 'account', account: account ?? '' },
    all: bool(values, 'all'),
  };
  const ask = interactiveAsk(flags, io);
  await runEdit(flags, io, { change, ...(ask === undefined ? {} : { ask }) });
  return 0;
}

const UPDATE_OPTIONS = {
  ...COMMON_OPTIONS,
  arn: { type: 'string' },
  username: { type: 'string' },
  group: { type: 'string', multiple: true },
  'add-group': { type: 'string', multiple: true },
  'remove-group': { type: 'string', multiple: true },
} as const;

export async function runUpdate(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, UPDATE_OPTIONS);
  const flags = commonFlags(values, io);
  requireOne(values, ['arn']);
  const username = str(values, 'username');
  const hasGroups = values.group !== undefined;
  const addGroups = strs(values, 'add-group');
  const removeGroups = strs(values, 'remove-group');
  if (username === undefined && !hasGroups && addGroups.length === 0 && removeGroups.length === 0) {
    throw new AuthError(
      'usage_error',
      'nothing to update: give --username, --group, --add-group or --remove-group',
    );
  }
  const change: EditChange = {
    kind: 'update',
    arn: str(values, 'arn') ?? '',
    ...(username === undefined ? {} : { username }),
    ...(hasGroups ? { groups: strs(values, 'group') } : {}),
    addGroups,
    removeGroups,
  };
  const ask = interactiveAsk(flags, io);
  await runEdit(flags, io, { change, ...(ask === undefined ? {} : { ask }) });
  return 0;
}

const UNDO_OPTIONS = { ...COMMON_OPTIONS, to: { type: 'string' } } as const;

export async function runUndo(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, UNDO_OPTIONS);
  const flags = commonFlags(values, io);
  const toText = str(values, 'to');
  const to = toText === undefined ? undefined : Number(toText);
  if (to !== undefined && (!Number.isInteger(to) || to < 1)) {
    throw new AuthError(
      'usage_error',
      `--to expects a version number from mapping history, received ${quote(toText)}`,
    );
  }
  const { history } = await openTarget(flags, io);
  const entries = await history.list();
  let chosen: HistoryEntry | undefined;
  if (to === undefined) {
    // Undo steps back: a version an undo already restored, and the versions undo itself saved, are
    // skipped (a second undo would otherwise put back the change the first one removed).
    const restored = new Set(
      entries.flatMap((entry) => {
        const seq = /^restored version (\d+) /.exec(entry.reason)?.[1];
        return seq === undefined ? [] : [Number(seq)];
      }),
    );
    chosen = entries.findLast(
      (entry) => !entry.reason.startsWith('restored version ') && !restored.has(entry.seq),
    );
  } else {
    chosen = entries.find((entry) => entry.seq === to);
  }
  if (chosen === undefined) {
    throw new AuthError(
      'mapping_not_found',
      to === undefined
        ? `no saved version in ${history.description}`
        : `version ${to} is not in ${history.description} (kept: ${entries.map((e) => e.seq).join(', ') || 'none'})`,
    );
  }
  const target = chosen;
  const ask = interactiveAsk(flags, io);
  await runEdit(flags, io, {
    change: {
      kind: 'restore',
      data: target.data,
      label: `version ${target.seq} (saved ${target.savedAt})`,
      // A plain undo restores only over what its edit wrote; --to N names a version knowingly.
      ...(to !== undefined || target.written === undefined ? {} : { expectCurrent: target.written }),
    },
    // A deleted aws-auth (everyone locked out) is exactly what a saved version must be able to bring back.
    createIfMissing: true,
    ...(ask === undefined ? {} : { ask }),
  });
  return 0;
}

const HISTORY_OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

export async function runHistory(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, HISTORY_OPTIONS);
  const flags = commonFlags(values, io);
  const { history } = await openTarget(flags, io);
  const entries = await history.list();
  const output = str(values, 'output') ?? 'table';
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify(entries, null, 4)}\n`);
    return 0;
  }
  if (output !== 'table')
    throw new AuthError('usage_error', `-o expects table or json, received ${quote(output)}`);
  const rows = [
    ['VERSION', 'SAVED', 'REPLACED BY'],
    ...entries.map((e) => [String(e.seq), e.savedAt, e.reason]),
  ];
  io.stdout.write(formatTable(rows));
  return 0;
}

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 2)))
        .join('')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
