import { LineCounter, parseAllDocuments } from 'yaml';
import { quote } from '@iam-authenticator/core';
import type { MapKey, MappingSet, ParseIssue, ParseResult, RoleMapping, UserMapping } from './model.js';
import { decodeAccounts, decodeRoles, decodeUsers } from './parse-entries.js';
import type { KeyDecodeResult, ScalarMode } from './parse-entries.js';
import { fastParseYaml } from './parse-fast-yaml.js';
import { InvalidMapKeyError, fromYaml } from './parse-node.js';
import type { DataNode } from './parse-node.js';

export const MAP_KEYS: readonly MapKey[] = ['mapRoles', 'mapUsers', 'mapAccounts'];

/** Values the reference treats as absent (`isSkippable`): empty, whitespace, ``, "" and ''. */
export function isSkippableValue(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '``' || trimmed === '""' || trimmed === "''";
}

/**
 * Parses the `data` of an aws-auth ConfigMap like the reference's EKSConfigMap backend
 * (identity-mapping.md §1.1–§1.6): exact-case data keys, case-insensitive entry keys, YAML 1.1 scalars,
 * first document only, per-entry validation that drops only the bad entry. Never throws: every problem
 * is an issue with its key, entry index and 1-based line; a key whose text cannot be used at all is
 * listed in `failedKeys` (its mappings are empty here; backends may keep their last good value).
 */
export function parseAwsAuth(data: Record<string, string | undefined>): ParseResult {
  return parseAwsAuthData(data, true);
}

/**
 * parseAwsAuth with the js-yaml fast path on or off (off: the `yaml` package alone, the path that
 * gives issues their lines). Not exported from the package: the differential test compares both.
 */
export function parseAwsAuthData(data: Record<string, string | undefined>, fastPath: boolean): ParseResult {
  const issues: ParseIssue[] = [];
  const failedKeys: MapKey[] = [];
  warnMisspelledKeys(Object.keys(data), issues);

  const decodeKey = <T>(
    key: MapKey,
    decode: (node: DataNode, mode: ScalarMode) => KeyDecodeResult<T>,
  ): T[] => {
    const text: unknown = Object.hasOwn(data, key) ? data[key] : undefined;
    if (text === undefined || text === null) return [];
    if (typeof text !== 'string') {
      // A ConfigMap's data values are strings; a manifest without "|" is rejected by the API server.
      issues.push({
        key,
        severity: 'error',
        message: `${key} must be a string holding YAML, received ${Array.isArray(text) ? 'a list' : typeof text}; no ${key} entries are read`,
      });
      failedKeys.push(key);
      return [];
    }
    if (isSkippableValue(text)) return [];
    if (fastPath) {
      // The fast path has no line numbers, so it is used only when it finds nothing to report.
      const fast = fastParseYaml(text);
      const result = fast === undefined ? undefined : decode(fast, 'yaml');
      if (result !== undefined && result.issues.length === 0 && !result.failed) return result.entries;
    }
    const node = parseKeyText(key, text, issues);
    if (node === undefined) {
      failedKeys.push(key);
      return [];
    }
    const result = decode(node, 'yaml');
    issues.push(...result.issues);
    if (result.failed) failedKeys.push(key);
    return result.entries;
  };

  const mapRoles: RoleMapping[] = decodeKey('mapRoles', decodeRoles);
  const mapUsers: UserMapping[] = decodeKey('mapUsers', decodeUsers);
  const mapAccounts: string[] = decodeKey('mapAccounts', decodeAccounts);
  const mappings: MappingSet = { mapRoles, mapUsers, mapAccounts };
  return { mappings, issues, failedKeys };
}

/**
 * How every aws-auth value is read: YAML 1.1 like the reference's go-yaml v2 (`yes`, `on`, octal numbers),
 * and with the yaml package's warnings (a map used as a key, say) kept off the process's stderr, where
 * they would appear as Node warnings; parse problems are reported as ParseIssues instead.
 */
export const AWS_AUTH_YAML = { version: '1.1', logLevel: 'error' } as const;

function parseKeyText(key: MapKey, text: string, issues: ParseIssue[]): DataNode | undefined {
  const lineCounter = new LineCounter();
  // Duplicate keys are allowed in go-yaml v2: the last one wins.
  const docs = parseAllDocuments(text, {
    ...AWS_AUTH_YAML,
    lineCounter,
    uniqueKeys: false,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) return { kind: 'null' };
  const first = docs[0];
  if (first === undefined) return { kind: 'null' };
  const error = first.errors[0];
  if (error !== undefined) {
    const line = lineCounter.linePos(error.pos[0]).line;
    issues.push({
      key,
      line,
      severity: 'error',
      message: `${key} is not valid YAML (${firstLine(error.message)}); no ${key} entries are read`,
    });
    return undefined;
  }
  if (docs.length > 1) {
    const second = docs[1];
    const start = second?.range[0];
    issues.push({
      key,
      ...(start === undefined ? {} : { line: lineCounter.linePos(start).line }),
      severity: 'warning',
      message: `${key} holds ${docs.length} YAML documents; only the first is read, the rest after "---" is ignored`,
    });
  }
  try {
    return fromYaml(first, lineCounter);
  } catch (err) {
    if (!(err instanceof InvalidMapKeyError)) throw err;
    issues.push({
      key,
      ...(err.line === undefined ? {} : { line: err.line }),
      severity: 'error',
      message: `${key}: ${err.message}; no ${key} entries are read`,
    });
    return undefined;
  }
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? message;
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** Data keys are case-sensitive in the reference; a near miss is silently ignored there, flagged here. */
function warnMisspelledKeys(keys: readonly string[], issues: ParseIssue[]): void {
  for (const name of keys) {
    if ((MAP_KEYS as readonly string[]).includes(name)) continue;
    const lower = name.toLowerCase();
    const target = MAP_KEYS.find((key) => {
      const wanted = key.toLowerCase();
      return lower === wanted || editDistance(lower, wanted) <= 2;
    });
    if (target === undefined) continue;
    issues.push({
      key: name,
      severity: 'warning',
      message: `data key ${quote(name)} is ignored: data keys are case-sensitive, expected ${quote(target)}`,
    });
  }
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
