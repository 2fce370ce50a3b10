import { readFileSync } from 'node:fs';
import { AuthError, quote } from '@iam-authenticator/core';

/** An IAM user (or the account root) with long-term keys. */
export interface EmulatedUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** arn:PARTITION:iam::ACCOUNT:user/[path/]NAME or arn:PARTITION:iam::ACCOUNT:root */
  readonly arn: string;
  /** What GetCallerIdentity answers as UserId (AIDA… for users, the account id for root). */
  readonly userId: string;
}

/** A role that callers may assume. */
export interface EmulatedRole {
  /** arn:PARTITION:iam::ACCOUNT:role/[path/]NAME */
  readonly arn: string;
  /** AROA… : the part of an assumed role's UserId before the colon. */
  readonly roleId: string;
  /** Who may assume it: user ARNs, role ARNs (canonical, path optional) or ACCOUNT root ARNs (= anyone there). */
  readonly trustedPrincipals: readonly string[];
  /** When set, AssumeRole must pass exactly this ExternalId. */
  readonly externalId?: string;
}

/** An EC2 instance for DescribeInstances. */
export interface EmulatedInstance {
  readonly instanceId: string;
  readonly privateDnsName: string;
}

/** The identities file (JSON). Other owners write fixtures in this exact format. */
export interface IdentitiesFile {
  readonly users: readonly EmulatedUser[];
  readonly roles: readonly EmulatedRole[];
  readonly instances: readonly EmulatedInstance[];
}

const USER_ARN = /^arn:(aws[a-z-]*):iam::(\d+):(?:root|user\/(?:[\x21-\x7e]+\/)*[\w+=,.@-]+)$/;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d+):role\/(?:[\x21-\x7e]+\/)*[\w+=,.@-]+$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** Account id from an IAM/STS ARN (the fifth field). */
export function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** Partition from an ARN (the second field). */
export function partitionOf(arn: string): string {
  return arn.split(':')[1] ?? '';
}

/** The last path segment of a role ARN: its name without the path. */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const pieces = resource.split('/');
  return pieces[pieces.length - 1] ?? '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates parsed JSON as an identities file, listing every problem with its dotted path
 * (STYLE.md: one clear error for all problems). `source` names the file in the message.
 */
export function parseIdentities(value: unknown, source = 'identities'): IdentitiesFile {
  const issues: string[] = [];
  const text = (obj: Record<string, unknown>, key: string, path: string, pattern?: RegExp): string => {
    const field = obj[key];
    if (typeof field !== 'string' || field.length === 0) {
      issues.push(`${path}.${key}: expected a non-empty string, received ${quote(field)}`);
      return '';
    }
    if (pattern !== undefined && !pattern.test(field)) {
      issues.push(`${path}.${key}: expected to match ${String(pattern)}, received ${quote(field)}`);
    }
    return field;
  };
  const list = (key: string): unknown[] => {
    if (!isRecord(value)) return [];
    const field = value[key];
    if (field === undefined) return [];
    if (!Array.isArray(field)) {
      issues.push(`${key}: expected an array, received ${quote(field)}`);
      return [];
    }
    return field as unknown[];
  };
  if (!isRecord(value)) {
    throw new AuthError('config_invalid', `${source}: expected a JSON object, received ${quote(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'users' && key !== 'roles' && key !== 'instances') {
      issues.push(`${key}: unknown key (expected users, roles, instances)`);
    }
  }
  const users: EmulatedUser[] = [];
  const seenKeys = new Set<string>();
  list('users').forEach((entry, index) => {
    const path = `users[${index}]`;
    if (!isRecord(entry)) {
      issues.push(`${path}: expected an object, received ${quote(entry)}`);
      return;
    }
    const accessKeyId = text(entry, 'accessKeyId', path, ACCESS_KEY_ID);
    if (accessKeyId !== '' && seenKeys.has(accessKeyId)) {
      issues.push(`${path}.accessKeyId: duplicate access key id ${quote(accessKeyId)}`);
    }
    seenKeys.add(accessKeyId);
    users.push({
      accessKeyId,
      secretAccessKey: text(entry, 'secretAccessKey', path),
      arn: text(entry, 'arn', path, USER_ARN),
      userId: text(entry, 'userId', path),
    });
  });
  const roles: EmulatedRole[] = [];
  const seenRoles = new Set<string>();
  list('roles').forEach((entry, index) => {
    const path = `roles[${index}]`;
    if (!isRecord(entry)) {
      issues.push(`${path}: expected an object, received ${quote(entry)}`);
      return;
    }
    const arn = text(entry, 'arn', path, ROLE_ARN);
    if (arn !== '' && seenRoles.has(arn)) issues.push(`${path}.arn: duplicate role ${quote(arn)}`);
    seenRoles.add(arn);
    const roleId = text(entry, 'roleId', path);
    const trusted = entry['trustedPrincipals'];
    const trustedPrincipals: string[] = [];
    if (!Array.isArray(trusted)) {
      issues.push(`${path}.trustedPrincipals: expected an array of ARNs, received ${quote(trusted)}`);
    } else {
      (trusted as unknown[]).forEach((principal, i) => {
        if (typeof principal !== 'string' || !principal.startsWith('arn:')) {
          issues.push(`${path}.trustedPrincipals[${i}]: expected an ARN, received ${quote(principal)}`);
        } else {
          trustedPrincipals.push(principal);
        }
      });
    }
    const externalId = entry['externalId'];
    if (externalId !== undefined && (typeof externalId !== 'string' || externalId.length < 2)) {
      issues.push(
        `${path}.externalId: expected a string of 2 or more characters, received ${quote(externalId)}`,
      );
    }
    roles.push({
      arn,
      roleId,
      trustedPrincipals,
      ...(typeof externalId === 'string' ? { externalId } : {}),
    });
  });
  const instances: EmulatedInstance[] = [];
  list('instances').forEach((entry, index) => {
    const path = `instances[${index}]`;
    if (!isRecord(entry)) {
      issues.push(`${path}: expected an object, received ${quote(entry)}`);
      return;
    }
    const privateDnsName = entry['privateDnsName'];
    if (typeof privateDnsName !== 'string') {
      issues.push(`${path}.privateDnsName: expected a string, received ${quote(privateDnsName)}`);
    }
    instances.push({
      instanceId: text(entry, 'instanceId', path, INSTANCE_ID),
      privateDnsName: typeof privateDnsName === 'string' ? privateDnsName : '',
    });
  });
  if (issues.length > 0) {
    // The full list goes first; AuthError clips at 200 characters, so keep the head readable.
    throw new AuthError(
      'config_invalid',
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}: ${issues.join('; ')}`,
    );
  }
  return { users, roles, instances };
}

/** Reads and validates an identities file; errors name the file and every problem. */
export function loadIdentitiesFile(path: string): IdentitiesFile {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `cannot read identities file ${quote(path)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `identities file ${quote(path)} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parseIdentities(parsed, `identities file ${quote(path)}`);
}
