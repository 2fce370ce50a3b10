import { quote } from '@iam-authenticator/core';
import { classifyArn, stripRolePath } from '@iam-authenticator/token';
import { LineCounter, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { AWS_AUTH_YAML, parseAwsAuth } from '../parse-aws-auth.js';
import { NODE_GROUPS, accountIdOf, readField, textOf } from './entry-fields.js';
import type { AwsAuthData } from './plan-edit.js';
import { CONFIGMAP_MAX_BYTES } from './safe-edit.js';
import { isSkippableText } from './yaml-list-edit.js';

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  readonly severity: LintSeverity;
  /** Stable short code, e.g. `yaml-syntax`, `never-matches`, `role-path`. */
  readonly code: string;
  readonly key: string;
  readonly index?: number;
  /** 1-based line inside the key's text. */
  readonly line?: number;
  readonly message: string;
}

export interface LintReport {
  readonly findings: readonly LintFinding[];
  /** 0 clean (info only), 1 warnings, 2 errors. */
  readonly exitCode: 0 | 1 | 2;
}

/** Everything `mapping lint` reports about aws-auth data (user-needs-and-security.md A5). */
export function lintAwsAuth(data: AwsAuthData): LintReport {
  const findings: LintFinding[] = [];
  const parsed = parseAwsAuth(data);
  for (const issue of parsed.issues) {
    findings.push({
      severity: issue.severity,
      // A key-level error (no index) of a key that failed: its YAML text cannot be used at all.
      code:
        issue.severity === 'error' &&
        issue.index === undefined &&
        (parsed.failedKeys as readonly string[]).includes(issue.key)
          ? 'yaml-syntax'
          : 'parse',
      key: issue.key,
      ...(issue.index === undefined ? {} : { index: issue.index }),
      ...(issue.line === undefined ? {} : { line: issue.line }),
      message: issue.message,
    });
  }
  for (const key of ['mapRoles', 'mapUsers'] as const) {
    const text = data[key];
    if (text === undefined || isSkippableText(text)) continue;
    if (parsed.failedKeys.includes(key)) {
      lintUnquotedTemplates(key, text, findings);
      continue;
    }
    lintEntries(key, text, findings);
  }
  const hasNodeRole = parsed.mappings.mapRoles.some((role) => role.groups.includes('system:nodes'));
  if (!hasNodeRole && !parsed.failedKeys.includes('mapRoles')) {
    findings.push({
      severity: 'warning',
      code: 'no-node-role',
      key: 'mapRoles',
      message:
        'no mapRoles entry grants system:nodes: worker nodes cannot join (fine only on Fargate-only or access-entry clusters)',
    });
  }
  const size = Object.entries(data).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (size > CONFIGMAP_MAX_BYTES) {
    findings.push({
      severity: 'error',
      code: 'size',
      key: 'data',
      message: `data is ${size} bytes, over the 1 MiB ConfigMap limit`,
    });
  } else if (size > CONFIGMAP_MAX_BYTES * 0.9) {
    findings.push({
      severity: 'warning',
      code: 'size',
      key: 'data',
      message: `data is ${size} bytes, within 10% of the 1 MiB ConfigMap limit`,
    });
  }
  const exitCode = findings.some((f) => f.severity === 'error')
    ? 2
    : findings.some((f) => f.severity === 'warning')
      ? 1
      : 0;
  return { findings, exitCode };
}

