import { quote } from '@iam-authenticator/core';
import type { MappingSet, ParseIssue } from '../model.js';
import { decodeAccounts, decodeRoles, decodeUsers, foldKey } from '../parse-entries.js';
import { fromValue } from '../parse-node.js';

export type DynamicFileParse =
  | {
      readonly ok: true;
      readonly mappings: MappingSet;
      /** Warnings only (an error rejects the whole file). */
      readonly issues: readonly ParseIssue[];
      /** `LastUpdatedDateTime` (unix seconds) when present and numeric. */
      readonly lastUpdated?: Date;
      readonly version?: string;
    }
  | { readonly ok: false; readonly error: string; readonly issues: readonly ParseIssue[] };

/**
 * The DynamicFile format (identity-mapping.md §2.3): JSON `{"mapRoles":[…],"mapUsers":[…],
 * "mapAccounts":["…"],"Version":"…","LastUpdatedDateTime":"<unix seconds>"}`, top-level and entry keys
 * case-insensitive, other keys ignored. All or nothing: any bad entry, a non-string account or invalid
 * JSON rejects the whole file. With `userIDStrict`, every entry needs `userid` and its ARN is optional.
 */
export function parseDynamicFile(text: string, options: { userIDStrict?: boolean } = {}): DynamicFileParse {
  const strict = options.userIDStrict === true;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `error parsing dynamic file: invalid JSON (${detail})`, issues: [] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'error parsing dynamic file: expected a JSON object at the top', issues: [] };
  }
  const fields = new Map<string, unknown>();
  for (const [key, field] of Object.entries(value as Record<string, unknown>))
    fields.set(foldKey(key), field);

  const accounts = fields.get('mapaccounts');
  if (Array.isArray(accounts)) {
    const bad = accounts.findIndex((a) => typeof a !== 'string');
    if (bad >= 0) {
      return {
        ok: false,
        error: `error parsing dynamic file: mapAccounts[${bad}] must be a JSON string, received ${quote(accounts[bad])}`,
        issues: [],
      };
    }
  }
  const roles = decodeRoles(fromValue(fields.get('maproles')), 'yaml', !strict);
  const users = decodeUsers(fromValue(fields.get('mapusers')), 'yaml', !strict);
  const accountList = decodeAccounts(fromValue(accounts), 'yaml');
  const issues: ParseIssue[] = [...roles.issues, ...users.issues, ...accountList.issues];
  if (strict) {
    roles.entries.forEach((role, index) => {
      if (role.userid === undefined) {
        issues.push({
          key: 'mapRoles',
          index,
          severity: 'error',
          message: 'value for userid must be supplied (userIDStrict)',
        });
      }
    });
    users.entries.forEach((user, index) => {
      if (user.userid === undefined) {
        issues.push({
          key: 'mapUsers',
          index,
          severity: 'error',
          message: 'value for userid must be supplied (userIDStrict)',
        });
      }
    });
  }
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0];
    const where = first?.index === undefined ? (first?.key ?? '') : `${first.key}[${first.index}]`;
    return {
      ok: false,
      error: `error parsing dynamic file: ${where}: ${first?.message ?? ''}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
      issues,
    };
  }
  const mappings: MappingSet = Object.freeze({
    mapRoles: roles.entries,
    mapUsers: users.entries,
    mapAccounts: accountList.entries,
    ...(strict ? { userIdStrict: true } : {}),
  });
  const stamp = fields.get('lastupdateddatetime');
  const seconds = typeof stamp === 'string' || typeof stamp === 'number' ? Number(stamp) : Number.NaN;
  const version = fields.get('version');
  return {
    ok: true,
    mappings,
    issues,
    ...(Number.isFinite(seconds) && seconds > 0 ? { lastUpdated: new Date(seconds * 1000) } : {}),
    ...(typeof version === 'string' ? { version } : {}),
  };
}
