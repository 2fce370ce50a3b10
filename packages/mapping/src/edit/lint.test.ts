import { readFileSync } from 'node:fs';
import { lintAwsAuth } from './lint.js';
import { readManifest } from './manifest.js';

const NODE = `- rolearn: arn:aws:iam::555555555555:role/nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
`;

function fixture(name: string): Record<string, string> {
  return {
    ...readManifest(readFileSync(new URL(`../../testdata/aws-auth/${name}`, import.meta.url), 'utf8')).data,
  };
}

interface Row {
  readonly name: string;
  readonly data: Record<string, string>;
  /** code@key[:line] of the findings expected (others may exist only when listed). */
  readonly codes: readonly string[];
  readonly exit: 0 | 1 | 2;
}

const TABLE: Row[] = [
  { name: 'clean node role only', data: { mapRoles: NODE }, codes: [], exit: 0 },
  {
    name: 'yaml syntax error, with its line',
    data: {
      mapRoles: NODE,
      mapUsers: '- userarn: arn:aws:iam::555555555555:user/a\n  username: a\n\tgroups: [x]\n',
    },
    codes: ['yaml-syntax@mapUsers:3'],
    exit: 2,
  },
  {
    name: 'wrong top-key case',
    data: { mapRoles: NODE, maproles: NODE },
    codes: ['parse@maproles'],
    exit: 1,
  },
  {
    name: 'assumed-role arn',
    data: {
      mapRoles: `${NODE}- rolearn: arn:aws:sts::555555555555:assumed-role/Dev/alice\n  username: dev\n`,
    },
    codes: ['assumed-role@mapRoles:6'],
    exit: 1,
  },
  {
    name: 'sts role arn and bad grammar never match',
    data: {
      mapRoles: `${NODE}- rolearn: arn:aws:sts::555555555555:role/Dev\n  username: dev\n- rolearn: arn:aws:iam:555555555555:role/Dev\n  username: dev\n`,
    },
    codes: ['never-matches@mapRoles:6', 'never-matches@mapRoles:8'],
    exit: 2,
  },
  {
    name: 'role path',
    data: { mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/team/Dev\n  username: dev\n` },
    codes: ['role-path@mapRoles:6'],
    exit: 1,
  },
  {
    name: 'duplicates and which wins',
    data: {
      mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Dev\n  username: a\n- rolearn: arn:aws:iam::555555555555:role/dev\n  username: b\n`,
    },
    codes: ['parse@mapRoles:6'],
    exit: 1,
  },
  {
    name: 'unquoted leading {{…}}',
    data: { mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Dev\n  username: {{SessionName}}\n` },
    codes: ['unquoted-template@mapRoles:7'],
    exit: 2,
  },
  {
    name: 'space out of place (fixture)',
    data: fixture('aws-auth-space-out-of-place.yaml'),
    codes: ['swallowed-item@mapRoles:1'],
    exit: 2,
  },
  {
    name: 'empty username',
    data: { mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Dev\n  groups: [dev]\n` },
    codes: ['empty-username@mapRoles:6'],
    exit: 1,
  },
  {
    name: 'system:masters grant',
    data: {
      mapRoles: NODE,
      mapUsers: '- userarn: arn:aws:iam::555555555555:user/a\n  username: a\n  groups: [system:masters]\n',
    },
    codes: ['system-masters@mapUsers:1'],
    exit: 1,
  },
  {
    name: '{{AccessKeyID}} in a username',
    data: {
      mapRoles: NODE,
      mapUsers: '- userarn: arn:aws:iam::555555555555:user/a\n  username: a-{{AccessKeyID}}\n',
    },
    codes: ['access-key-template@mapUsers:1'],
    exit: 1,
  },
  {
    name: '{{SessionName}} on a role',
    data: {
      mapRoles: `${NODE}- rolearn: arn:aws:iam::555555555555:role/Dev\n  username: dev-{{SessionName}}\n`,
    },
    codes: ['session-name@mapRoles:6'],
    exit: 1,
  },
  {
    name: 'missing node role',
    data: { mapUsers: '- userarn: arn:aws:iam::555555555555:user/a\n  username: a\n' },
    codes: ['no-node-role@mapRoles'],
    exit: 1,
  },
  {
    name: 'sso entry and its matcher',
    data: {
      mapRoles: `${NODE}- sso:\n    permissionSetName: Admin\n    accountID: "555555555555"\n  username: admin\n`,
    },
    codes: ['sso@mapRoles:6'],
    exit: 0,
  },
  {
    name: 'over 1 MiB',
    data: { mapRoles: NODE, big: 'x'.repeat(1024 * 1024) },
    codes: ['size@data'],
    exit: 2,
  },
];

describe('lintAwsAuth', () => {
  test.each(TABLE)('$name', ({ data, codes, exit }) => {
    const report = lintAwsAuth(data);
    const got = report.findings.map((f) => `${f.code}@${f.key}${f.line === undefined ? '' : `:${f.line}`}`);
    for (const code of codes) expect(got).toContain(code);
    if (codes.length === 0) expect(got).toEqual([]);
    expect(report.exitCode).toBe(exit);
  });
});
