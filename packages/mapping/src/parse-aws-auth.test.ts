import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseAwsAuth } from './parse-aws-auth.js';
import type { MappingSet, ParseIssue } from './model.js';

const FIXTURES = new URL('../testdata/aws-auth/', import.meta.url);

const NODE_ROLE = {
  rolearn: 'arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6',
  username: 'system:node:{{EC2PrivateDNSName}}',
  groups: ['system:bootstrappers', 'system:nodes'],
};
const ADMIN_USER = {
  userarn: 'arn:aws:iam::555555555555:user/admin',
  username: 'admin',
  groups: ['system:masters'],
};
const CANONICAL: MappingSet = {
  mapRoles: [NODE_ROLE],
  mapUsers: [ADMIN_USER],
  mapAccounts: ['555555555555'],
};
const EMPTY: MappingSet = { mapRoles: [], mapUsers: [], mapAccounts: [] };

/** Decodes a manifest like the API server: `.data` values must be strings, otherwise the create fails. */
function loadConfigMapData(file: string): Record<string, string> {
  const manifest = parseYaml(readFileSync(new URL(file, FIXTURES), 'utf8')) as {
    data: Record<string, unknown>;
  };
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(manifest.data)) {
    if (typeof value !== 'string') throw new Error(`data.${key} must be a string`);
    data[key] = value;
  }
  return data;
}

describe('parseAwsAuth on the reference fixtures (fixtures/aws-auth/README.md)', () => {
  const table: { file: string; expected: MappingSet; warnings: number }[] = [
    { file: 'aws-auth.yaml', expected: CANONICAL, warnings: 0 },
    { file: 'aws-auth-crazy-case-keys.yaml', expected: CANONICAL, warnings: 0 },
    { file: 'aws-auth-open-source-case-keys.yaml', expected: CANONICAL, warnings: 0 },
    { file: 'aws-auth-lower-case-top-keys.yaml', expected: EMPTY, warnings: 3 },
    { file: 'aws-auth-crazy-case-top-keys.yaml', expected: EMPTY, warnings: 3 },
    {
      file: 'aws-auth-space-out-of-place.yaml',
      expected: {
        mapRoles: [{ ...NODE_ROLE, groups: ['system:bootstrappers - system:nodes'] }],
        mapUsers: [ADMIN_USER],
        mapAccounts: ['555555555555'],
      },
      warnings: 1,
    },
  ];
  it.each(table)('$file', ({ file, expected, warnings }) => {
    const result = parseAwsAuth(loadConfigMapData(file));
    expect(result.mappings).toEqual(expected);
    expect(result.failedKeys).toEqual([]);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.issues).toHaveLength(warnings);
  });

  it('aws-auth-missing-bar.yaml cannot be decoded as a ConfigMap (the create fails, the store stays empty)', () => {
    expect(() => loadConfigMapData('aws-auth-missing-bar.yaml')).toThrow('data.mapRoles must be a string');
  });

  it('aws-auth-missing-bar.yaml handed over anyway: mapRoles is a failed key', () => {
    const manifest = parseYaml(readFileSync(new URL('aws-auth-missing-bar.yaml', FIXTURES), 'utf8')) as {
      data: Record<string, string>;
    };
    const result = parseAwsAuth(manifest.data);
    expect(result.failedKeys).toEqual(['mapRoles']);
    expect(result.mappings.mapRoles).toEqual([]);
    expect(result.issues[0]?.message).toMatch(/mapRoles must be a string holding YAML, received a list/);
  });

  it('flags the ignored wrong-case top keys by name', () => {
    const result = parseAwsAuth(loadConfigMapData('aws-auth-crazy-case-top-keys.yaml'));
    expect(result.issues.map((i) => i.key)).toEqual(['MaPrOlEs', 'mApUsErS', 'MaPrCcOuNtS']);
    expect(result.issues[2]?.message).toContain('expected "mapAccounts"');
  });

  it('flags the over-indented group line with its line number', () => {
    const result = parseAwsAuth(loadConfigMapData('aws-auth-space-out-of-place.yaml'));
    expect(result.issues[0]).toMatchObject({ key: 'mapRoles', index: 0, line: 4, severity: 'warning' });
    expect(result.issues[0]?.message).toMatch(/over-indented/);
  });
});

