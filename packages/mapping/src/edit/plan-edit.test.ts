import { readFileSync, readdirSync } from 'node:fs';
import { AuthError } from '@iam-authenticator/core';
import { readManifest, writeManifestData } from './manifest.js';
import { planEdit } from './plan-edit.js';
import type { AwsAuthData, EditChange } from './plan-edit.js';
import { readYamlList } from './yaml-list-edit.js';

const FIXTURES = new URL('../../testdata/aws-auth/', import.meta.url);

const HAND_FORMATTED = `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth   # managed by hand
  namespace: kube-system
  labels: {team: platform}
data:
  # roles first
  mapRoles: |
    # node role: do not touch
    - rolearn: arn:aws:iam::555555555555:role/nodes
      username: 'system:node:{{EC2PrivateDNSName}}'
      groups: [system:bootstrappers, system:nodes]   # flow list
    -   roleARN: "arn:aws:iam::555555555555:role/Ops"
        UsErNaMe: "ops-{{SessionName}}"
        groups:
        - ops
        userid: AROAEXAMPLE
        extra: kept
    - sso:
        permissionSetName: Admin
        accountID: "555555555555"
      username: admin-{{SessionName}}
      groups:
        - system:masters

    # trailing comment
  mapUsers: |-
    - userarn: arn:aws:iam::555555555555:user/alice
      username: alice
  other: "keep me"
`;

function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml') && !name.includes('missing-bar'));
}

function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

const CREATE_ROLE: EditChange = {
  kind: 'create',
  target: { type: 'arn', key: 'mapRoles', field: 'rolearn', arn: 'arn:aws:iam::111122223333:role/New' },
  username: 'new:{{SessionName}}',
  groups: ['dev', 'view'],
};
const DELETE_ROLE: EditChange = {
  kind: 'delete',
  target: { type: 'arn', arn: 'arn:aws:iam::111122223333:role/New' },
};

function errorOf(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError');
}

describe('planEdit round trips', () => {
  const inputs: [string, string][] = [
    ...fixtureNames().map((name): [string, string] => [name, fixtureText(name)]),
    ['hand-formatted', HAND_FORMATTED],
  ];
  test.each(inputs)('%s survives create + delete byte for byte (data and manifest)', (_name, text) => {
    const data = readManifest(text).data;
    const created = planEdit(data, CREATE_ROLE);
    expect(created.noop).toBe(false);
    for (const key of Object.keys(data)) if (key !== 'mapRoles') expect(created.data[key]).toBe(data[key]);
    const roles = readYamlList(created.data.mapRoles);
    expect(roles[roles.length - 1]).toEqual({
      rolearn: 'arn:aws:iam::111122223333:role/New',
      username: 'new:{{SessionName}}',
      groups: ['dev', 'view'],
    });
    const deleted = planEdit(created.data, DELETE_ROLE);
    expect(deleted.data).toEqual(data);
    const manifest = writeManifestData(text, data, created.data);
    expect(readManifest(manifest).data).toEqual(created.data);
    expect(writeManifestData(manifest, created.data, deleted.data)).toBe(text);
  });

  test('create of a user and an account on the canonical fixture appends exactly one entry each', () => {
    const data = readManifest(fixtureText('aws-auth.yaml')).data;
    const user = planEdit(data, {
      kind: 'create',
      target: { type: 'arn', key: 'mapUsers', field: 'userarn', arn: 'arn:aws:iam::555555555555:user/bob' },
      username: 'bob',
    });
    expect(user.data.mapUsers).toBe(
      `${data.mapUsers ?? ''}- userarn: arn:aws:iam::555555555555:user/bob\n  username: bob\n`,
    );
    const account = planEdit(data, { kind: 'create', target: { type: 'account', account: '012345678901' } });
    expect(account.data.mapAccounts).toBe('- 555555555555\n- "012345678901"\n');
  });

  test('update keeps key spellings and unknown fields of the entry and touches nothing else', () => {
    const data = readManifest(HAND_FORMATTED).data;
    const plan = planEdit(data, {
      kind: 'update',
      arn: 'arn:aws:iam::555555555555:role/ops',
      addGroups: ['view'],
      username: 'ops',
    });
    const roles = readYamlList(plan.data.mapRoles) as Record<string, unknown>[];
    expect(roles[1]).toEqual({
      roleARN: 'arn:aws:iam::555555555555:role/Ops',
      UsErNaMe: 'ops',
      groups: ['ops', 'view'],
      userid: 'AROAEXAMPLE',
      extra: 'kept',
    });
    expect(roles[0]).toEqual(readYamlList(data.mapRoles)[0]);
    expect(plan.data.mapRoles).toContain('# node role: do not touch');
    expect(plan.data.mapRoles).toContain('# trailing comment');
  });
});

