import { classifyArn } from '@iam-authenticator/token';
import type { MappingSet } from '../model.js';

/** One EKS access entry to create (user-needs-and-security.md A6). */
export interface AccessEntryPlan {
  readonly principalArn: string;
  readonly type: 'STANDARD' | 'EC2_LINUX' | 'EC2_WINDOWS' | 'FARGATE_LINUX';
  readonly username?: string;
  readonly kubernetesGroups: readonly string[];
  readonly policyArns: readonly string[];
  /** Where it came from (`mapRoles[0]`). */
  readonly source: string;
  readonly notes: readonly string[];
}

export interface MigrationPlan {
  readonly accessEntries: readonly AccessEntryPlan[];
  /** What cannot be converted, one line each, with the reason. */
  readonly notConverted: readonly string[];
}

const CLUSTER_ADMIN = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
const RESERVED = /^(system:|eks:|aws:|amazon:|iam:)/;
const ALLOWED_TEMPLATES = /\{\{(SessionName|SessionNameRaw)\}\}/g;

/**
 * Plans the move from aws-auth to EKS access entries (eksctl#7700): node roles → EC2_LINUX /
 * EC2_WINDOWS / FARGATE_LINUX, system:masters → AmazonEKSClusterAdminPolicy, other groups kept as
 * kubernetesGroups (access entries refuse `system:` groups and usernames), and lists what cannot move.
 */
