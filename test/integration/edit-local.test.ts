import { runProcess } from '../support/run-process.js';
import type { ProcessResult } from '../support/run-process.js';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import { presignCallerIdentity } from '@iam-authenticator/token';
import { createTestCa, issueTestCert } from '../support/tls.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const FIXTURES = join(ROOT, 'packages/mapping/testdata/aws-auth');

type CliResult = ProcessResult;

let dir: string;

function runCli(args: string[], stdin = ''): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    env: { HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin,
  });
}

function manifest(data: Record<string, string>): string {
  const lines = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: aws-auth',
    '  namespace: kube-system',
    'data:',
  ];
  for (const [key, value] of Object.entries(data)) {
    lines.push(
      `  ${key}: |`,
      ...value
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => (line === '' ? '' : `    ${line}`)),
    );
  }
  return `${lines.join('\n')}\n`;
}

function writeManifestFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edit-local-'));
});

const NODE = `- rolearn: arn:aws:iam::555555555555:role/nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
`;

describe('mapping lint --file', () => {
  test.each([
    ['clean', manifest({ mapRoles: NODE }), 0, []],
    [
      'warnings only',
      manifest({ mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/team/Dev\n  username: dev\n` }),
      1,
      ['role-path'],
    ],
    [
      'errors',
      manifest({
        mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Dev\n  username: {{SessionName}}\n`,
      }),
      2,
      ['unquoted-template', 'yaml-syntax'],
    ],
  ] as const)('%s → exit %d', async (name, text, exit, codes) => {
    const path = writeManifestFile(`lint-${name}.yaml`, text);
    const table = await runCli(['mapping', 'lint', '--file', path]);
    expect(table.code).toBe(exit);
    const json = await runCli(['mapping', 'lint', '--file', path, '-o', 'json']);
    const report = JSON.parse(json.stdout) as { findings: { code: string }[]; exitCode: number };
    expect(report.exitCode).toBe(exit);
    for (const code of codes) {
      expect(report.findings.map((f) => f.code)).toContain(code);
      expect(table.stdout).toContain(code);
    }
  });

  test('the missing-bar fixture is refused as the API server would', async () => {
    const result = await runCli(['mapping', 'lint', '--file', join(FIXTURES, 'aws-auth-missing-bar.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('data.mapRoles must be a string (is a "|" missing?)');
  });
});

describe('mapping explain', () => {
  const data = {
    mapRoles: `${NODE}- rolearn: arn:aws:iam::111122223333:role/Exact
  username: exact-{{SessionName}}
  groups: [exact]
- rolearn: arn:aws:iam::111122223333:role/team/Pathy
  username: pathy
- rolearn: arn:aws:sts::111122223333:assumed-role/Assumed/s1
  username: assumed
- sso:
    permissionSetName: Admin
    accountID: "111122223333"
  username: sso-admin
  groups: [admins]
`,
    mapUsers: `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
- userarn: arn:aws:sts::111122223333:assumed-role/UserListed/s2
  username: user-listed
`,
    mapAccounts: '- "444455556666"\n',
  };
  let path: string;
  beforeAll(() => {
    path = writeManifestFile('explain.yaml', manifest(data));
  });

  test.each([
    ['arn:aws:sts::111122223333:assumed-role/Exact/bob@corp', 'role-arn', 'exact-bob-corp'],
    ['arn:aws:sts::111122223333:assumed-role/Pathy/x', 'role-arn-without-path', 'pathy'],
    ['arn:aws:sts::111122223333:assumed-role/Assumed/other', 'role-assumed-role-arn', 'assumed'],
    [
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/carol',
      'role-sso',
      'sso-admin',
    ],
    ['arn:aws:iam::111122223333:user/alice', 'user-arn', 'alice'],
    ['arn:aws:sts::111122223333:assumed-role/UserListed/s9', 'user-assumed-role-arn', 'user-listed'],
    ['arn:aws:iam::444455556666:user/someone', 'account', 'arn:aws:iam::444455556666:user/someone'],
  ])('%s → rule %s', async (arn, rule, username) => {
    const result = await runCli(['mapping', 'explain', '--file', path, '--arn', arn]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`(rule ${rule},`);
    expect(result.stdout).toContain(`username: ${username}`);
    expect(result.stdout).toMatch(/trace:\n\s+\S/);
  });

  test('a node role is mapped offline, with {{EC2PrivateDNSName}} shown as a placeholder', async () => {
    const arn = 'arn:aws:sts::555555555555:assumed-role/nodes/i-0123456789abcdef0';
    const result = await runCli(['mapping', 'explain', '--file', path, '--arn', arn]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(rule role-arn,');
    expect(result.stdout).toContain('username: system:node:<private DNS name of i-0123456789abcdef0>');
    expect(result.stdout).toContain('groups:   system:bootstrappers, system:nodes');
    expect(result.stdout).toMatch(
      /\nnote: \{\{EC2PrivateDNSName\}\} is shown as a placeholder: .*ec2:DescribeInstances/,
    );
    const json = await runCli(['mapping', 'explain', '--file', path, '--arn', arn, '-o', 'json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { note?: string }).note).toContain('placeholder');
    // A session name that is not an instance id is still a denial, as on the server.
    const bad = await runCli(['mapping', 'explain', '--file', path, '--arn', arn.replace(/i-\w+$/, 'bob')]);
    expect(bad.code).toBe(6);
    expect(bad.stdout).toContain('result: denied (mapping_render_failed)');
  });

  test('--token verifies through STS first (server flags), then explains', async () => {
    const ca = await createTestCa();
    const keys = await issueTestCert(ca, { dnsNames: ['sts.us-west-2.amazonaws.com'] });
    const alice = {
      accessKeyId: 'AKIAALICEEXPLAIN0001',
      secretAccessKey: 'alice-secret',
      arn: 'arn:aws:iam::111122223333:user/alice',
      userId: 'AIDAALICEEXPLAIN',
    };
    const emulator = await startStsEmulator({
      identities: { users: [alice], roles: [], instances: [] },
      tls: { cert: keys.certPem, key: keys.keyPem },
    });
    try {
      const caFile = join(dir, 'sts-ca.pem');
      writeFileSync(caFile, ca.certPem);
      const { token } = await presignCallerIdentity({
        credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey },
        clusterId: 'prod',
        region: 'us-west-2',
      });
      const flags = [
        '--file',
        path,
        '--token',
        token,
        '--sts-endpoint-override',
        emulator.url,
        '--sts-ca',
        caFile,
      ];
      const result = await runCli(['mapping', 'explain', ...flags, '--cluster-id', 'prod']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('(rule user-arn,');
      expect(result.stdout).toContain('username: alice');
      expect(result.stdout).not.toContain(token);
      const other = await runCli(['mapping', 'explain', ...flags, '--cluster-id', 'other']);
      expect(other.code).toBe(4);
      expect(other.stdout).toBe('');
    } finally {
      await emulator.close();
    }
  });

  test('an unmapped identity is denied with the trace of every miss', async () => {
    const result = await runCli([
      'mapping',
      'explain',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::111122223333:user/nobody',
      '-o',
      'json',
    ]);
    expect(result.code).toBe(6);
    const body = JSON.parse(result.stdout) as { denyReason: string; trace: { outcome: string }[] };
    expect(body.denyReason).toBe('identity_unmapped');
    expect(body.trace.every((step) => step.outcome !== 'matched')).toBe(true);
    expect(body.trace.length).toBeGreaterThan(0);
  });
});

describe('--file edits', () => {
  test('create/update/delete edit only the changed bytes, atomically, with history in <file>.history', async () => {
    const original = readFileSync(join(FIXTURES, 'aws-auth-crazy-case-keys.yaml'), 'utf8');
    const sub = mkdtempSync(join(dir, 'file-'));
    const path = join(sub, 'aws-auth.yaml');
    writeFileSync(path, original);
    const create = await runCli([
      'mapping',
      'create',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:user/bob',
      '--username',
      'bob',
      '--group',
      'view',
    ]);
    expect(create.code).toBe(0);
    const update = await runCli([
      'mapping',
      'update',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:user/bob',
      '--remove-group',
      'view',
      '--add-group',
      'edit',
    ]);
    expect(update.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('username: bob\n      groups:\n        - edit\n');
    const remove = await runCli([
      'mapping',
      'delete',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:user/BOB',
    ]);
    expect(remove.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(readdirSync(sub).sort()).toEqual(['aws-auth.yaml', 'aws-auth.yaml.history']);
    expect(readdirSync(join(sub, 'aws-auth.yaml.history'))).toHaveLength(3);
  });

  test('10 concurrent creates on one file all land (the check and the rename are under a lock)', async () => {
    const path = writeManifestFile('parallel.yaml', manifest({ mapRoles: NODE }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runCli([
          'mapping',
          'create',
          '--file',
          path,
          '--arn',
          `arn:aws:iam::555555555555:role/par${i}`,
          '--username',
          `p${i}`,
          '-y',
        ]),
      ),
    );
    expect(results.map((result) => result.code)).toEqual(Array.from({ length: 10 }, () => 0));
    const text = readFileSync(path, 'utf8');
    for (let i = 0; i < 10; i++) expect(text).toContain(`role/par${i}\n`);
    expect(text).toContain('role/nodes');
    expect(readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });

  test('create writes a new manifest when the file is missing; delete never does', async () => {
    const sub = mkdtempSync(join(dir, 'new-'));
    const path = join(sub, 'aws-auth.yaml');
    const none = await runCli([
      'mapping',
      'delete',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:user/x',
    ]);
    expect(none.code).toBe(4);
    expect(readdirSync(sub)).toEqual([]);
    const made = await runCli([
      'mapping',
      'create',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:user/x',
      '--username',
      'x',
    ]);
    expect(made.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::555555555555:user/x\n      username: x\n',
    );
  });

  test('--dry-run prints a unified diff and leaves the file alone', async () => {
    const path = writeManifestFile('dry.yaml', manifest({ mapRoles: NODE }));
    const before = readFileSync(path, 'utf8');
    const result = await runCli([
      'mapping',
      'create',
      '--file',
      path,
      '--account',
      '111122223333',
      '--dry-run',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('+++ b/aws-auth/data/mapAccounts');
    expect(result.stdout).toContain('+- "111122223333"');
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  test('an sso entry with a partition is written with a warning that the reference never matches it', async () => {
    const path = writeManifestFile('sso.yaml', manifest({ mapRoles: NODE }));
    // eksctl's `mapping create` takes --group, the reference's `add role` --groups.
    const sso = (partition: string, name = 'Ops', groupFlag = '--group'): string[] => [
      '--file',
      path,
      '--sso',
      `permissionSetName=${name},accountID=555555555555${partition}`,
      '--username',
      'ops',
      groupFlag,
      'ops',
      '--yes',
    ];
    const gov = await runCli(['mapping', 'create', ...sso(',partition=aws-us-gov')]);
    expect(gov.code).toBe(0);
    expect(gov.stderr).toContain(
      'warning: sso partition "aws-us-gov": it matches here, but the reference aws-iam-authenticator never matches an sso entry that sets partition\n',
    );
    expect(readFileSync(path, 'utf8')).toContain('partition: aws-us-gov');
    const viaAdd = await runCli(['add', 'role', ...sso(',partition=aws', 'Dev', '--groups')]);
    expect(viaAdd.code).toBe(0);
    expect(viaAdd.stderr).toContain('never matches an sso entry that sets partition (leave it out for aws)');
    const plain = await runCli(['mapping', 'create', ...sso(''), '--allow-duplicate']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain('partition');
  });

  test('--force on a map that does not parse warns that the new entry is inert, and prints no Node warnings', async () => {
    const broken = `${NODE}- rolearn: arn:aws:iam::555555555555:role/dev\n  username: {{SessionName}}\n`;
    const path = writeManifestFile('broken.yaml', manifest({ mapRoles: broken }));
    const args = [
      'mapping',
      'create',
      '--file',
      path,
      '--arn',
      'arn:aws:iam::555555555555:role/x',
      '--username',
      'x',
    ];
    const refused = await runCli([...args, '--yes']);
    expect(refused.code).toBe(2);
    const forced = await runCli([...args, '--force', '--yes']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(
      'warning: mapRoles still does not parse, so the server reads none of its entries, this one included, until it is fixed (see mapping lint)\n',
    );
    expect(forced.stderr).not.toMatch(/\(node:\d+\)|Warning: Keys with collection values/);
    expect(refused.stderr).not.toMatch(/\(node:\d+\)/);
    expect(readFileSync(path, 'utf8')).toContain('role/x');
  });

  test('add role reads the reference prompt answer from stdin', async () => {
    const path = writeManifestFile('add.yaml', manifest({ mapRoles: NODE }));
    const result = await runCli(
      [
        'add',
        'role',
        '--file',
        path,
        '--rolearn',
        'arn:aws:iam::555555555555:role/R',
        '--username',
        'r',
        '--groups',
        'g',
      ],
      'y\n',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'Ready to "add role arn:aws:iam::555555555555:role/R", should we continue? [y/N]: ',
    );
    expect(readFileSync(path, 'utf8')).toContain('- rolearn: arn:aws:iam::555555555555:role/R');
  });
});

describe('mapping export', () => {
  test('plans access entries and lists what cannot be converted', async () => {
    const path = writeManifestFile(
      'export.yaml',
      manifest({
        mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Admin\n  username: admin\n  groups: [system:masters, viewers]\n- rolearn: arn:aws:iam::555555555555:role/Odd\n  username: odd-{{AccessKeyID}}\n- sso:\n    permissionSetName: Dev\n    accountID: "555555555555"\n  username: dev\n`,
        mapAccounts: '- "555555555555"\n',
      }),
    );
    const json = await runCli(['mapping', 'export', '--file', path, '--format', 'json']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as {
      accessEntries: {
        principalArn: string;
        type: string;
        policyArns: string[];
        kubernetesGroups: string[];
      }[];
      notConverted: string[];
    };
    expect(plan.accessEntries.map((e) => [e.principalArn, e.type])).toEqual([
      ['arn:aws:iam::555555555555:role/nodes', 'EC2_LINUX'],
      ['arn:aws:iam::555555555555:role/Admin', 'STANDARD'],
    ]);
    expect(plan.accessEntries[1]).toMatchObject({
      policyArns: ['arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'],
      kubernetesGroups: ['viewers'],
    });
    expect(plan.notConverted.join('\n')).toMatch(/AccessKeyID[\s\S]*sso Dev[\s\S]*mapAccounts 555555555555/);
    const terraform = await runCli(['mapping', 'export', '--file', path, '--format', 'terraform']);
    expect(terraform.stdout).toContain('resource "aws_eks_access_entry" "entry_0"');
    expect(terraform.stdout).toContain('type          = "EC2_LINUX"');
    const commands = await runCli(['mapping', 'export', '--file', path]);
    expect(commands.stdout).toContain(
      'aws eks create-access-entry --cluster-name "$CLUSTER" --principal-arn \'arn:aws:iam::555555555555:role/nodes\' --type EC2_LINUX',
    );
  });
});
