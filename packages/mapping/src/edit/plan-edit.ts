import { createHash } from 'node:crypto';
import { AuthError, isAuthError, quote } from '@iam-authenticator/core';
import { isDeepStrictEqual } from 'node:util';
import type { MapKey, ParseIssue } from '../model.js';
import { parseAwsAuth } from '../parse-aws-auth.js';
import { NODE_GROUPS, accountIdOf, fieldSpelling, readField, textOf } from './entry-fields.js';
import { arnMatchKey } from './identity-input.js';
import type { SsoInput } from './identity-input.js';
import { applyListEdit, readYamlList } from './yaml-list-edit.js';
import type { ListEdit, NewEntry } from './yaml-list-edit.js';

export type AwsAuthData = Readonly<Record<string, string>>;

/** One requested change to aws-auth. Inputs are already validated (identity-input.ts). */
export type EditChange =
  | {
      readonly kind: 'create';
      readonly target:
        | {
            readonly type: 'arn';
            readonly key: 'mapRoles' | 'mapUsers';
            readonly field: 'rolearn' | 'userarn';
            readonly arn: string;
          }
        | { readonly type: 'sso'; readonly sso: SsoInput }
        | { readonly type: 'account'; readonly account: string };
      readonly username?: string;
      readonly groups?: readonly string[];
      readonly allowDuplicate?: boolean;
    }
  | {
      readonly kind: 'delete';
      readonly target:
        | { readonly type: 'arn'; readonly arn: string }
        | { readonly type: 'account'; readonly account: string };
      readonly all?: boolean;
    }
  | {
      readonly kind: 'update';
      readonly arn: string;
      readonly username?: string;
      readonly groups?: readonly string[];
      readonly addGroups?: readonly string[];
      readonly removeGroups?: readonly string[];
    }
  | {
      readonly kind: 'restore';
      readonly data: AwsAuthData;
      readonly label: string;
      /** `dataDigest` aws-auth must have for the restore to go ahead without `force`. */
      readonly expectCurrent?: string;
    };

export interface PlanOptions {
  /** Edit a map whose current content does not parse; remove node-role entries. */
  readonly force?: boolean;
}

export interface EditPlan {
  /** The full new `.data` (other keys untouched). */
  readonly data: AwsAuthData;
  readonly noop: boolean;
  /** What changed, one line each (for the report). */
  readonly summary: readonly string[];
  readonly warnings: readonly string[];
}

interface KeyChange {
  readonly key: MapKey;
  readonly edit: ListEdit;
  /** The raw list the edit must produce (checked after the text edit). */
  readonly expected: unknown[];
}

/** Lists the problems that make the current content unsafe to rewrite. */
export function parseErrors(data: AwsAuthData): string[] {
  return errorIssues(data).map(describeIssue);
}

function errorIssues(data: AwsAuthData): ParseIssue[] {
  return parseAwsAuth(data).issues.filter((issue) => issue.severity === 'error');
}

function describeIssue(issue: ParseIssue): string {
  return `${issue.key}${issue.line === undefined ? '' : ` line ${issue.line}`}: ${issue.message}`;
}

/**
 * Plans one change on `.data`: refuses a map that does not parse (unless forced), applies the change
 * to the YAML text of the keys it concerns (one, or both for `delete --all`), then re-reads the result
 * and refuses it unless it means exactly the intended change.
 */
