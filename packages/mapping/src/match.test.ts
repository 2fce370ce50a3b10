import type { Identity } from '@iam-authenticator/token';
import type { BackendName, MappingBackend } from './backends/backend.js';
import type { Ec2DnsResolver } from './ec2-dns-resolver.js';
import { buildMappingIndex } from './mapping-index.js';
import { matchIdentity } from './match.js';
import type { MatchOptions } from './match.js';
import type { MappingSet, RoleMapping, UserMapping } from './model.js';
import { parseAwsAuth } from './parse-aws-auth.js';

const ACCT = '111122223333';

function roleCaller(role: string, session = 'alice', account = ACCT, partition = 'aws'): Identity {
  return {
    arn: `arn:${partition}:sts::${account}:assumed-role/${role}/${session}`,
    canonicalArn: `arn:${partition}:iam::${account}:role/${role}`,
    accountId: account,
    userId: 'AROAEXAMPLE',
    sessionName: session,
    accessKeyId: 'ASIAEXAMPLE',
    stsEndpoint: 'sts.amazonaws.com',
    principalId: `AROAEXAMPLE:${session}`,
  };
}

function userCaller(user: string, account = ACCT): Identity {
  return {
    arn: `arn:aws:iam::${account}:user/${user}`,
    canonicalArn: `arn:aws:iam::${account}:user/${user}`,
    accountId: account,
    userId: 'AIDAEXAMPLE',
    sessionName: '',
    accessKeyId: 'AKIAEXAMPLE',
    stsEndpoint: 'sts.amazonaws.com',
    principalId: 'AIDAEXAMPLE',
  };
}

function backend(set: Partial<MappingSet>, name: BackendName = 'EKSConfigMap'): MappingBackend {
  const snapshot: MappingSet = { mapRoles: [], mapUsers: [], mapAccounts: [], ...set };
  return {
    name,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    current: () => snapshot,
    status: () => ({
      name,
      synced: true,
      counts: {
        roles: snapshot.mapRoles.length,
        users: snapshot.mapUsers.length,
        accounts: snapshot.mapAccounts.length,
      },
      issues: [],
    }),
  };
}

const role = (rolearn: string, username = 'u', groups: string[] = []): RoleMapping => ({
  rolearn,
  username,
  groups,
});
const user = (userarn: string, username = 'u', groups: string[] = []): UserMapping => ({
  userarn,
  username,
  groups,
});
const sso = (
  permissionSetName: string,
  username: string,
  partition?: string,
  accountID = ACCT,
): RoleMapping => ({
  sso: { permissionSetName, accountID, ...(partition === undefined ? {} : { partition }) },
  username,
  groups: [],
});

async function mapped(identity: Identity, backends: MappingBackend[], options: MatchOptions = {}) {
  const result = await matchIdentity(identity, backends, options);
  return result.mapped;
}

