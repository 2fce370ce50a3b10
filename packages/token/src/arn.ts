import { AuthError, quote } from '@iam-authenticator/core';
import { PARTITIONS, isPartitionId } from './partitions.js';

/** The six `:`-separated sections of an ARN; the resource keeps any further colons. */
export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

/** What kind of IAM principal an ARN names (reference §2.5). */
export type PrincipalKind = 'user' | 'root' | 'role' | 'assumed-role' | 'federated-user';

export interface ClassifiedArn {
  readonly kind: PrincipalKind;
  /** assumed-role → `arn:<p>:iam::<acct>:role/<role>`; every other kind unchanged. */
  readonly canonical: string;
  readonly parsed: ParsedArn;
}

const ARN_PREFIX = 'arn:';

/** Same split as the AWS SDKs: `arn:` prefix, then at most six sections, exactly six needed. */
export function parseArn(arn: string): ParsedArn {
  if (!arn.startsWith(ARN_PREFIX)) {
    throw new AuthError('arn_invalid', `arn must start with "arn:", received ${quote(arn)}`);
  }
  const sections = splitSections(arn);
  if (sections === undefined) {
    throw new AuthError(
      'arn_invalid',
      `arn must have 6 ":"-separated sections (arn:partition:service:region:account:resource), received ${quote(arn)}`,
    );
  }
  const [, partition, service, region, accountId, resource] = sections;
  return { partition, service, region, accountId, resource };
}

function splitSections(arn: string): [string, string, string, string, string, string] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const at = arn.indexOf(':', start);
    if (at < 0) return undefined;
    parts.push(arn.slice(start, at));
    start = at + 1;
  }
  parts.push(arn.slice(start));
  return parts as [string, string, string, string, string, string];
}

/**
 * Classifies an identity ARN and computes its canonical form (reference §2.5 `Canonicalize`):
 * `sts` `assumed-role/<role>/<session>` → `arn:<p>:iam::<acct>:role/<role>` (the session is dropped; any
 * pieces between `assumed-role` and the session are kept, as the reference's vector
 * `assumed-role/Org/Team/Admin/Session` → `role/Org/Team/Admin` shows — real STS never emits them);
 * `sts` `federated-user/…`, `iam` `user/…`, `role/…` (path kept) and `root` are returned unchanged.
 * Anything else, and partitions outside `PARTITIONS`, are rejected with `arn_invalid`.
 */
export function classifyArn(arn: string): ClassifiedArn {
  const parsed = parseArn(arn);
  if (!isPartitionId(parsed.partition)) {
    throw new AuthError(
      'arn_invalid',
      `arn partition must be one of ${PARTITIONS.map((p) => p.id).join(', ')}, received ${quote(parsed.partition)}`,
    );
  }
  const pieces = parsed.resource.split('/');
  const type = pieces[0] ?? '';
  const names = pieces.slice(1);
  const named = names.length > 0 && names.every((name) => name.length > 0);
  if (parsed.service === 'sts') {
    if (type === 'assumed-role') {
      if (names.length < 2 || !named) {
        throw new AuthError(
          'arn_invalid',
          `assumed-role arn must look like assumed-role/<role>/<session>, received ${quote(arn)}`,
        );
      }
      const role = names.slice(0, -1).join('/');
      return {
        kind: 'assumed-role',
        canonical: `arn:${parsed.partition}:iam::${parsed.accountId}:role/${role}`,
        parsed,
      };
    }
    if (type === 'federated-user' && named) {
      return { kind: 'federated-user', canonical: arn, parsed };
    }
    throw new AuthError(
      'arn_invalid',
      `sts arn resource must be assumed-role/… or federated-user/…, received ${quote(parsed.resource)}`,
    );
  }
  if (parsed.service === 'iam') {
    if (parsed.resource === 'root') return { kind: 'root', canonical: arn, parsed };
    if ((type === 'user' || type === 'role') && named) {
      return { kind: type, canonical: arn, parsed };
    }
    throw new AuthError(
      'arn_invalid',
      `iam arn resource must be user/…, role/… or root, received ${quote(parsed.resource)}`,
    );
  }
  throw new AuthError(
    'arn_invalid',
    `arn service must be iam or sts for an identity, received ${quote(parsed.service)}`,
  );
}

/** The canonical form of an identity ARN (see `classifyArn`); throws `AuthError('arn_invalid')`. */
export function canonicalizeArn(arn: string): string {
  return classifyArn(arn).canonical;
}

/**
 * Drops the path of an IAM role ARN (`role/team/x` → `role/x`, reference `StripPath`); every other ARN
 * is returned unchanged. Canonical ARNs built from STS never carry a role path, so a mapping written
 * with one only matches after this.
 */
export function stripRolePath(arn: string): string {
  const parsed = parseArn(arn);
  if (parsed.service !== 'iam' || !parsed.resource.startsWith('role/')) return arn;
  const pieces = parsed.resource.split('/');
  if (pieces.length <= 2) return arn;
  const name = pieces[pieces.length - 1] ?? '';
  return `arn:${parsed.partition}:iam:${parsed.region}:${parsed.accountId}:role/${name}`;
}