export function planEdit(data: AwsAuthData, change: EditChange, options: PlanOptions = {}): EditPlan {
  const errors = errorIssues(data);
  if (errors.length > 0 && options.force !== true && change.kind !== 'restore') {
    throw new AuthError(
      'mapping_parse_failed',
      `refusing to edit aws-auth that does not parse (--force overrides): ${errors.map(describeIssue).join('; ')}`,
    );
  }
  if (change.kind === 'restore') return planRestore(data, change, options.force === true);
  const warnings: string[] = [];
  const summary: string[] = [];
  let planned: KeyChange | readonly KeyChange[] | undefined;
  switch (change.kind) {
    case 'create':
      planned = planCreate(data, change, warnings, summary);
      break;
    case 'delete':
      planned = planDelete(data, change, options, warnings, summary);
      break;
    case 'update':
      planned = planUpdate(data, change, options, summary);
      break;
  }
  const keyChanges = planned === undefined ? [] : 'key' in planned ? [planned] : planned;
  if (keyChanges.length === 0) return { data, noop: true, summary, warnings };
  for (const { key } of keyChanges) {
    if (errors.some((issue) => issue.key === key)) {
      warnings.push(
        `${key} still does not parse, so the server reads none of its entries, this one included, until it is fixed (see mapping lint)`,
      );
    }
  }
  const edited: Record<string, string> = { ...data };
  const emptied = new Set<string>(); // a list edited down to nothing removes its key
  for (const { key, edit, expected } of keyChanges) {
    edited[key] = inKey(key, () => applyListEdit(data[key], edit));
    if (edited[key] === '' && expected.length === 0) emptied.add(key);
  }
  const next = Object.fromEntries(Object.entries(edited).filter(([key]) => !emptied.has(key)));
  verify(data, next, keyChanges, errors.length);
  return { data: next, noop: false, summary, warnings };
}

function rawList(data: AwsAuthData, key: MapKey): unknown[] {
  return inKey(key, () => readYamlList(data[key], { textOnly: key === 'mapAccounts' }));
}

/** `read()`, with a parse failure's message naming the data key it is about. */
function inKey<T>(key: MapKey, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isAuthError(error) && error.reason === 'mapping_parse_failed' && !error.message.startsWith(key)) {
      throw new AuthError('mapping_parse_failed', `${key}: ${error.message}`);
    }
    throw error;
  }
}

function accountTexts(data: AwsAuthData): string[] {
  return rawList(data, 'mapAccounts').map((value) => String(value));
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => String(item)) : [];
}

function describeEntry(key: MapKey, entry: unknown): string {
  if (key === 'mapAccounts') return `account ${quote(String(entry))}`;
  const arn = readField(entry, key === 'mapRoles' ? 'rolearn' : 'userarn');
  const sso = readField(entry, 'sso');
  const username = readField(entry, 'username');
  const groups = stringsOf(readField(entry, 'groups'));
  const who = arn !== undefined ? quote(arn, 120) : `sso ${JSON.stringify(sso)}`;
  return `${key} entry ${who} username ${quote(username ?? '')} groups [${groups.join(',')}]`;
}

/**
 * An entry in a refusal, short enough that the message keeps its advice within the 200 characters
 * STYLE.md allows: the arn was given on the command line, so the username names the entry.
 */
function entryByUsername(key: MapKey, entry: unknown): string {
  return `${key} entry with username ${quote(readField(entry, 'username') ?? '')}`;
}

function ssoMatches(entry: unknown, sso: SsoInput): boolean {
  const value = readField(entry, 'sso');
  if (value === undefined || value === null || typeof value !== 'object') return false;
  const name = textOf(readField(value, 'permissionSetName')).toLowerCase();
  const account = accountIdOf(readField(value, 'accountID'));
  const partition = textOf(readField(value, 'partition')) || 'aws';
  return (
    name === sso.permissionSetName.toLowerCase() &&
    account === sso.accountID &&
    partition === (sso.partition ?? 'aws')
  );
}

/** Entries of mapRoles and mapUsers whose ARN matches (case- and role-path-insensitive), roles first. */
function findArn(data: AwsAuthData, arn: string): { key: MapKey; index: number; entry: unknown }[] {
  const wanted = arnMatchKey(arn);
  const found: { key: MapKey; index: number; entry: unknown }[] = [];
  for (const key of ['mapRoles', 'mapUsers'] as const) {
    let list: unknown[];
    try {
      list = rawList(data, key);
    } catch {
      continue; // a key that does not parse (only reached with --force) holds nothing to match
    }
    list.forEach((entry, index) => {
      const value = readField(entry, key === 'mapRoles' ? 'rolearn' : 'userarn');
      if (typeof value === 'string' && arnMatchKey(value) === wanted) found.push({ key, index, entry });
    });
  }
  return found;
}

function sameContent(entry: unknown, username: string, groups: readonly string[]): boolean {
  const existingUser = readField(entry, 'username');
  const existingGroups = stringsOf(readField(entry, 'groups'));
  return (
    textOf(existingUser) === username && isDeepStrictEqual([...existingGroups].sort(), [...groups].sort())
  );
}

