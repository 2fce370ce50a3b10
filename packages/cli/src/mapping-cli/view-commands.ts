import { AuthError, quote } from '@iam-authenticator/core';
import {
  arnMatchKey,
  lintAwsAuth,
  parseAwsAuth,
  planAccessEntries,
  renderAccessEntryCommands,
  renderTerraform,
} from '@iam-authenticator/mapping';
import type { AwsAuthData, LintFinding, MappingSet } from '@iam-authenticator/mapping';
import { stringify } from 'yaml';
import type { CliIo } from '../io.js';
import { COMMON_OPTIONS, commonFlags, openTarget, parseFlags, str } from './common.js';
import { formatTable } from './edit-commands.js';

/** Reads aws-auth's data (cluster or --file); a missing ConfigMap reads as empty. */
export async function readData(
  values: Parameters<typeof commonFlags>[0],
  io: CliIo,
): Promise<{ data: AwsAuthData; exists: boolean; where: string }> {
  const flags = commonFlags(values, io);
  const { store } = await openTarget(flags, io);
  const snapshot = await store.read();
  return { data: snapshot.data, exists: snapshot.exists, where: store.description };
}

interface IdentityRow {
  readonly rolearn?: string;
  readonly userarn?: string;
  readonly sso?: { permissionSetName: string; accountID: string; partition?: string };
  readonly account?: string;
  readonly username?: string;
  readonly groups?: string[];
  readonly userid?: string;
}

/** eksctl's `get iamidentitymapping` shape (empty fields omitted), plus sso and userid entries. */
export function identityRows(mappings: MappingSet): IdentityRow[] {
  const rows: IdentityRow[] = [];
  const common = (username: string, groups: readonly string[], userid?: string): Partial<IdentityRow> => ({
    ...(username === '' ? {} : { username }),
    ...(groups.length === 0 ? {} : { groups: [...groups] }),
    ...(userid === undefined || userid === '' ? {} : { userid }),
  });
  for (const role of mappings.mapRoles) {
    if (role.sso !== undefined)
      rows.push({ sso: { ...role.sso }, ...common(role.username, role.groups, role.userid) });
    else rows.push({ rolearn: role.rolearn ?? '', ...common(role.username, role.groups, role.userid) });
  }
  for (const user of mappings.mapUsers)
    rows.push({ userarn: user.userarn, ...common(user.username, user.groups, user.userid) });
  for (const account of mappings.mapAccounts) rows.push({ account });
  return rows;
}

function rowArn(row: IdentityRow): string {
  if (row.sso !== undefined)
    return `sso:${row.sso.permissionSetName}@${row.sso.accountID}${row.sso.partition ? `/${row.sso.partition}` : ''}`;
  return row.rolearn ?? row.userarn ?? '';
}

const NEVER_MATCH_CODES = new Set([
  'never-matches',
  'assumed-role',
  'role-path',
  'yaml-syntax',
  'parse',
  'swallowed-item',
]);

const GET_OPTIONS = {
  ...COMMON_OPTIONS,
  arn: { type: 'string' },
  output: { type: 'string', short: 'o' },
  cluster: { type: 'string' },
  region: { type: 'string' },
  'chunk-size': { type: 'string' },
} as const;

export async function runGet(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, GET_OPTIONS);
  const output = str(values, 'output') ?? 'table';
  if (!['table', 'json', 'yaml'].includes(output)) {
    throw new AuthError('usage_error', `-o expects table, json or yaml, received ${quote(output)}`);
  }
  const { data } = await readData(values, io);
  const parsed = parseAwsAuth(data);
  let rows = identityRows(parsed.mappings);
  const arn = str(values, 'arn');
  if (arn !== undefined) {
    const wanted = arnMatchKey(arn);
    rows = rows.filter(
      (row) =>
        (row.rolearn ?? row.userarn) !== undefined &&
        arnMatchKey(row.rolearn ?? row.userarn ?? '') === wanted,
    );
    if (rows.length === 0)
      throw new AuthError('mapping_not_found', `no iamidentitymapping with arn ${quote(arn, 120)} found`);
  }
  for (const finding of lintAwsAuth(data).findings) {
    if (NEVER_MATCH_CODES.has(finding.code))
      io.stderr.write(`${finding.severity}: ${describeFinding(finding)}\n`);
  }
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 4)}\n`);
  } else if (output === 'yaml') {
    io.stdout.write(stringify(rows));
  } else if (rows.length > 0) {
    const table = [
      ['ARN', 'USERNAME', 'GROUPS', 'ACCOUNT'],
      ...rows.map((row) => [
        rowArn(row),
        row.username ?? '',
        (row.groups ?? []).join(','),
        row.account ?? '',
      ]),
    ];
    io.stdout.write(formatTable(table));
  }
  return 0;
}

function describeFinding(finding: LintFinding): string {
  const where = `${finding.key}${finding.index === undefined ? '' : `[${finding.index}]`}${finding.line === undefined ? '' : ` line ${finding.line}`}`;
  return `${where}: ${finding.message}`;
}

const LINT_OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

export async function runLint(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, LINT_OPTIONS);
  const output = str(values, 'output') ?? 'table';
  if (!['table', 'json'].includes(output))
    throw new AuthError('usage_error', `-o expects table or json, received ${quote(output)}`);
  const { data, exists, where } = await readData(values, io);
  if (!exists) throw new AuthError('mapping_not_found', `${where} does not exist`);
  const report = lintAwsAuth(data);
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (report.findings.length === 0) {
    io.stderr.write(`${where}: no findings\n`);
  } else {
    const rows = [
      ['SEVERITY', 'CODE', 'WHERE', 'MESSAGE'],
      ...report.findings.map((f) => [
        f.severity,
        f.code,
        `${f.key}${f.index === undefined ? '' : `[${f.index}]`}${f.line === undefined ? '' : `:${f.line}`}`,
        f.message,
      ]),
    ];
    io.stdout.write(formatTable(rows));
  }
  return report.exitCode;
}

const EXPORT_OPTIONS = {
  ...COMMON_OPTIONS,
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export async function runExport(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, EXPORT_OPTIONS);
  const format = str(values, 'format') ?? str(values, 'output') ?? 'access-entries';
  if (!['access-entries', 'terraform', 'json'].includes(format)) {
    throw new AuthError(
      'usage_error',
      `--format expects access-entries, terraform or json, received ${quote(format)}`,
    );
  }
  const { data } = await readData(values, io);
  const parsed = parseAwsAuth(data);
  const plan = planAccessEntries(parsed.mappings);
  if (format === 'json') io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else if (format === 'terraform') io.stdout.write(renderTerraform(plan));
  else io.stdout.write(renderAccessEntryCommands(plan));
  for (const item of plan.notConverted) io.stderr.write(`not converted: ${item}\n`);
  return 0;
}