function only(issues: readonly ParseIssue[], severity: ParseIssue['severity']): ParseIssue[] {
  return issues.filter((i) => i.severity === severity);
}

describe('parseAwsAuth entry keys', () => {
  it.each(['rolearn', 'roleARN', 'RoLeArN', 'ROLEARN', 'ro\u017fearn'.replace('\u017f', 'l'), 'RoleArn'])(
    'reads %s as rolearn',
    (spelling) => {
      const result = parseAwsAuth({ mapRoles: `- ${spelling}: arn:aws:iam::1:role/x\n  username: u\n` });
      expect(result.mappings.mapRoles).toEqual([
        { rolearn: 'arn:aws:iam::1:role/x', username: 'u', groups: [] },
      ]);
    },
  );

  it('folds the long s like Go (uſername fills username)', () => {
    const result = parseAwsAuth({ mapUsers: '- userarn: arn:aws:iam::1:user/a\n  u\u017fername: alice\n' });
    expect(result.mappings.mapUsers[0]?.username).toBe('alice');
  });

  it('when two spellings collide, the byte-wise last one wins, with a warning', () => {
    const result = parseAwsAuth({
      mapRoles: '- roleARN: arn:aws:iam::1:role/upper\n  rolearn: arn:aws:iam::1:role/lower\n  username: u\n',
    });
    expect(result.mappings.mapRoles[0]?.rolearn).toBe('arn:aws:iam::1:role/lower');
    expect(only(result.issues, 'warning')[0]?.message).toMatch(/"rolearn" wins and "roleARN" is ignored/);
  });

  it('keeps sso and userid, with case-insensitive sso keys', () => {
    const result = parseAwsAuth({
      mapRoles:
        '- sso:\n    PermissionSetName: Admin\n    accountid: "012345678901"\n    partition: aws-cn\n  username: a\n  userid: AROA1\n',
    });
    expect(result.mappings.mapRoles).toEqual([
      {
        sso: { permissionSetName: 'Admin', accountID: '012345678901', partition: 'aws-cn' },
        username: 'a',
        groups: [],
        userid: 'AROA1',
      },
    ]);
    expect(result.issues).toEqual([]);
  });

  it('warns about unknown keys and keeps the entry', () => {
    const result = parseAwsAuth({ mapUsers: '- userarn: arn:aws:iam::1:user/a\n  foo: bar\n' });
    expect(result.mappings.mapUsers).toHaveLength(1);
    expect(result.issues).toEqual([
      {
        key: 'mapUsers',
        index: 0,
        line: 2,
        severity: 'warning',
        message: 'unknown key "foo" in a mapUsers entry is ignored',
      },
    ]);
  });
});