describe('matchIdentity: rules inside one backend', () => {
  const table: {
    name: string;
    caller: Identity;
    set: Partial<MappingSet>;
    username: string | undefined;
    rule?: string;
  }[] = [
    {
      name: 'exact role ARN',
      caller: roleCaller('Dev'),
      set: { mapRoles: [role(`arn:aws:iam::${ACCT}:role/Dev`, 'dev')] },
      username: 'dev',
      rule: 'role-arn',
    },
    {
      name: 'role ARN compared case-insensitively (aia#220)',
      caller: roleCaller('Dev'),
      set: { mapRoles: [role(`ARN:AWS:IAM::${ACCT}:ROLE/dev`, 'dev')] },
      username: 'dev',
      rule: 'role-arn',
    },
    {
      name: 'role ARN written with a path (aia#268)',
      caller: roleCaller('x'),
      set: { mapRoles: [role(`arn:aws:iam::${ACCT}:role/team/x`, 'x')] },
      username: 'x',
      rule: 'role-arn-without-path',
    },
    {
      name: 'role with a deep path',
      caller: roleCaller('x'),
      set: { mapRoles: [role(`arn:aws:iam::${ACCT}:role/a/b/c/x`, 'x')] },
      username: 'x',
      rule: 'role-arn-without-path',
    },
    {
      name: 'SSO role ARN copied from IAM with the aws-reserved path',
      caller: roleCaller('AWSReservedSSO_Admin_0123456789abcdef'),
      set: {
        mapRoles: [
          role(
            `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef`,
            'admin',
          ),
        ],
      },
      username: 'admin',
      rule: 'role-arn-without-path',
    },
    {
      name: 'path on the mapping side does not match another role name',
      caller: roleCaller('y'),
      set: { mapRoles: [role(`arn:aws:iam::${ACCT}:role/team/x`, 'x')] },
      username: undefined,
    },
    {
      name: 'assumed-role ARN written in rolearn (aia#328)',
      caller: roleCaller('Dev'),
      set: { mapRoles: [role(`arn:aws:sts::${ACCT}:assumed-role/Dev/someone-else`, 'dev')] },
      username: 'dev',
      rule: 'role-assumed-role-arn',
    },
    {
      name: 'rolearn with the sts service and role/ never matches',
      caller: roleCaller('Dev'),
      set: { mapRoles: [role(`arn:aws:sts::${ACCT}:role/Dev`, 'dev')] },
      username: undefined,
    },
    {
      name: 'role in another account does not match',
      caller: roleCaller('Dev'),
      set: { mapRoles: [role('arn:aws:iam::999999999999:role/Dev', 'dev')] },
      username: undefined,
    },
    {
      name: 'exact user ARN',
      caller: userCaller('alice'),
      set: { mapUsers: [user(`arn:aws:iam::${ACCT}:user/alice`, 'alice')] },
      username: 'alice',
      rule: 'user-arn',
    },
    {
      name: 'user ARN with a path (STS returns the path for users)',
      caller: userCaller('ops/alice'),
      set: { mapUsers: [user(`arn:aws:iam::${ACCT}:user/ops/alice`, 'alice')] },
      username: 'alice',
      rule: 'user-arn',
    },
    {
      name: 'a role ARN listed under mapUsers works (aia#328 workaround)',
      caller: roleCaller('Dev'),
      set: { mapUsers: [user(`arn:aws:iam::${ACCT}:role/Dev`, 'dev-as-user')] },
      username: 'dev-as-user',
      rule: 'user-arn',
    },
    {
      name: 'an assumed-role ARN in mapUsers is canonicalised',
      caller: roleCaller('Dev'),
      set: { mapUsers: [user(`arn:aws:sts::${ACCT}:assumed-role/Dev/x`, 'dev-u')] },
      username: 'dev-u',
      rule: 'user-assumed-role-arn',
    },
    {
      name: 'root ARN in mapUsers',
      caller: {
        ...userCaller('x'),
        arn: `arn:aws:iam::${ACCT}:root`,
        canonicalArn: `arn:aws:iam::${ACCT}:root`,
      },
      set: { mapUsers: [user(`arn:aws:iam::${ACCT}:root`, 'root')] },
      username: 'root',
      rule: 'user-arn',
    },
    {
      name: 'mapAccounts: canonical ARN in original case as username',
      caller: roleCaller('DevTeam'),
      set: { mapAccounts: [ACCT] },
      username: `arn:aws:iam::${ACCT}:role/DevTeam`,
      rule: 'account',
    },
    {
      name: 'mapAccounts needs the exact 12-digit text',
      caller: roleCaller('Dev', 's', '011122223333'),
      set: { mapAccounts: ['11122223333'] },
      username: undefined,
    },
  ];
  it.each(table)('$name', async ({ caller, set, username, rule }) => {
    const result = await matchIdentity(caller, [backend(set)], {});
    expect(result.mapped?.username).toBe(username);
    if (rule !== undefined) expect(result.mapped?.rule).toBe(rule);
    if (username === undefined) expect(result.denyReason).toBe('identity_unmapped');
  });

  it('order: exact beats path-insensitive, whatever the entry order', async () => {
    const set = {
      mapRoles: [
        role(`arn:aws:iam::${ACCT}:role/x`, 'exact'),
        role(`arn:aws:iam::${ACCT}:role/team/x`, 'path'),
      ],
    };
    expect((await mapped(roleCaller('x'), [backend(set)]))?.username).toBe('exact');
    const reversed = { mapRoles: [...set.mapRoles].reverse() };
    expect((await mapped(roleCaller('x'), [backend(reversed)]))?.username).toBe('exact');
  });

  it('order: path-insensitive beats assumed-role, assumed-role beats sso, sso beats users, users beat accounts', async () => {
    const all: Partial<MappingSet> = {
      mapRoles: [
        sso('Admin', 'by-sso'),
        role(`arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/s`, 'by-assumed'),
        role(`arn:aws:iam::${ACCT}:role/p/AWSReservedSSO_Admin_0123456789abcdef`, 'by-path'),
      ],
      mapUsers: [user(`arn:aws:iam::${ACCT}:role/AWSReservedSSO_Admin_0123456789abcdef`, 'by-user')],
      mapAccounts: [ACCT],
    };
    const caller = roleCaller('AWSReservedSSO_Admin_0123456789abcdef');
    const expectations: [Partial<MappingSet>, string][] = [
      [all, 'by-path'],
      [{ ...all, mapRoles: all.mapRoles?.slice(0, 2) ?? [] }, 'by-assumed'],
      [{ ...all, mapRoles: all.mapRoles?.slice(0, 1) ?? [] }, 'by-sso'],
      [{ ...all, mapRoles: [] }, 'by-user'],
      [{ ...all, mapRoles: [], mapUsers: [] }, caller.canonicalArn],
    ];
    for (const [set, username] of expectations) {
      expect((await mapped(caller, [backend(set)]))?.username).toBe(username);
    }
  });

  it('trace: false gives the same outcomes with no trace steps', async () => {
    const all: Partial<MappingSet> = {
      mapRoles: [role(`arn:aws:iam::${ACCT}:role/p/Dev`, 'by-path')],
      mapUsers: [user(`arn:aws:iam::${ACCT}:user/alice`, 'alice')],
      mapAccounts: [ACCT],
    };
    const callers = [roleCaller('Dev'), roleCaller('Other'), userCaller('alice'), userCaller('bob')];
    for (const caller of callers) {
      const traced = await matchIdentity(caller, [backend(all)]);
      const bare = await matchIdentity(caller, [backend(all)], { trace: false });
      expect(bare.mapped).toEqual(traced.mapped);
      expect(bare.denyReason).toBe(traced.denyReason);
      expect(traced.trace.length).toBeGreaterThan(0);
      expect(bare.trace).toEqual([]);
    }
    const nowhere = await matchIdentity(roleCaller('Dev'), [backend({})], { trace: false });
    expect(nowhere).toMatchObject({ mapped: undefined, denyReason: 'identity_unmapped', trace: [] });
  });

  it('roles before users for the same ARN', async () => {
    const arn = `arn:aws:iam::${ACCT}:role/Dev`;
    const result = await mapped(roleCaller('Dev'), [
      backend({ mapUsers: [user(arn, 'as-user')], mapRoles: [role(arn, 'as-role')] }),
    ]);
    expect(result).toMatchObject({ username: 'as-role', entry: { key: 'mapRoles', index: 0 } });
  });

  it('duplicates: the last entry wins, case-insensitively, for roles and users', async () => {
    const set = {
      mapRoles: [
        role(`arn:aws:iam::${ACCT}:role/Dev`, 'first', ['system:masters']),
        role(`arn:aws:iam::${ACCT}:role/dev`, 'second', ['view']),
      ],
      mapUsers: [user(`arn:aws:iam::${ACCT}:user/Alice`, 'A'), user(`arn:aws:iam::${ACCT}:user/alice`, 'a')],
    };
    expect(await mapped(roleCaller('Dev'), [backend(set)])).toMatchObject({
      username: 'second',
      groups: ['view'],
      entry: { key: 'mapRoles', index: 1 },
    });
    expect((await mapped(userCaller('alice'), [backend(set)]))?.username).toBe('a');
    expect((await mapped(userCaller('ALICE'), [backend(set)]))?.username).toBe('a');
  });
});

