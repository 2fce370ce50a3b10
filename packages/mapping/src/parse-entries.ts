import { quote } from '@iam-authenticator/core';
import { PARTITIONS } from '@iam-authenticator/token';
import type { MapKey, ParseIssue, RoleMapping, SsoSelector, UserMapping } from './model.js';
import { describeNode } from './parse-node.js';
import type { DataNode } from './parse-node.js';

/**
 * How scalars are typed. `yaml`: aws-auth strings, where the reference goes YAML→JSON→struct, so a number
 * or boolean in a string field is a type error that empties the field but keeps the entry. `config`: the
 * server config file, which the reference reads through viper's weak typing (numbers become text).
 */
export type ScalarMode = 'yaml' | 'config';

export interface KeyDecodeResult<T> {
  readonly entries: T[];
  readonly issues: ParseIssue[];
  /** The key's value as a whole is unusable (not a list): the reference empties the key. */
  readonly failed: boolean;
}

const ROLE_FIELDS = ['rolearn', 'sso', 'username', 'groups', 'userid'] as const;
const USER_FIELDS = ['userarn', 'username', 'groups', 'userid'] as const;
const SSO_FIELDS = ['permissionsetname', 'accountid', 'partition'] as const;

const PARTITION_IDS: readonly string[] = PARTITIONS.map((p) => p.id);
const ACCOUNT_ID = /^[0-9]{12}$/;
const PERMISSION_SET_NAME = /^[\w+=,.@-]{1,32}$/;

interface Ctx {
  readonly key: MapKey;
  readonly index?: number;
  readonly mode: ScalarMode;
  readonly issues: ParseIssue[];
}

function issue(ctx: Ctx, severity: ParseIssue['severity'], message: string, line: number | undefined): void {
  ctx.issues.push({
    key: ctx.key,
    ...(ctx.index === undefined ? {} : { index: ctx.index }),
    ...(line === undefined ? {} : { line }),
    severity,
    message,
  });
}

/**
 * Go's encoding/json matches object keys to struct fields with Unicode simple case folding; for the
 * ASCII field names of this schema the only non-ASCII folds are ſ (U+017F) → s and K (U+212A) → k.
 */
export function foldKey(key: string): string {
  return key.replaceAll('\u017f', 's').replaceAll('\u212a', 'k').toLowerCase();
}

/** Byte-wise (UTF-8) order: of two spellings of one key, the later one wins (reference §1.3). */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Picks each known field from a mapping, case-insensitively. When several spellings collide, the one
 * that sorts last byte-wise wins, as in the reference (YAML→JSON sorts keys; the decoder keeps the last).
 */
function pickFields<F extends string>(
  node: DataNode & { kind: 'map' },
  fields: readonly F[],
  ctx: Ctx,
  where: string,
): Map<F, DataNode> {
  const values = new Map<F, DataNode>();
  const names: (string | undefined)[] = [];
  for (const [name, value] of node.pairs) {
    const at = fields.indexOf((LOWER_ASCII.test(name) ? name : foldKey(name)) as F);
    const field = fields[at];
    if (field === undefined) {
      issue(ctx, 'warning', `unknown key ${quote(name)} in ${where} is ignored`, value.line ?? node.line);
      continue;
    }
    const previous = names[at];
    if (previous === undefined || byteCompare(name, previous) >= 0) {
      values.set(field, value);
      names[at] = name;
    }
    if (previous !== undefined) {
      const winner = names[at] ?? name;
      const loser = winner === name ? previous : name;
      issue(
        ctx,
        'warning',
        `keys ${quote(previous)} and ${quote(name)} both set ${field}; ${quote(winner)} wins and ${quote(loser)} is ignored`,
        value.line ?? node.line,
      );
    }
  }
  return values;
}

const LOWER_ASCII = /^[a-z]+$/;

/** A string field: null → "", a string → itself, anything else is a type error that empties the field. */
function readString(node: DataNode | undefined, ctx: Ctx, field: string): string {
  if (node === undefined || node.kind === 'null') return '';
  if (node.kind === 'scalar') {
    if (typeof node.value === 'string') return node.value;
    if (ctx.mode === 'config' && (typeof node.value === 'number' || typeof node.value === 'bigint')) {
      return String(node.value);
    }
  }
  issue(
    ctx,
    'error',
    `${field} must be a string, received ${describeNode(node)}; the field is left empty (quote the value)`,
    node.line,
  );
  return '';
}

/**
 * An account id: text is kept as written, so `012345678901` keeps its leading zero. A plain YAML number
 * keeps its source text; a number from the config file (already parsed) cannot, so it is converted and
 * flagged when it does not have 12 digits.
 */
function readAccountId(node: DataNode, ctx: Ctx, field: string): string | undefined {
  if (node.kind === 'scalar') {
    if (typeof node.value === 'string') return node.value;
    if (node.plainSource !== undefined) return node.plainSource;
    if (typeof node.value === 'number' || typeof node.value === 'bigint') {
      const text = typeof node.value === 'number' ? node.value.toFixed(0) : node.value.toString();
      if (!ACCOUNT_ID.test(text)) {
        issue(
          ctx,
          'warning',
          `${field} ${text} was written as a number and has ${text.length} digits, expected 12; quote account ids so leading zeros survive`,
          node.line,
        );
      }
      return text;
    }
  }
  issue(ctx, 'error', `${field} must be a string of 12 digits, received ${describeNode(node)}`, node.line);
  return undefined;
}