function planCreate(
  data: AwsAuthData,
  change: Extract<EditChange, { kind: 'create' }>,
  warnings: string[],
  summary: string[],
): KeyChange | undefined {
  const target = change.target;
  if (target.type === 'account') {
    const accounts = accountTexts(data);
    if (accounts.includes(target.account)) {
      summary.push(`account ${quote(target.account)} is already in mapAccounts; nothing to do`);
      return undefined;
    }
    summary.push(`added mapAccounts entry ${quote(target.account)}`);
    const list = rawList(data, 'mapAccounts');
    return {
      key: 'mapAccounts',
      edit: { op: 'append', entry: target.account },
      expected: [...list, target.account],
    };
  }
  const username = change.username ?? '';
  const groups = change.groups ?? [];
  if (username === '' && groups.length === 0) {
    throw new AuthError(
      'usage_error',
      'neither username nor group are set for the mapping: give --username or --group',
    );
  }
  const entry: Record<string, NewEntry[string]> = {};
  let key: MapKey;
  let existing: { key: MapKey; index: number; entry: unknown }[];
  if (target.type === 'arn') {
    key = target.key;
    entry[target.field] = target.arn;
    existing = findArn(data, target.arn);
  } else {
    key = 'mapRoles';
    const sso: Record<string, string> = {
      permissionSetName: target.sso.permissionSetName,
      accountID: target.sso.accountID,
    };
    if (target.sso.partition !== undefined) sso.partition = target.sso.partition;
    entry.sso = sso;
    existing = rawList(data, 'mapRoles')
      .map((item, index): { key: MapKey; index: number; entry: unknown } => ({
        key: 'mapRoles',
        index,
        entry: item,
      }))
      .filter((item) => ssoMatches(item.entry, target.sso));
  }
  if (username !== '') entry.username = username;
  if (groups.length > 0) entry.groups = [...groups];
  const identical = existing.find((item) => item.key === key && sameContent(item.entry, username, groups));
  if (identical !== undefined && existing.length === 1) {
    summary.push(`an identical ${describeEntry(key, identical.entry)} exists; nothing to do`);
    return undefined;
  }
  if (existing.length > 0) {
    const first = existing[0];
    if (change.allowDuplicate !== true) {
      throw new AuthError(
        'mapping_conflict',
        `a mapping for this identity exists (${first === undefined ? '' : describeEntry(first.key, first.entry)}); use mapping update, or mapping create --allow-duplicate`,
      );
    }
    warnings.push(
      `${existing.length} existing mapping(s) for the same identity; roles are matched before users and, for the same arn, the last entry wins`,
    );
  }
  const list = rawList(data, key);
  summary.push(`added ${describeEntry(key, entry)}`);
  return { key, edit: { op: 'append', entry }, expected: [...list, toPlain(entry)] };
}

function toPlain(entry: Record<string, NewEntry[string]>): unknown {
  return JSON.parse(JSON.stringify(entry)) as unknown;
}