describe('matchIdentity: SSO permission sets', () => {
  const HEX = '0123456789abcdef';
  const cases: { name: string; caller: Identity; entries: RoleMapping[]; username: string | undefined }[] = [
    {
      name: 'matches the permission set',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`),
      entries: [sso('Admin', 'admin')],
      username: 'admin',
    },
    {
      name: 'case-insensitive on both sides',
      caller: roleCaller(`awsreservedsso_ADMIN_${HEX.toUpperCase()}`),
      entries: [sso('admin', 'admin')],
      username: 'admin',
    },
    {
      name: 'Admin does not overmatch Admin_ReadOnly',
      caller: roleCaller(`AWSReservedSSO_Admin_ReadOnly_${HEX}`),
      entries: [sso('Admin', 'admin')],
      username: undefined,
    },
    {
      name: 'Admin_ReadOnly matches its own entry next to Admin',
      caller: roleCaller(`AWSReservedSSO_Admin_ReadOnly_${HEX}`),
      entries: [sso('Admin', 'admin'), sso('Admin_ReadOnly', 'ro')],
      username: 'ro',
    },
    {
      name: 'needs exactly 16 hex characters',
      caller: roleCaller('AWSReservedSSO_Admin_0123456789abcde'),
      entries: [sso('Admin', 'admin')],
      username: undefined,
    },
    {
      name: 'rejects a non-hex suffix',
      caller: roleCaller('AWSReservedSSO_Admin_0123456789abcdeg'),
      entries: [sso('Admin', 'admin')],
      username: undefined,
    },
    {
      name: 'explicit partition aws works (the reference bug is fixed)',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`),
      entries: [sso('Admin', 'admin', 'aws')],
      username: 'admin',
    },
    {
      name: 'explicit partition aws-cn matches a China caller',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`, 's', ACCT, 'aws-cn'),
      entries: [sso('Admin', 'cn-admin', 'aws-cn')],
      username: 'cn-admin',
    },
    {
      name: 'aws-us-gov entry does not match a commercial caller',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`),
      entries: [sso('Admin', 'gov', 'aws-us-gov')],
      username: undefined,
    },
    {
      name: 'a default-partition entry does not match a GovCloud caller',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`, 's', ACCT, 'aws-us-gov'),
      entries: [sso('Admin', 'admin')],
      username: undefined,
    },
    {
      name: 'account must match',
      caller: roleCaller(`AWSReservedSSO_Admin_${HEX}`, 's', '999999999999'),
      entries: [sso('Admin', 'admin')],
      username: undefined,
    },
    {
      name: 'a caller ARN with the aws-reserved path matches too',
      caller: {
        ...roleCaller('x'),
        canonicalArn: `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_${HEX}`,
      },
      entries: [sso('Admin', 'admin')],
      username: 'admin',
    },
    {
      name: 'permission set names with + = , . @ -',
      caller: roleCaller(`AWSReservedSSO_a+b=c,d.e@f-g_${HEX}`),
      entries: [sso('a+b=c,d.e@f-g', 'odd')],
      username: 'odd',
    },
  ];
  it.each(cases)('$name', async ({ caller, entries, username }) => {
    expect((await mapped(caller, [backend({ mapRoles: entries })]))?.username).toBe(username);
  });

  it('ssoRoleMatch: false disables sso entries, and the trace says so', async () => {
    const result = await matchIdentity(
      roleCaller(`AWSReservedSSO_Admin_${HEX}`),
      [backend({ mapRoles: [sso('Admin', 'a')] })],
      {
        ssoRoleMatch: false,
      },
    );
    expect(result.mapped).toBeUndefined();
    expect(result.trace.find((s) => s.rule === 'role-sso')).toMatchObject({
      outcome: 'skipped',
      detail: 'sso role matching is off',
    });
  });

  it('parsed sso entries match', async () => {
    const parsed = parseAwsAuth({
      mapRoles: `- sso:\n    permissionSetName: Admin\n    accountID: "${ACCT}"\n  username: "sso:{{SessionName}}"\n  groups: [g]\n`,
    });
    expect(
      await mapped(roleCaller(`AWSReservedSSO_Admin_${HEX}`, 'jane@example.com'), [backend(parsed.mappings)]),
    ).toMatchObject({
      username: 'sso:jane-example.com',
      groups: ['g'],
      rule: 'role-sso',
    });
  });
});

describe('matchIdentity: backends, templates, reserved prefixes', () => {
  const devArn = `arn:aws:iam::${ACCT}:role/Dev`;

  it('the first backend that maps wins; accounts are checked before the next backend', async () => {
    const first = backend({ mapAccounts: [ACCT] }, 'MountedFile');
    const second = backend({ mapRoles: [role(devArn, 'from-configmap')] }, 'EKSConfigMap');
    expect(await mapped(roleCaller('Dev'), [first, second])).toMatchObject({
      username: devArn,
      backend: 'MountedFile',
      rule: 'account',
      groups: [],
      entry: { key: 'mapAccounts', index: 0 },
    });
    expect(await mapped(roleCaller('Dev'), [second, first])).toMatchObject({
      username: 'from-configmap',
      backend: 'EKSConfigMap',
    });
  });

  it('falls through to a later backend when earlier ones miss', async () => {
    const result = await matchIdentity(
      roleCaller('Dev'),
      [backend({}, 'MountedFile'), backend({ mapRoles: [role(devArn, 'dyn')] }, 'DynamicFile')],
      {},
    );
    expect(result.mapped).toMatchObject({ username: 'dyn', backend: 'DynamicFile' });
    expect(result.trace.filter((s) => s.backend === 'MountedFile').every((s) => s.outcome === 'miss')).toBe(
      true,
    );
  });

  it('renders every placeholder in the reference order', async () => {
    const set = {
      mapRoles: [
        role(devArn, 'u-{{AccountID}}-{{SessionName}}-{{SessionNameRaw}}-{{AccessKeyID}}-{{Unknown}}', [
          'g-{{SessionName}}',
          'plain',
        ]),
      ],
    };
    expect(await mapped(roleCaller('Dev', 'jdoe@example.com'), [backend(set)])).toMatchObject({
      username: `u-${ACCT}-jdoe-example.com-jdoe@example.com-ASIAEXAMPLE-{{Unknown}}`,
      groups: ['g-jdoe-example.com', 'plain'],
    });
  });

  it('a render error denies with mapping_render_failed and does not fall through', async () => {
    const first = backend({ mapRoles: [role(devArn, 'system:node:{{EC2PrivateDNSName}}')] }, 'EKSConfigMap');
    const second = backend({ mapRoles: [role(devArn, 'fallback')] }, 'DynamicFile');
    const result = await matchIdentity(roleCaller('Dev', 'not-an-instance'), [first, second], {});
    expect(result.mapped).toBeUndefined();
    expect(result.denyReason).toBe('mapping_render_failed');
    expect(result.denyDetail).toMatch(/session name must be an instance id.*"not-an-instance"/);
    expect(result.trace.at(-1)).toMatchObject({
      rule: 'render',
      outcome: 'rejected',
      entry: { key: 'mapRoles', index: 0 },
    });
  });

  it('EC2PrivateDNSName is resolved through the injected resolver', async () => {
    const asked: string[] = [];
    const ec2: Ec2DnsResolver = {
      resolve: (id) => {
        asked.push(id);
        return Promise.resolve('ip-10-0-0-1.ec2.internal');
      },
      close: () => undefined,
    };
    const set = {
      mapRoles: [
        role(devArn, 'system:node:{{EC2PrivateDNSName}}', ['system:nodes', 'n-{{EC2PrivateDNSName}}']),
      ],
    };
    expect(await mapped(roleCaller('Dev', 'i-0123456789abcdef0'), [backend(set)], { ec2 })).toMatchObject({
      username: 'system:node:ip-10-0-0-1.ec2.internal',
      groups: ['system:nodes', 'n-ip-10-0-0-1.ec2.internal'],
    });
    expect(asked).toEqual(['i-0123456789abcdef0']);
  });

  it('reserved prefixes apply per backend to the rendered username only', async () => {
    const set = { mapRoles: [role(devArn, 'sys{{SessionName}}', ['system:masters'])] };
    const options: MatchOptions = {
      reservedPrefixes: { EKSConfigMap: ['', 'system:'], DynamicFile: ['eks:'] },
    };
    const denied = await matchIdentity(roleCaller('Dev', 'tem:x'), [backend(set, 'EKSConfigMap')], options);
    expect(denied).toMatchObject({ mapped: undefined, denyReason: 'username_reserved' });
    expect(denied.denyDetail).toContain('"system:x"');
    expect(await mapped(roleCaller('Dev', 'tem:x'), [backend(set, 'DynamicFile')], options)).toMatchObject({
      username: 'system:x',
      groups: ['system:masters'],
    });
  });

  it('mapAccounts skips templates and reserved prefixes', async () => {
    const result = await mapped(roleCaller('Dev'), [backend({ mapAccounts: [ACCT] })], {
      reservedPrefixes: { EKSConfigMap: ['arn:'] },
    });
    expect(result?.username).toBe(devArn);
  });
});

describe('matchIdentity: trace', () => {
  it('names every rule tried, the match, and the shadowed duplicates', async () => {
    const set = {
      mapRoles: [
        role(`arn:aws:iam::${ACCT}:role/Dev`, 'old'),
        role(`arn:aws:iam::${ACCT}:role/x`),
        role(`arn:aws:iam::${ACCT}:role/dev`, 'new'),
      ],
    };
    const result = await matchIdentity(roleCaller('Dev'), [backend({}, 'MountedFile'), backend(set)], {});
    expect(result.trace.map((s) => `${s.backend} ${s.rule} ${s.outcome}`)).toEqual([
      'MountedFile role-arn miss',
      'MountedFile role-arn-without-path miss',
      'MountedFile role-assumed-role-arn miss',
      'MountedFile role-sso miss',
      'MountedFile user-arn miss',
      'MountedFile user-assumed-role-arn miss',
      'MountedFile account miss',
      'EKSConfigMap role-arn matched',
      'EKSConfigMap role-arn shadowed',
    ]);
    expect(result.trace[7]).toEqual({
      backend: 'EKSConfigMap',
      rule: 'role-arn',
      outcome: 'matched',
      lookup: `arn:aws:iam::${ACCT}:role/dev`,
      entry: { key: 'mapRoles', index: 2 },
      detail: 'rolearn equals the canonical ARN (case-insensitive)',
    });
    expect(result.trace[8]).toMatchObject({
      entry: { key: 'mapRoles', index: 0 },
      detail: 'same key as mapRoles[2], which comes later and wins',
    });
  });

  it('explain lists the lower-precedence hits as not-reached', async () => {
    const set = {
      mapRoles: [role(`arn:aws:iam::${ACCT}:role/p/Dev`, 'path')],
      mapUsers: [user(`arn:aws:iam::${ACCT}:role/Dev`)],
      mapAccounts: [ACCT],
    };
    const result = await matchIdentity(
      roleCaller('Dev'),
      [backend(set), backend({ mapAccounts: [ACCT] }, 'DynamicFile')],
      {
        explain: true,
      },
    );
    expect(result.mapped?.rule).toBe('role-arn-without-path');
    expect(
      result.trace.filter((s) => s.outcome !== 'miss').map((s) => `${s.backend} ${s.rule} ${s.outcome}`),
    ).toEqual([
      'EKSConfigMap role-arn-without-path matched',
      'EKSConfigMap user-arn not-reached',
      'EKSConfigMap account not-reached',
      'DynamicFile account not-reached',
    ]);
  });

  it('an unmapped identity explains each miss', async () => {
    const result = await matchIdentity(
      userCaller('bob'),
      [backend({ mapUsers: [user(`arn:aws:iam::${ACCT}:user/alice`)] })],
      {},
    );
    expect(result.denyReason).toBe('identity_unmapped');
    expect(result.denyDetail).toBe(`no mapping for "arn:aws:iam::${ACCT}:user/bob" in EKSConfigMap`);
    expect(result.trace.find((s) => s.rule === 'user-arn')).toMatchObject({
      outcome: 'miss',
      detail: 'no mapUsers entry with this userarn',
    });
    expect(result.trace.find((s) => s.rule === 'role-sso')?.detail).toBe(
      'the caller is not an AWSReservedSSO_<set>_<16 hex> role',
    );
  });
});

describe('matchIdentity: userIDStrict snapshots (DynamicFile)', () => {
  const strict = (set: Partial<MappingSet>): MappingBackend =>
    backend({ ...set, userIdStrict: true }, 'DynamicFile');

  it('looks entries up by userid', async () => {
    const set = { mapRoles: [{ userid: 'AROAEXAMPLE', username: 'by-id', groups: [] }] };
    expect(await mapped(roleCaller('Anything'), [strict(set)])).toMatchObject({
      username: 'by-id',
      rule: 'role-userid',
    });
  });

  it('a path-stripped ARN must equal the caller, else the entry is rejected and the chain moves on', async () => {
    const ok = {
      mapRoles: [
        { userid: 'AROAEXAMPLE', rolearn: `arn:aws:iam::${ACCT}:role/team/Dev`, username: 'ok', groups: [] },
      ],
    };
    expect((await mapped(roleCaller('Dev'), [strict(ok)]))?.username).toBe('ok');
    const bad = {
      mapRoles: [
        { userid: 'AROAEXAMPLE', rolearn: `arn:aws:iam::${ACCT}:role/Other`, username: 'bad', groups: [] },
      ],
      mapAccounts: [ACCT],
    };
    const result = await matchIdentity(
      roleCaller('Dev'),
      [strict(bad), backend({ mapRoles: [role(`arn:aws:iam::${ACCT}:role/Dev`, 'next')] })],
      {},
    );
    expect(result.trace.find((s) => s.outcome === 'rejected')?.detail).toMatch(/^ARN does not match User ID/);
    // the same backend's mapAccounts is still consulted (reference)
    expect(result.mapped).toMatchObject({ rule: 'account', backend: 'DynamicFile' });
  });

  it('userid is compared case-sensitively', async () => {
    const set = { mapUsers: [{ userarn: '', userid: 'aroaexample', username: 'x', groups: [] }] };
    expect(await mapped(roleCaller('Dev'), [strict(set)])).toBeUndefined();
  });
});

describe('buildMappingIndex', () => {
  it('is cached per snapshot object', () => {
    const set: MappingSet = { mapRoles: [role('arn:aws:iam::1:role/x')], mapUsers: [], mapAccounts: [] };
    expect(buildMappingIndex(set)).toBe(buildMappingIndex(set));
    expect(buildMappingIndex({ ...set })).not.toBe(buildMappingIndex(set));
  });

  it('keeps non-ARN text for exact matching only', () => {
    const index = buildMappingIndex({ mapRoles: [role('foo')], mapUsers: [], mapAccounts: [] });
    expect([...index.roleExact.keys()]).toEqual(['foo']);
    expect(index.rolePathless.size + index.roleCanonical.size).toBe(0);
  });
});