function readGroups(node: DataNode | undefined, ctx: Ctx): string[] {
  if (node === undefined || node.kind === 'null') return [];
  if (node.kind !== 'seq') {
    issue(
      ctx,
      'error',
      `groups must be a list of strings, received ${describeNode(node)}; the entry is kept with no groups`,
      node.line,
    );
    return [];
  }
  const groups: string[] = [];
  node.items.forEach((item, at) => {
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      groups.push(item.value);
      if (item.multiline === true && item.plainSource !== undefined && /\s-\s/.test(item.value)) {
        issue(
          ctx,
          'warning',
          `group ${quote(item.value)} spans several lines: an over-indented "- " continues the previous item instead of starting a new one`,
          item.line,
        );
      }
      return;
    }
    issue(
      ctx,
      'error',
      `groups[${at}] must be a string, received ${describeNode(item)}; the item is ignored`,
      item.line ?? node.line,
    );
  });
  return groups;
}

function readSso(node: DataNode | undefined, ctx: Ctx): SsoSelector | undefined {
  if (node === undefined || node.kind === 'null') return undefined;
  if (node.kind !== 'map') {
    issue(ctx, 'error', `sso must be a mapping, received ${describeNode(node)}`, node.line);
    return undefined;
  }
  const fields = pickFields(node, SSO_FIELDS, ctx, 'sso');
  const permissionSetName = readString(fields.get('permissionsetname'), ctx, 'sso.permissionSetName');
  const accountNode = fields.get('accountid');
  let accountID = '';
  if (accountNode !== undefined && accountNode.kind !== 'null') {
    if (
      ctx.mode === 'yaml' &&
      accountNode.kind === 'scalar' &&
      typeof accountNode.value !== 'string' &&
      accountNode.plainSource !== undefined
    ) {
      issue(
        ctx,
        'warning',
        `sso.accountID ${accountNode.plainSource} is unquoted; it is read as text here, but the reference drops this entry: quote it`,
        accountNode.line,
      );
    }
    accountID = readAccountId(accountNode, ctx, 'sso.accountID') ?? '';
  }
  const partition = readString(fields.get('partition'), ctx, 'sso.partition');
  return { permissionSetName, accountID, ...(partition === '' ? {} : { partition }) };
}

/** The reference's RoleMapping.Validate messages (identity-mapping.md §1.5), said our way. */
export function validateRole(role: RoleMapping, requireArn = true): string[] {
  const errors: string[] = [];
  const hasArn = role.rolearn !== undefined && role.rolearn !== '';
  if (requireArn && !hasArn && role.sso === undefined) errors.push('one of rolearn or sso must be supplied');
  if (hasArn && role.sso !== undefined) errors.push('only one of rolearn or sso can be supplied');
  if (role.sso !== undefined) errors.push(...validateSso(role.sso));
  return errors;
}

export function validateSso(sso: SsoSelector): string[] {
  const errors: string[] = [];
  if (!ACCOUNT_ID.test(sso.accountID)) {
    errors.push(`sso.accountID must be 12 digits, received ${quote(sso.accountID)}`);
  }
  if (!PERMISSION_SET_NAME.test(sso.permissionSetName)) {
    errors.push(
      `sso.permissionSetName must match [\\w+=,.@-]{1,32}, received ${quote(sso.permissionSetName)}`,
    );
  }
  if (sso.partition !== undefined && sso.partition !== '' && !PARTITION_IDS.includes(sso.partition)) {
    errors.push(`sso.partition must be one of ${PARTITION_IDS.join(', ')}, received ${quote(sso.partition)}`);
  }
  return errors;
}

export function validateUser(user: UserMapping, requireArn = true): string[] {
  return requireArn && user.userarn === '' ? ['value for userarn must be supplied'] : [];
}

function listOf(node: DataNode, key: MapKey, issues: ParseIssue[]): readonly DataNode[] | undefined {
  if (node.kind === 'null') return [];
  if (node.kind === 'seq') return node.items;
  issues.push({
    key,
    ...(node.line === undefined ? {} : { line: node.line }),
    severity: 'error',
    message: `${key} must be a list, received ${describeNode(node)}; no ${key} entries are read`,
  });
  return undefined;
}

function entryMap(item: DataNode, ctx: Ctx, wanted: string): (DataNode & { kind: 'map' }) | undefined {
  if (item.kind === 'map') return item;
  issue(
    ctx,
    'error',
    `entry must be a mapping with ${wanted}, received ${describeNode(item)}; entry dropped`,
    item.line,
  );
  return undefined;
}