function planDelete(
  data: AwsAuthData,
  change: Extract<EditChange, { kind: 'delete' }>,
  options: PlanOptions,
  warnings: string[],
  summary: string[],
): KeyChange | KeyChange[] | undefined {
  const target = change.target;
  // eksctl: with --all, nothing to delete is not an error.
  const nothing = (what: string): KeyChange | undefined => {
    summary.push(`${what}; nothing to do`);
    return undefined;
  };
  if (target.type === 'account') {
    const texts = accountTexts(data);
    const indexes = texts.flatMap((text, index) => (text === target.account ? [index] : []));
    if (indexes.length === 0) {
      if (change.all === true) return nothing(`account ${quote(target.account)} is not in mapAccounts`);
      throw new AuthError('mapping_not_found', `account ${quote(target.account)} not found in mapAccounts`);
    }
    const chosen = change.all === true ? indexes : indexes.slice(0, 1);
    const list = rawList(data, 'mapAccounts');
    summary.push(
      `removed mapAccounts entry ${quote(target.account)}${chosen.length > 1 ? ` (${chosen.length} times)` : ''}`,
    );
    return {
      key: 'mapAccounts',
      edit: { op: 'remove', indexes: chosen },
      expected: list.filter((_, index) => !chosen.includes(index)),
    };
  }
  const matches = findArn(data, target.arn);
  if (matches.length === 0) {
    if (change.all === true) return nothing(`no mapping with arn ${quote(target.arn, 120)} in aws-auth`);
    throw new AuthError(
      'mapping_not_found',
      `no mapping with arn ${quote(target.arn, 120)} found in aws-auth`,
    );
  }
  // eksctl: the first match (roles before users), or with --all every match, in both keys.
  const chosen = change.all === true ? matches : matches.slice(0, 1);
  for (const match of chosen) {
    const groups = stringsOf(readField(match.entry, 'groups'));
    const node = groups.filter((group) => NODE_GROUPS.includes(group));
    if (node.length > 0 && options.force !== true) {
      throw new AuthError(
        'mapping_refused',
        `refusing to remove the ${entryByUsername(match.key, match.entry)}: it carries ${node.join(', ')}, so nodes would lose access (--force overrides)`,
      );
    }
  }
  const left = matches.length - chosen.length;
  if (left > 0) {
    warnings.push(
      `there are ${left} mappings left with the same arn ${quote(target.arn, 120)} (use --all to delete them)`,
    );
  }
  for (const match of chosen) summary.push(`removed ${describeEntry(match.key, match.entry)}`);
  return (['mapRoles', 'mapUsers'] as const).flatMap((key): KeyChange[] => {
    const indexes = chosen.filter((match) => match.key === key).map((match) => match.index);
    if (indexes.length === 0) return [];
    const list = rawList(data, key);
    return [
      {
        key,
        edit: { op: 'remove', indexes },
        expected: list.filter((_, index) => !indexes.includes(index)),
      },
    ];
  });
}

function planUpdate(
  data: AwsAuthData,
  change: Extract<EditChange, { kind: 'update' }>,
  options: PlanOptions,
  summary: string[],
): KeyChange | undefined {
  const matches = findArn(data, change.arn);
  const match = matches[0];
  if (match === undefined) {
    throw new AuthError(
      'mapping_not_found',
      `no mapping with arn ${quote(change.arn, 120)} found in aws-auth`,
    );
  }
  if (matches.length > 1) {
    throw new AuthError(
      'mapping_conflict',
      `${matches.length} mappings carry arn ${quote(change.arn, 120)}; delete the duplicates first (mapping delete --arn … --all)`,
    );
  }
  const oldUsername = textOf(readField(match.entry, 'username'));
  const oldGroups = stringsOf(readField(match.entry, 'groups'));
  let groups = change.groups !== undefined ? [...change.groups] : [...oldGroups];
  for (const group of change.addGroups ?? []) if (!groups.includes(group)) groups.push(group);
  const remove = change.removeGroups ?? [];
  for (const group of remove) {
    if (!groups.includes(group) && change.groups === undefined) {
      throw new AuthError(
        'mapping_not_found',
        `group ${quote(group)} is not in ${describeEntry(match.key, match.entry)}`,
      );
    }
  }
  groups = groups.filter((group) => !remove.includes(group));
  const username = change.username ?? oldUsername;
  if (username === '' && groups.length === 0) {
    throw new AuthError('usage_error', 'the update would leave neither a username nor a group');
  }
  const lostNode = oldGroups.filter((group) => NODE_GROUPS.includes(group) && !groups.includes(group));
  if (lostNode.length > 0 && options.force !== true) {
    throw new AuthError(
      'mapping_refused',
      `refusing to remove ${lostNode.join(', ')} from the ${entryByUsername(match.key, match.entry)}: nodes would lose access (--force overrides)`,
    );
  }
  if (username === oldUsername && isDeepStrictEqual(groups, oldGroups)) {
    summary.push(`${describeEntry(match.key, match.entry)} already says that; nothing to do`);
    return undefined;
  }
  const set: Record<string, string | readonly string[] | undefined> = {};
  if (username !== oldUsername) set.username = username;
  if (!isDeepStrictEqual(groups, oldGroups)) set.groups = groups;
  const list = rawList(data, match.key);
  const expectedEntry = { ...(match.entry as Record<string, unknown>) };
  if (set.username !== undefined) expectedEntry[fieldSpelling(match.entry, 'username')] = username;
  if (set.groups !== undefined) expectedEntry[fieldSpelling(match.entry, 'groups')] = groups;
  const expected = list.map((item, index) => (index === match.index ? expectedEntry : item));
  summary.push(
    `updated ${describeEntry(match.key, match.entry)} → username ${quote(username)} groups [${groups.join(',')}]`,
  );
  return {
    key: match.key,
    edit: {
      op: 'update',
      index: match.index,
      set: Object.fromEntries(Object.entries(set).map(([k, v]) => [fieldSpelling(match.entry, k), v])),
    },
    expected,
  };
}