describe('planEdit refusals', () => {
  const canonical: AwsAuthData = readManifest(fixtureText('aws-auth.yaml')).data;
  test('a map that does not parse is refused, --force edits it', () => {
    const broken = { ...canonical, mapUsers: '- userarn: x\n username: [' };
    const error = errorOf(() => planEdit(broken, CREATE_ROLE));
    expect(error.reason).toBe('mapping_parse_failed');
    expect(error.message).toMatch(/mapUsers.*not valid YAML/);
    expect(planEdit(broken, CREATE_ROLE, { force: true }).data.mapUsers).toBe(broken.mapUsers);
  });
  test('a map with a repeated key is refused on one line that names the key, line and column', () => {
    const repeated = {
      ...canonical,
      mapRoles:
        '- rolearn: arn:aws:iam::555555555555:role/a\n  rolearn: arn:aws:iam::555555555555:role/b\n  username: a\n',
    };
    const error = errorOf(() => planEdit(repeated, CREATE_ROLE));
    expect(error.reason).toBe('mapping_parse_failed');
    expect(error.message).toBe('mapRoles: yaml error: Map keys must be unique at line 2, column 3');
  });
  test('a map with a second yaml document is refused on one line', () => {
    const twoDocs = {
      ...canonical,
      mapRoles: '- rolearn: arn:aws:iam::555555555555:role/a\n---\n- rolearn: x\n',
    };
    const error = errorOf(() => planEdit(twoDocs, CREATE_ROLE));
    expect(error.message).toBe(
      'mapRoles: a second yaml document starts at line 2 (---); the server reads only the first, so remove it before editing',
    );
  });
  test('a duplicate arn (other case, with a path) is refused; an identical entry is a no-op', () => {
    const data = planEdit(canonical, CREATE_ROLE).data;
    const dup = errorOf(() =>
      planEdit(data, {
        ...CREATE_ROLE,
        target: {
          type: 'arn',
          key: 'mapRoles',
          field: 'rolearn',
          arn: 'arn:aws:iam::111122223333:role/team/NEW',
        },
        groups: ['x'],
      }),
    );
    expect(dup.reason).toBe('mapping_conflict');
    expect(dup.message).toContain('a mapping for this identity exists');
    // The advice names the command that has the flag (`add` has no --allow-duplicate).
    expect(dup.message).toMatch(/; use mapping update, or mapping create --allow-duplicate$/);
    const same = planEdit(data, { ...CREATE_ROLE, groups: ['view', 'dev'] });
    expect(same.noop).toBe(true);
    expect(same.data).toBe(data);
    const allowed = planEdit(data, { ...CREATE_ROLE, groups: ['other'], allowDuplicate: true });
    expect(allowed.warnings[0]).toContain('the last entry wins');
  });
  test('an SSO entry whose accountID YAML read as a number (leading zero lost) is still a duplicate', () => {
    const data: AwsAuthData = {
      mapRoles:
        '- sso:\n    permissionSetName: Admin\n    accountID: 012345678901\n  username: admin\n  groups: [system:masters]\n',
    };
    const dup = errorOf(() =>
      planEdit(data, {
        kind: 'create',
        target: { type: 'sso', sso: { permissionSetName: 'Admin', accountID: '012345678901' } },
        username: 'viewer',
        groups: ['viewers'],
      }),
    );
    expect(dup.reason).toBe('mapping_conflict');
  });
  test('delete --all that matches nothing is a no-op success, as eksctl; without --all it is not found', () => {
    const arn = 'arn:aws:iam::555555555555:role/nothere';
    const all = planEdit(canonical, { kind: 'delete', target: { type: 'arn', arn }, all: true });
    expect(all.noop).toBe(true);
    expect(all.summary).toEqual([`no mapping with arn "${arn}" in aws-auth; nothing to do`]);
    const account = planEdit(canonical, {
      kind: 'delete',
      target: { type: 'account', account: '999999999999' },
      all: true,
    });
    expect(account.noop).toBe(true);
    expect(errorOf(() => planEdit(canonical, { kind: 'delete', target: { type: 'arn', arn } })).reason).toBe(
      'mapping_not_found',
    );
  });
  test('delete --all removes every match in mapRoles and mapUsers at once, as eksctl', () => {
    const arn = 'arn:aws:iam::555555555555:role/x';
    const data: AwsAuthData = {
      mapRoles: `- rolearn: ${arn}\n  username: x1\n- rolearn: arn:aws:iam::555555555555:role/y\n  username: why\n- rolearn: ${arn}\n  username: x2\n`,
      mapUsers: `# users\n- userarn: ${arn}\n  username: x3\n- userarn: arn:aws:iam::555555555555:user/admin\n  username: admin\n`,
    };
    const all = planEdit(data, { kind: 'delete', target: { type: 'arn', arn }, all: true });
    expect(all.data).toEqual({
      mapRoles: '- rolearn: arn:aws:iam::555555555555:role/y\n  username: why\n',
      mapUsers: '# users\n- userarn: arn:aws:iam::555555555555:user/admin\n  username: admin\n',
    });
    expect(all.summary).toHaveLength(3);
    expect(all.warnings).toEqual([]);
    const first = planEdit(data, { kind: 'delete', target: { type: 'arn', arn } });
    expect(first.data.mapUsers).toBe(data.mapUsers);
    expect(first.data.mapRoles).not.toContain('username: x1');
    expect(first.warnings).toEqual([
      `there are 2 mappings left with the same arn "${arn}" (use --all to delete them)`,
    ]);
  });
  test('removing a node role needs force', () => {
    const arn = 'arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6';
    const error = errorOf(() => planEdit(canonical, { kind: 'delete', target: { type: 'arn', arn } }));
    expect(error.reason).toBe('mapping_refused');
    // The whole message fits the 200 characters, so the entry and the advice are not cut off.
    expect(error.message).toBe(
      'refusing to remove the mapRoles entry with username "system:node:{{EC2PrivateDNSName}}": it carries system:bootstrappers, system:nodes, so nodes would lose access (--force overrides)',
    );
    expect(
      planEdit(canonical, { kind: 'delete', target: { type: 'arn', arn } }, { force: true }).data.mapRoles,
    ).toBeUndefined();
    const update = errorOf(() =>
      planEdit(canonical, { kind: 'update', arn, removeGroups: ['system:nodes'] }),
    );
    expect(update.reason).toBe('mapping_refused');
    expect(update.message).toBe(
      'refusing to remove system:nodes from the mapRoles entry with username "system:node:{{EC2PrivateDNSName}}": nodes would lose access (--force overrides)',
    );
  });
  test('a delete that matches nothing is mapping_not_found', () => {
    expect(errorOf(() => planEdit(canonical, DELETE_ROLE)).reason).toBe('mapping_not_found');
    expect(
      errorOf(() =>
        planEdit(canonical, { kind: 'delete', target: { type: 'account', account: '999999999999' } }),
      ).reason,
    ).toBe('mapping_not_found');
  });
  test('neither username nor groups is a usage error', () => {
    expect(errorOf(() => planEdit(canonical, { ...CREATE_ROLE, username: '', groups: [] })).reason).toBe(
      'usage_error',
    );
  });
});
