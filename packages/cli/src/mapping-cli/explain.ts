import { AuthError, quote } from '@iam-authenticator/core';
import { createStaticBackend, matchIdentity, parseAwsAuth } from '@iam-authenticator/mapping';
import type { MappingSet, MatchResult } from '@iam-authenticator/mapping';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { classifyArn, createStsClient, isPartitionId, verifyToken } from '@iam-authenticator/token';
import type { Identity } from '@iam-authenticator/token';
import type { CliIo } from '../io.js';
import { COMMON_OPTIONS, bool, parseFlags, str } from './common.js';
import { readData } from './view-commands.js';

const EXPLAIN_OPTIONS = {
  ...COMMON_OPTIONS,
  arn: { type: 'string' },
  'session-name': { type: 'string' },
  'access-key-id': { type: 'string' },
  'user-id': { type: 'string' },
  token: { type: 'string', short: 't' },
  'cluster-id': { type: 'string', short: 'i' },
  partition: { type: 'string' },
  'sts-endpoint-override': { type: 'string' },
  'sts-ca': { type: 'string' },
  'no-sso-role-match': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
} as const;

/** The identity STS would report for an ARN typed by the admin. */
export function identityFromArn(
  arn: string,
  sessionName: string | undefined,
  accessKeyId: string,
  userId: string,
): Identity {
  let classified;
  try {
    classified = classifyArn(arn);
  } catch (error) {
    throw new AuthError('usage_error', error instanceof Error ? error.message : String(error));
  }
  const fromArn =
    classified.kind === 'assumed-role' ? (classified.parsed.resource.split('/').pop() ?? '') : '';
  const session = sessionName ?? fromArn;
  const fullArn =
    classified.kind === 'role' && session !== ''
      ? `arn:${classified.parsed.partition}:sts::${classified.parsed.accountId}:assumed-role/${classified.parsed.resource.split('/').pop() ?? ''}/${session}`
      : arn;
  const canonical =
    classified.kind === 'role'
      ? `arn:${classified.parsed.partition}:iam::${classified.parsed.accountId}:role/${classified.parsed.resource.split('/').pop() ?? ''}`
      : classified.canonical;
  return {
    arn: fullArn,
    canonicalArn: canonical,
    accountId: classified.parsed.accountId,
    userId,
    sessionName: session,
    accessKeyId,
    stsEndpoint: 'sts.amazonaws.com',
    principalId: session === '' ? userId : `${userId}:${session}`,
  };
}

/** Verifies a token through STS first, with the server's flags (--cluster-id, --partition, --sts-*). */
async function identityFromToken(
  token: string,
  values: Parameters<typeof str>[0],
  io: CliIo,
): Promise<Identity> {
  const clusterId = str(values, 'cluster-id');
  if (clusterId === undefined || clusterId === '') {
    throw new AuthError(
      'usage_error',
      'explain --token needs --cluster-id (the cluster the token was made for)',
    );
  }
  const partition = str(values, 'partition') ?? 'aws';
  if (!isPartitionId(partition)) {
    throw new AuthError('usage_error', `--partition: unknown partition ${quote(partition)}`);
  }
  const caPath = str(values, 'sts-ca');
  const ca = caPath === undefined ? undefined : await readFile(resolve(io.cwd, caPath), 'utf8');
  const override = str(values, 'sts-endpoint-override');
  const sts = createStsClient({
    ...(override === undefined ? {} : { endpointOverride: override }),
    ...(ca === undefined ? {} : { ca }),
  });
  try {
    return await verifyToken(token, { clusterId, partition, now: io.now, sts });
  } finally {
    sts.close();
  }
}

