import { AuthError, quote } from '@iam-authenticator/core';
import { PARTITIONS, classifyArn, stripRolePath } from '@iam-authenticator/token';

const ARN_PARTITIONS: readonly string[] = PARTITIONS.map((partition) => partition.id);

const ACCOUNT_ID = /^[0-9]{12}$/;
const PERMISSION_SET_NAME = /^[\w+=,.@-]{1,32}$/;

/** Where a new ARN mapping goes and what the admin should know about it. */
export interface CheckedArn {
  readonly key: 'mapRoles' | 'mapUsers';
  readonly field: 'rolearn' | 'userarn';
  readonly arn: string;
  readonly warnings: readonly string[];
}

/**
 * Validates an ARN given to `mapping create` / `add` (identity-mapping.md §4.3 and implication 22):
 * grammar, known partition, 12-digit account, iam user/role/root or sts federated-user; an assumed-role
 * ARN is refused with the role ARN to write instead, and a role path is accepted with a note.
 */
export function checkMappingArn(arn: string): CheckedArn {
  if (arn === '') throw new AuthError('usage_error', 'expected a valid arn but got an empty string');
  let classified;
  try {
    classified = classifyArn(arn);
  } catch (error) {
    if (error instanceof AuthError) throw new AuthError('usage_error', error.message);
    throw error;
  }
  const { parsed } = classified;
  if (!ACCOUNT_ID.test(parsed.accountId)) {
    throw new AuthError(
      'usage_error',
      `arn account must be 12 digits, received ${quote(parsed.accountId)} in ${quote(arn, 120)}`,
    );
  }
  if (parsed.region !== '') {
    throw new AuthError(
      'usage_error',
      `an identity arn has an empty region section, received ${quote(parsed.region)}`,
    );
  }
  switch (classified.kind) {
    case 'assumed-role':
      throw new AuthError(
        'mapping_refused',
        `an assumed-role (session) arn never matches a mapping; map the role instead: --arn ${classified.canonical}`,
      );
    case 'role': {
      const stripped = stripRolePath(arn);
      const warnings =
        stripped === arn
          ? []
          : [
              `role arn ${quote(arn, 120)} has a path: it matches here (paths are ignored when matching), but the reference aws-iam-authenticator and EKS only match ${quote(stripped, 120)}`,
            ];
      return { key: 'mapRoles', field: 'rolearn', arn, warnings };
    }
    case 'user':
    case 'root':
    case 'federated-user':
      return { key: 'mapUsers', field: 'userarn', arn, warnings: [] };
  }
}

export function checkAccountId(account: string): string {
  if (!ACCOUNT_ID.test(account)) {
    throw new AuthError('usage_error', `account id must be 12 digits, received ${quote(account)}`);
  }
  return account;
}

export interface SsoInput {
  readonly permissionSetName: string;
  readonly accountID: string;
  readonly partition?: string;
}

/** Parses `permissionSetName=…,accountID=…[,partition=…]` (the reference's `--sso` map flag). */
export function parseSsoFlag(value: string): SsoInput {
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    if (at < 0) throw new AuthError('usage_error', `--sso expects key=value pairs, received ${quote(part)}`);
    const key = part.slice(0, at).trim();
    if (!['permissionSetName', 'accountID', 'partition'].includes(key)) {
      throw new AuthError(
        'usage_error',
        `--sso keys are permissionSetName, accountID and partition, received ${quote(key)}`,
      );
    }
    fields.set(key, part.slice(at + 1).trim());
  }
  for (const required of ['permissionSetName', 'accountID']) {
    if (!fields.has(required)) {
      throw new AuthError('usage_error', `required key '${required}' missing from --sso flag`);
    }
  }
  const sso: SsoInput = {
    permissionSetName: fields.get('permissionSetName') ?? '',
    accountID: fields.get('accountID') ?? '',
    ...(fields.has('partition') ? { partition: fields.get('partition') ?? '' } : {}),
  };
  checkSso(sso);
  return sso;
}

/** What an admin should know before writing an sso entry (identity-mapping.md §2.6). */
export function ssoWarnings(sso: SsoInput): string[] {
  if (sso.partition === undefined) return [];
  return [
    `sso partition ${quote(sso.partition)}: it matches here, but the reference aws-iam-authenticator never matches an sso entry that sets partition${sso.partition === 'aws' ? ' (leave it out for aws)' : ''}`,
  ];
}

export function checkSso(sso: SsoInput): void {
  if (!ACCOUNT_ID.test(sso.accountID)) {
    throw new AuthError(
      'usage_error',
      `error validating --sso: accountID must be 12 digits, received ${quote(sso.accountID)}`,
    );
  }
  if (!PERMISSION_SET_NAME.test(sso.permissionSetName)) {
    throw new AuthError(
      'usage_error',
      `error validating --sso: permissionSetName must match [\\w+=,.@-]{1,32}, received ${quote(sso.permissionSetName)}`,
    );
  }
  if (sso.partition !== undefined && !ARN_PARTITIONS.includes(sso.partition)) {
    throw new AuthError(
      'usage_error',
      `error validating --sso: partition must be one of ${ARN_PARTITIONS.join(', ')}, received ${quote(sso.partition)}`,
    );
  }
}

/** The comparison key of a mapping ARN: case-insensitive, role paths ignored. */
export function arnMatchKey(arn: string): string {
  try {
    return stripRolePath(arn).toLowerCase();
  } catch {
    return arn.toLowerCase();
  }
}