function lintUnquotedTemplates(key: string, text: string, findings: LintFinding[]): void {
  text.split('\n').forEach((line, at) => {
    if (/^\s*(-\s+)?([^\s:#'"][^:#]*:\s+|-\s+)\{\{/.test(line)) {
      findings.push({
        severity: 'error',
        code: 'unquoted-template',
        key,
        line: at + 1,
        message:
          'a value starting with {{…}} must be quoted ("{{SessionName}}"): unquoted it is a YAML flow mapping and the whole key fails to parse',
      });
    }
  });
}

function lintEntries(key: 'mapRoles' | 'mapUsers', text: string, findings: LintFinding[]): void {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...AWS_AUTH_YAML, lineCounter, uniqueKeys: false });
  if (doc.errors.length > 0 || !isSeq(doc.contents)) return;
  const seq = doc.contents;
  const values = doc.toJS() as unknown[];
  values.forEach((entry, index) => {
    const node = seq.items[index] as Node | undefined;
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const add = (severity: LintSeverity, code: string, message: string): void => {
      findings.push({ severity, code, key, index, ...(line === undefined ? {} : { line }), message });
    };
    const arnField = key === 'mapRoles' ? 'rolearn' : 'userarn';
    const arn = readField(entry, arnField);
    const sso = readField(entry, 'sso');
    const username = readField(entry, 'username');
    const groupsValue = readField(entry, 'groups');
    const groups = Array.isArray(groupsValue) ? groupsValue.map(String) : [];
    if (typeof arn === 'string' && arn !== '') lintArn(key, arn, add);
    if (sso !== undefined && sso !== null && typeof sso === 'object') {
      const name = textOf(readField(sso, 'permissionSetName'));
      const account = accountIdOf(readField(sso, 'accountID'));
      const partition = textOf(readField(sso, 'partition')) || 'aws';
      add(
        'info',
        'sso',
        `sso entry matches arn:${partition}:iam::${account}:role/AWSReservedSSO_${name}_<16 hex> (any path); the reference matches it only with the SSORoleMatch gate on and never with an explicit partition`,
      );
    }
    if (username === undefined || username === null || username === '') {
      add(
        'warning',
        'empty-username',
        'the username is empty: the identity is authenticated with an empty name',
      );
    } else if (typeof username !== 'string') {
      add(
        'error',
        'username-type',
        `the username ${quote(username)} is not a string: the reference reads it as empty; quote it`,
      );
    } else {
      if (username.includes('{{AccessKeyID}}')) {
        add(
          'warning',
          'access-key-template',
          'the username uses {{AccessKeyID}}: it changes with every key rotation, and before the CVE-2022-2385 fix the value could be forged through a duplicated query key',
        );
      }
      if (
        key === 'mapRoles' &&
        /\{\{SessionName(Raw)?\}\}/.test(username) &&
        !username.includes('{{EC2PrivateDNSName}}')
      ) {
        add(
          'warning',
          'session-name',
          'the username uses {{SessionName}}: whoever assumes the role picks the session name, so it only identifies a person when a trusted broker (SSO, a federation proxy) sets it',
        );
      }
    }
    if (groupsValue !== undefined && groupsValue !== null && !Array.isArray(groupsValue)) {
      add('error', 'groups-type', 'groups is not a list: the reference reads no groups for this entry');
    }
    for (const group of groups) {
      if (/\s-\s/.test(group)) {
        add(
          'error',
          'swallowed-item',
          `group ${quote(group)} contains " - ": a list item indented one space too far was joined into the previous group (space out of place)`,
        );
      }
      if (group === 'system:masters')
        add('warning', 'system-masters', 'grants system:masters (full cluster admin, not limited by RBAC)');
    }
    if (groups.some((group) => NODE_GROUPS.includes(group)) && key === 'mapUsers') {
      add('warning', 'node-group-user', 'a node group on a user mapping: nodes should use an instance role');
    }
  });
}

function lintArn(
  key: 'mapRoles' | 'mapUsers',
  arn: string,
  add: (severity: LintSeverity, code: string, message: string) => void,
): void {
  let classified;
  try {
    classified = classifyArn(arn);
  } catch (error) {
    add('error', 'never-matches', `never matches: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (!/^[0-9]{12}$/.test(classified.parsed.accountId)) {
    add(
      'error',
      'never-matches',
      `never matches: account ${quote(classified.parsed.accountId)} is not 12 digits`,
    );
  }
  if (classified.kind === 'assumed-role') {
    add(
      'warning',
      'assumed-role',
      `an assumed-role arn; it matches here (canonicalised to ${classified.canonical}) but never in the reference or EKS: write the role arn`,
    );
    return;
  }
  if (classified.kind === 'role') {
    const stripped = stripRolePath(arn);
    if (stripped !== arn) {
      add(
        'warning',
        'role-path',
        `role arn with a path: STS reports roles without their path, so the reference and EKS never match it; it matches here (paths are ignored), write ${stripped} to be portable`,
      );
    }
    if (key === 'mapUsers')
      add('info', 'role-in-users', 'a role arn under mapUsers: it matches, after every mapRoles entry');
  } else if (key === 'mapRoles') {
    add(
      'warning',
      'not-a-role',
      `a ${classified.kind} arn under mapRoles: it matches, but belongs in mapUsers`,
    );
  }
}