export async function runExplain(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, EXPLAIN_OPTIONS);
  const token = str(values, 'token');
  const arn = str(values, 'arn');
  if ((token === undefined) === (arn === undefined)) {
    throw new AuthError('usage_error', 'explain needs exactly one of --arn ARN or --token TOKEN');
  }
  const identity =
    token !== undefined
      ? await identityFromToken(token, values, io)
      : identityFromArn(
          arn ?? '',
          str(values, 'session-name'),
          str(values, 'access-key-id') ?? 'AKIAEXPLAINEXAMPLE00',
          str(values, 'user-id') ?? 'AIDAEXPLAINEXAMPLE00',
        );
  const { data, where } = await readData(values, io);
  const parsed = parseAwsAuth(data);
  for (const issue of parsed.issues) {
    if (issue.severity === 'error')
      io.stderr.write(
        `warning: ${issue.key}${issue.line === undefined ? '' : ` line ${issue.line}`}: ${issue.message}\n`,
      );
  }
  // Offline, {{EC2PrivateDNSName}} is shown as a placeholder: the server reads the name from EC2
  // (DescribeInstances), which explain does not call, and the match itself does not depend on it.
  let lookedUp: string | undefined;
  const ec2 = {
    resolve: (instanceId: string): Promise<string> => {
      lookedUp = instanceId;
      return Promise.resolve(`<private DNS name of ${instanceId}>`);
    },
    close: (): void => undefined,
  };
  const result = await matchIdentity(identity, [createStaticBackend('EKSConfigMap', parsed.mappings)], {
    explain: true,
    ssoRoleMatch: !bool(values, 'no-sso-role-match'),
    ec2,
    now: io.now,
  });
  const ec2Note =
    lookedUp === undefined
      ? undefined
      : `{{EC2PrivateDNSName}} is shown as a placeholder: the server looks up the private DNS name of ${lookedUp} with ec2:DescribeInstances, and denies the review if that fails`;
  if (str(values, 'output') === 'json') {
    const note = ec2Note === undefined ? {} : { note: ec2Note };
    io.stdout.write(`${JSON.stringify({ identity, source: where, ...result, ...note }, null, 2)}\n`);
  } else {
    io.stdout.write(renderExplanation(identity, where, result, parsed.mappings));
    if (ec2Note !== undefined) io.stdout.write(`\nnote: ${ec2Note}\n`);
  }
  return result.mapped ? 0 : 6;
}

function renderExplanation(identity: Identity, where: string, result: MatchResult, set: MappingSet): string {
  const lines = [
    `identity:       ${identity.arn}`,
    `canonical arn:  ${identity.canonicalArn}`,
    `account:        ${identity.accountId}`,
    ...(identity.sessionName === '' ? [] : [`session name:   ${identity.sessionName}`]),
    `source:         ${where}`,
    '',
  ];
  if (result.mapped) {
    const entry = result.mapped.entry;
    lines.push(
      `result: mapped by ${entry.key}[${entry.index}] (rule ${result.mapped.rule}, backend ${result.mapped.backend})`,
    );
    lines.push(`  username: ${result.mapped.username}`);
    lines.push(`  groups:   ${result.mapped.groups.join(', ') || '(none)'}`);
  } else {
    lines.push(
      `result: denied (${result.denyReason ?? 'identity_unmapped'})${result.denyDetail ? `: ${result.denyDetail}` : ''}`,
    );
  }
  lines.push('', 'trace:');
  for (const step of result.trace) {
    const entry = step.entry
      ? ` ${step.entry.key}[${step.entry.index}]${describeEntry(set, step.entry.key, step.entry.index)}`
      : '';
    lines.push(`  ${step.outcome.padEnd(11)} ${step.rule.padEnd(22)}${entry} ${step.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeEntry(set: MappingSet, key: string, index: number): string {
  if (key === 'mapRoles') {
    const role = set.mapRoles[index];
    if (!role) return '';
    return role.sso ? ` (sso ${role.sso.permissionSetName})` : ` (${quote(role.rolearn ?? '', 120)})`;
  }
  if (key === 'mapUsers') {
    const user = set.mapUsers[index];
    return user ? ` (${quote(user.userarn, 120)})` : '';
  }
  return '';
}