describe('parseAwsAuth values', () => {
  it.each(['', '   ', '``', '""', "''", ' \n "" \n'])('skips %j without an issue', (value) => {
    const result = parseAwsAuth({ mapRoles: value, mapUsers: value, mapAccounts: value });
    expect(result).toEqual({ mappings: EMPTY, issues: [], failedKeys: [] });
  });

  it.each(['null', '[]', '~', '# only a comment\n'])('%j is an empty list without an issue', (value) => {
    expect(parseAwsAuth({ mapRoles: value })).toEqual({ mappings: EMPTY, issues: [], failedKeys: [] });
  });

  it('reads only the first YAML document and says so', () => {
    const result = parseAwsAuth({
      mapUsers: '- userarn: arn:aws:iam::1:user/a\n---\n- userarn: arn:aws:iam::1:user/b\n',
    });
    expect(result.mappings.mapUsers.map((u) => u.userarn)).toEqual(['arn:aws:iam::1:user/a']);
    expect(result.issues).toEqual([
      expect.objectContaining({ key: 'mapUsers', line: 2, severity: 'warning' }) as unknown,
    ]);
  });

  it('JSON works because JSON is YAML', () => {
    const result = parseAwsAuth({ mapAccounts: '["12345","56789"]' });
    expect(result.mappings.mapAccounts).toEqual(['12345', '56789']);
  });

  it('keeps account ids as written: leading zeros, hex-looking text', () => {
    const result = parseAwsAuth({
      mapAccounts: '- 012345678901\n- "000000000001"\n- 0x1F\n- 555555555555\n',
    });
    expect(result.mappings.mapAccounts).toEqual(['012345678901', '000000000001', '0x1F', '555555555555']);
    expect(result.issues).toEqual([
      expect.objectContaining({
        index: 2,
        line: 3,
        message: 'account id "0x1F" is not 12 digits and can never match',
      }) as unknown,
    ]);
  });

  it('a mapping or scalar where the list belongs fails the key', () => {
    const result = parseAwsAuth({
      mapRoles: 'rolearn: arn:aws:iam::1:role/x\n',
      mapUsers: '- userarn: arn:aws:iam::1:user/a\n',
      mapAccounts: '555555555555',
    });
    expect(result.failedKeys).toEqual(['mapRoles', 'mapAccounts']);
    expect(result.mappings.mapUsers).toHaveLength(1);
    expect(result.issues.map((i) => i.message)).toEqual([
      'mapRoles must be a list, received a mapping; no mapRoles entries are read',
      'mapAccounts must be a list, received the number 555555555555; no mapAccounts entries are read',
    ]);
  });

  it('a YAML syntax error fails only that key, with its line', () => {
    const result = parseAwsAuth({
      mapRoles: '- rolearn: arn:aws:iam::1:role/x\n  username: a\n\tgroups: [x]\n',
      mapUsers: '- userarn: arn:aws:iam::1:user/a\n',
    });
    expect(result.failedKeys).toEqual(['mapRoles']);
    expect(result.mappings.mapRoles).toEqual([]);
    expect(result.mappings.mapUsers).toHaveLength(1);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ key: 'mapRoles', line: 3, severity: 'error' });
    expect(result.issues[0]?.message).toMatch(
      /^mapRoles is not valid YAML \(.+\); no mapRoles entries are read$/,
    );
  });

  it('an unquoted leading {{SessionName}} fails the whole key (invalid map key)', () => {
    const result = parseAwsAuth({
      mapRoles:
        '- rolearn: arn:aws:iam::1:role/a\n  username: a\n- rolearn: arn:aws:iam::1:role/x\n  username: {{SessionName}}\n',
    });
    expect(result.failedKeys).toEqual(['mapRoles']);
    expect(result.mappings.mapRoles).toEqual([]);
    expect(result.issues[0]).toMatchObject({ key: 'mapRoles', line: 4, severity: 'error' });
    expect(result.issues[0]?.message).toMatch(/invalid map key.*quote/);
  });

  it('a template inside a value is fine unquoted', () => {
    const result = parseAwsAuth({
      mapRoles: '- rolearn: arn:aws:iam::1:role/x\n  username: a:{{SessionName}}\n',
    });
    expect(result.mappings.mapRoles[0]?.username).toBe('a:{{SessionName}}');
  });

  it('a field of the wrong type is emptied and the entry kept (YAML 1.1: yes is a boolean)', () => {
    const result = parseAwsAuth({
      mapUsers:
        '- userarn: arn:aws:iam::1:user/a\n  username: 12345\n  groups: system:masters\n- userarn: arn:aws:iam::1:user/b\n  username: yes\n  groups: [a, 7, b]\n',
    });
    expect(result.mappings.mapUsers).toEqual([
      { userarn: 'arn:aws:iam::1:user/a', username: '', groups: [] },
      { userarn: 'arn:aws:iam::1:user/b', username: '', groups: ['a', 'b'] },
    ]);
    expect(only(result.issues, 'error')).toEqual([
      {
        key: 'mapUsers',
        index: 0,
        line: 2,
        severity: 'error',
        message:
          'username must be a string, received the number 12345; the field is left empty (quote the value)',
      },
      {
        key: 'mapUsers',
        index: 0,
        line: 3,
        severity: 'error',
        message: 'groups must be a list of strings, received a string; the entry is kept with no groups',
      },
      {
        key: 'mapUsers',
        index: 1,
        line: 5,
        severity: 'error',
        message:
          'username must be a string, received the boolean true; the field is left empty (quote the value)',
      },
      {
        key: 'mapUsers',
        index: 1,
        line: 6,
        severity: 'error',
        message: 'groups[1] must be a string, received the number 7; the item is ignored',
      },
    ]);
  });

  it('null fields are empty without an issue', () => {
    const result = parseAwsAuth({ mapUsers: '- userarn: arn:aws:iam::1:user/a\n  username:\n  groups: ~\n' });
    expect(result).toEqual({
      mappings: { ...EMPTY, mapUsers: [{ userarn: 'arn:aws:iam::1:user/a', username: '', groups: [] }] },
      issues: [],
      failedKeys: [],
    });
  });
});