export function planAccessEntries(mappings: MappingSet): MigrationPlan {
  const accessEntries: AccessEntryPlan[] = [];
  const notConverted: string[] = [];
  const convert = (source: string, arn: string, username: string, groups: readonly string[]): void => {
    const notes: string[] = [];
    let principalArn = arn;
    try {
      const classified = classifyArn(arn);
      if (classified.kind === 'assumed-role') {
        principalArn = classified.canonical;
        notes.push('assumed-role arn converted to its role arn');
      } else if (classified.kind === 'root' || classified.kind === 'federated-user') {
        notConverted.push(`${source} ${arn}: access entries take only IAM users and roles`);
        return;
      }
    } catch (error) {
      notConverted.push(`${source} ${arn}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (/:role\/.+\/.+/.test(principalArn))
      notes.push('role arn has a path: access entries need the exact IAM arn, check it');
    const isNode = groups.includes('system:nodes') && groups.includes('system:bootstrappers');
    if (isNode) {
      const windows = groups.includes('eks:kube-proxy-windows');
      const fargate = groups.includes('system:node-proxier') || username.includes('{{SessionName}}');
      accessEntries.push({
        principalArn,
        type: windows ? 'EC2_WINDOWS' : fargate ? 'FARGATE_LINUX' : 'EC2_LINUX',
        kubernetesGroups: [],
        policyArns: [],
        source,
        notes: [
          ...notes,
          'keep this aws-auth entry until nodes use the access entry (EKS-managed node groups add their own)',
        ],
      });
      return;
    }
    const policyArns = groups.includes('system:masters') ? [CLUSTER_ADMIN] : [];
    const kubernetesGroups = groups.filter((group) => !RESERVED.test(group));
    const dropped = groups.filter((group) => RESERVED.test(group) && group !== 'system:masters');
    if (dropped.length > 0)
      notes.push(`groups ${dropped.join(', ')} cannot be access-entry groups (reserved prefix)`);
    let entryUsername: string | undefined = username === '' ? undefined : username;
    if (entryUsername !== undefined) {
      const otherTemplates = entryUsername.replace(ALLOWED_TEMPLATES, '').match(/\{\{[^}]*\}\}/g);
      if (otherTemplates) {
        notConverted.push(
          `${source} ${arn}: username template ${otherTemplates.join(', ')} has no access-entry equivalent`,
        );
        return;
      }
      if (RESERVED.test(entryUsername)) {
        notes.push(`username ${entryUsername} has a reserved prefix: the default username is used`);
        entryUsername = undefined;
      }
    }
    accessEntries.push({
      principalArn,
      type: 'STANDARD',
      ...(entryUsername === undefined ? {} : { username: entryUsername }),
      kubernetesGroups,
      policyArns,
      source,
      notes,
    });
  };
  mappings.mapRoles.forEach((role, index) => {
    const source = `mapRoles[${index}]`;
    if (role.sso !== undefined) {
      notConverted.push(
        `${source} sso ${role.sso.permissionSetName}@${role.sso.accountID}: a wildcard over AWSReservedSSO_${role.sso.permissionSetName}_*; create an entry for the concrete role arn`,
      );
      return;
    }
    convert(source, role.rolearn ?? '', role.username, role.groups);
  });
  mappings.mapUsers.forEach((user, index) => {
    convert(`mapUsers[${index}]`, user.userarn, user.username, user.groups);
  });
  for (const account of mappings.mapAccounts) {
    notConverted.push(
      `mapAccounts ${account}: access entries cannot admit a whole account; add one entry per principal`,
    );
  }
  return { accessEntries, notConverted };
}

function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
}

/** The plan as Terraform (aws_eks_access_entry + aws_eks_access_policy_association). */
export function renderTerraform(plan: MigrationPlan): string {
  const lines: string[] = ['# generated by iam-authenticator mapping export --format terraform', ''];
  plan.accessEntries.forEach((entry, index) => {
    const name = `entry_${index}`;
    for (const note of entry.notes) lines.push(`# ${entry.source}: ${note}`);
    lines.push(`resource "aws_eks_access_entry" "${name}" {`);
    lines.push('  cluster_name  = var.cluster_name');
    lines.push(`  principal_arn = ${hclString(entry.principalArn)}`);
    lines.push(`  type          = ${hclString(entry.type)}`);
    if (entry.username !== undefined) lines.push(`  user_name     = ${hclString(entry.username)}`);
    if (entry.kubernetesGroups.length > 0) {
      lines.push(`  kubernetes_groups = [${entry.kubernetesGroups.map(hclString).join(', ')}]`);
    }
    lines.push('}', '');
    for (const policy of entry.policyArns) {
      lines.push(`resource "aws_eks_access_policy_association" "${name}_admin" {`);
      lines.push('  cluster_name  = var.cluster_name');
      lines.push(`  principal_arn = aws_eks_access_entry.${name}.principal_arn`);
      lines.push(`  policy_arn    = ${hclString(policy)}`);
      lines.push('  access_scope {', '    type = "cluster"', '  }', '}', '');
    }
  });
  for (const item of plan.notConverted) lines.push(`# not converted: ${item}`);
  return `${lines.join('\n')}\n`;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The plan as `aws eks` commands (a reviewable script; nothing runs). */
export function renderAccessEntryCommands(plan: MigrationPlan): string {
  const lines: string[] = [
    '# generated by iam-authenticator mapping export --format access-entries',
    'CLUSTER="${CLUSTER:?set CLUSTER}"',
  ];
  for (const entry of plan.accessEntries) {
    for (const note of entry.notes) lines.push(`# ${entry.source}: ${note}`);
    let command = `aws eks create-access-entry --cluster-name "$CLUSTER" --principal-arn ${shellQuote(entry.principalArn)} --type ${entry.type}`;
    if (entry.username !== undefined) command += ` --username ${shellQuote(entry.username)}`;
    if (entry.kubernetesGroups.length > 0)
      command += ` --kubernetes-groups ${entry.kubernetesGroups.map(shellQuote).join(' ')}`;
    lines.push(command);
    for (const policy of entry.policyArns) {
      lines.push(
        `aws eks associate-access-policy --cluster-name "$CLUSTER" --principal-arn ${shellQuote(entry.principalArn)} --policy-arn ${shellQuote(policy)} --access-scope type=cluster`,
      );
    }
  }
  for (const item of plan.notConverted) lines.push(`# not converted: ${item}`);
  return `${lines.join('\n')}\n`;
}