/** A digest of aws-auth's data (its keys in order with their text), for history entries. */
export function dataDigest(data: AwsAuthData): string {
  const keys = Object.keys(data).sort();
  return createHash('sha256')
    .update(JSON.stringify(keys.map((key) => [key, data[key]])))
    .digest('hex');
}

/** Node-role mappings (roles carrying system:nodes / system:bootstrappers) of the data, by ARN. */
function nodeRoleArns(data: AwsAuthData): Set<string> {
  const arns = new Set<string>();
  let list: unknown[];
  try {
    list = rawList(data, 'mapRoles');
  } catch {
    return arns;
  }
  for (const entry of list) {
    const groups = stringsOf(readField(entry, 'groups'));
    const arn = readField(entry, 'rolearn');
    if (typeof arn === 'string' && groups.some((group) => NODE_GROUPS.includes(group)))
      arns.add(arnMatchKey(arn));
  }
  return arns;
}

function planRestore(
  current: AwsAuthData,
  change: Extract<EditChange, { kind: 'restore' }>,
  force: boolean,
): EditPlan {
  const { data: target, label } = change;
  if (isDeepStrictEqual({ ...current }, { ...target })) {
    return {
      data: current,
      noop: true,
      summary: [`aws-auth already equals ${label}; nothing to do`],
      warnings: [],
    };
  }
  if (!force && change.expectCurrent !== undefined && dataDigest(current) !== change.expectCurrent) {
    throw new AuthError(
      'mapping_refused',
      `aws-auth has changed since the edit that replaced ${label}; restoring it would drop those later changes too (mapping history, mapping get; --force restores it anyway)`,
    );
  }
  const kept = nodeRoleArns(target);
  const lost = [...nodeRoleArns(current)].filter((arn) => !kept.has(arn));
  if (!force && lost.length > 0) {
    throw new AuthError(
      'mapping_refused',
      `restoring ${label} would remove the node role mapping of ${lost.join(', ')}: nodes would lose access (--force overrides)`,
    );
  }
  const keys = [...new Set([...Object.keys(current), ...Object.keys(target)])].filter(
    (key) => current[key] !== target[key],
  );
  return {
    data: { ...target },
    noop: false,
    summary: [`restored ${label} (data keys changed: ${keys.join(', ')})`],
    warnings: parseErrors(target).map((message) => `the restored version has a problem: ${message}`),
  };
}

/**
 * Re-reads the new data and refuses it unless exactly the intended change happened. `beforeErrors`: how
 * many parse errors `before` has (planEdit has counted them already).
 */
function verify(
  before: AwsAuthData,
  after: AwsAuthData,
  changes: readonly KeyChange[],
  beforeErrors: number,
): void {
  const edited = new Set(changes.map((change) => change.key));
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!edited.has(key as MapKey) && before[key] !== after[key]) {
      throw new AuthError('mapping_refused', `internal check failed: data key ${quote(key)} would change`);
    }
  }
  for (const change of changes) {
    let actual: unknown[];
    try {
      actual = rawList(after, change.key);
    } catch (error) {
      throw new AuthError(
        'mapping_refused',
        `internal check failed: the edited ${change.key} does not parse (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (!isDeepStrictEqual(actual, change.expected)) {
      throw new AuthError(
        'mapping_refused',
        `internal check failed: the edited ${change.key} does not mean exactly the intended change; nothing was written`,
      );
    }
  }
  const afterErrors = parseErrors(after);
  if (afterErrors.length > beforeErrors) {
    throw new AuthError(
      'mapping_refused',
      `internal check failed: the edit would add a parse error: ${afterErrors.join('; ')}`,
    );
  }
}