describe('parseAwsAuth validation drops only the bad entry', () => {
  const cases: { name: string; entry: string; message: string }[] = [
    {
      name: 'no rolearn and no sso',
      entry: '- username: a\n',
      message: 'one of rolearn or sso must be supplied; entry dropped',
    },
    {
      name: 'both rolearn and sso',
      entry: '- rolearn: arn:aws:iam::1:role/x\n  sso: {permissionSetName: A, accountID: "111122223333"}\n',
      message: 'only one of rolearn or sso can be supplied; entry dropped',
    },
    {
      name: 'sso account of 11 digits',
      entry: '- sso: {permissionSetName: A, accountID: "11112222333"}\n',
      message: 'sso.accountID must be 12 digits, received "11112222333"; entry dropped',
    },
    {
      name: 'sso permission set with a space',
      entry: '- sso: {permissionSetName: "A B", accountID: "111122223333"}\n',
      message: 'sso.permissionSetName must match [\\w+=,.@-]{1,32}, received "A B"; entry dropped',
    },
    {
      name: 'sso permission set of 33 characters',
      entry: `- sso: {permissionSetName: ${'a'.repeat(33)}, accountID: "111122223333"}\n`,
      message: `sso.permissionSetName must match [\\w+=,.@-]{1,32}, received "${'a'.repeat(33)}"; entry dropped`,
    },
    {
      name: 'sso partition misspelled as in the reference docs',
      entry: '- sso: {permissionSetName: A, accountID: "111122223333", partition: aws-us-govt}\n',
      message:
        'sso.partition must be one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, received "aws-us-govt"; entry dropped',
    },
    {
      name: 'entry is a string',
      entry: '- arn:aws:iam::1:role/x\n',
      message: 'entry must be a mapping with rolearn or sso, received a string; entry dropped',
    },
    {
      name: 'entry is null',
      entry: '- \n',
      message: 'entry must be a mapping with rolearn or sso, received null; entry dropped',
    },
  ];
  it.each(cases)('$name', ({ entry, message }) => {
    const good = '- rolearn: arn:aws:iam::1:role/good\n  username: g\n';
    const result = parseAwsAuth({ mapRoles: good + entry + good.replace('good', 'other') });
    expect(result.mappings.mapRoles.map((r) => r.rolearn)).toEqual([
      'arn:aws:iam::1:role/good',
      'arn:aws:iam::1:role/other',
    ]);
    expect(result.failedKeys).toEqual([]);
    const errors = only(result.issues, 'error');
    expect(errors).toEqual([{ key: 'mapRoles', index: 1, line: 3, severity: 'error', message }]);
  });

  it('a user without userarn is dropped', () => {
    const result = parseAwsAuth({ mapUsers: '- username: a\n- userarn: arn:aws:iam::1:user/b\n' });
    expect(result.mappings.mapUsers).toHaveLength(1);
    expect(result.issues).toEqual([
      {
        key: 'mapUsers',
        index: 0,
        line: 1,
        severity: 'error',
        message: 'value for userarn must be supplied; entry dropped',
      },
    ]);
  });

  it('an unquoted sso accountID keeps its text (leading zero) with a warning', () => {
    const result = parseAwsAuth({
      mapRoles: '- sso: {permissionSetName: A, accountID: 012345678912}\n  username: a\n',
    });
    expect(result.mappings.mapRoles[0]?.sso?.accountID).toBe('012345678912');
    expect(result.issues).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 1,
        message: expect.stringMatching(/unquoted.*quote it/) as unknown,
      }) as unknown,
    ]);
  });

  it('warns about duplicates: the last entry wins (case-insensitive)', () => {
    const result = parseAwsAuth({
      mapRoles:
        '- rolearn: arn:aws:iam::1:role/X\n  username: first\n- rolearn: arn:aws:iam::1:role/x\n  username: second\n',
    });
    expect(result.mappings.mapRoles).toHaveLength(2);
    expect(result.issues).toEqual([
      {
        key: 'mapRoles',
        index: 0,
        line: 1,
        severity: 'warning',
        message: 'entry 0 is shadowed by entry 1 for the same rolearn (the last entry wins)',
      },
    ]);
  });
});