/** `requireArn` false: DynamicFile userIDStrict mode, where `userid` is the key and the ARN optional. */
export function decodeRoles(
  node: DataNode,
  mode: ScalarMode,
  requireArn = true,
): KeyDecodeResult<RoleMapping> {
  const issues: ParseIssue[] = [];
  const items = listOf(node, 'mapRoles', issues);
  if (items === undefined) return { entries: [], issues, failed: true };
  const entries: RoleMapping[] = [];
  const keys: { key: string; index: number }[] = [];
  items.forEach((item, index) => {
    const ctx: Ctx = { key: 'mapRoles', index, mode, issues };
    const map = entryMap(item, ctx, 'rolearn or sso');
    if (map === undefined) return;
    const fields = pickFields(map, ROLE_FIELDS, ctx, 'a mapRoles entry');
    const rolearn = readString(fields.get('rolearn'), ctx, 'rolearn');
    const sso = readSso(fields.get('sso'), ctx);
    const username = readString(fields.get('username'), ctx, 'username');
    const groups = readGroups(fields.get('groups'), ctx);
    const userid = readString(fields.get('userid'), ctx, 'userid');
    const role: RoleMapping = {
      ...(rolearn === '' ? {} : { rolearn }),
      ...(sso === undefined ? {} : { sso }),
      username,
      groups,
      ...(userid === '' ? {} : { userid }),
    };
    const errors = validateRole(role, requireArn);
    if (errors.length > 0) {
      for (const message of errors) issue(ctx, 'error', `${message}; entry dropped`, map.line);
      return;
    }
    if (role.rolearn !== undefined || role.sso !== undefined)
      keys.push({ key: roleDuplicateKey(role), index });
    entries.push(role);
  });
  warnShadowed('mapRoles', keys, issues, items);
  return { entries, issues, failed: false };
}

export function decodeUsers(
  node: DataNode,
  mode: ScalarMode,
  requireArn = true,
): KeyDecodeResult<UserMapping> {
  const issues: ParseIssue[] = [];
  const items = listOf(node, 'mapUsers', issues);
  if (items === undefined) return { entries: [], issues, failed: true };
  const entries: UserMapping[] = [];
  const keys: { key: string; index: number }[] = [];
  items.forEach((item, index) => {
    const ctx: Ctx = { key: 'mapUsers', index, mode, issues };
    const map = entryMap(item, ctx, 'userarn');
    if (map === undefined) return;
    const fields = pickFields(map, USER_FIELDS, ctx, 'a mapUsers entry');
    const userarn = readString(fields.get('userarn'), ctx, 'userarn');
    const username = readString(fields.get('username'), ctx, 'username');
    const groups = readGroups(fields.get('groups'), ctx);
    const userid = readString(fields.get('userid'), ctx, 'userid');
    const user: UserMapping = { userarn, username, groups, ...(userid === '' ? {} : { userid }) };
    const errors = validateUser(user, requireArn);
    if (errors.length > 0) {
      for (const message of errors) issue(ctx, 'error', `${message}; entry dropped`, map.line);
      return;
    }
    if (user.userarn !== '') keys.push({ key: user.userarn.toLowerCase(), index });
    entries.push(user);
  });
  warnShadowed('mapUsers', keys, issues, items);
  return { entries, issues, failed: false };
}

export function decodeAccounts(node: DataNode, mode: ScalarMode): KeyDecodeResult<string> {
  const issues: ParseIssue[] = [];
  const items = listOf(node, 'mapAccounts', issues);
  if (items === undefined) return { entries: [], issues, failed: true };
  const entries: string[] = [];
  items.forEach((item, index) => {
    const ctx: Ctx = { key: 'mapAccounts', index, mode, issues };
    if (item.kind === 'null') {
      issue(ctx, 'warning', 'account id is empty; entry ignored', item.line);
      return;
    }
    const account = readAccountId(item, ctx, 'account id');
    if (account === undefined) return;
    if (mode === 'yaml' && !ACCOUNT_ID.test(account)) {
      issue(ctx, 'warning', `account id ${quote(account)} is not 12 digits and can never match`, item.line);
    }
    entries.push(account);
  });
  return { entries, issues, failed: false };
}

/** The key under which the reference collapses duplicate roles: lowercase rolearn, or the SSO pattern. */
export function roleDuplicateKey(role: RoleMapping): string {
  if (role.sso !== undefined) {
    const partition =
      role.sso.partition === undefined || role.sso.partition === '' ? 'aws' : role.sso.partition;
    return `sso:${partition}:${role.sso.accountID}:${role.sso.permissionSetName}`.toLowerCase();
  }
  return (role.rolearn ?? '').toLowerCase();
}

function warnShadowed(
  key: MapKey,
  keys: readonly { key: string; index: number }[],
  issues: ParseIssue[],
  items: readonly DataNode[],
): void {
  const last = new Map<string, number>();
  for (const { key: k, index } of keys) last.set(k, index);
  for (const { key: k, index } of keys) {
    const winner = last.get(k);
    if (winner === undefined || winner === index) continue;
    const line = items[index]?.line;
    issues.push({
      key,
      index,
      ...(line === undefined ? {} : { line }),
      severity: 'warning',
      message: `entry ${index} is shadowed by entry ${winner} for the same ${key === 'mapUsers' ? 'userarn' : 'rolearn'} (the last entry wins)`,
    });
  }
}
