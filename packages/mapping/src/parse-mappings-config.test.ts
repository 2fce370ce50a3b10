import { parse as parseYaml } from 'yaml';
import { parseMappingsConfig } from './parse-mappings-config.js';

describe('parseMappingsConfig (server config file, MountedFile)', () => {
  it('reads the reference example config (roleARN/userARN camel case, quoted accounts)', () => {
    const config = parseYaml(`
server:
  mapRoles:
  - roleARN: arn:aws:iam::000000000000:role/KubernetesAdmin
    username: kubernetes-admin
    groups:
    - system:masters
  mapUsers:
  - userARN: arn:aws:iam::000000000000:user/Alice
    username: alice
    groups:
    - system:masters
  mapAccounts:
  - "012345678901"
  - "456789012345"
`) as { server: Record<string, unknown> };
    const result = parseMappingsConfig(config.server);
    expect(result).toEqual({
      mappings: {
        mapRoles: [
          {
            rolearn: 'arn:aws:iam::000000000000:role/KubernetesAdmin',
            username: 'kubernetes-admin',
            groups: ['system:masters'],
          },
        ],
        mapUsers: [
          { userarn: 'arn:aws:iam::000000000000:user/Alice', username: 'alice', groups: ['system:masters'] },
        ],
        mapAccounts: ['012345678901', '456789012345'],
      },
      issues: [],
      failedKeys: [],
    });
  });

  it('takes numbers as text like viper, and flags an account id that lost its leading zero', () => {
    const result = parseMappingsConfig({
      mapAccounts: [12345678901, 555555555555],
      mapUsers: [{ userarn: 'arn:aws:iam::1:user/a', username: 42 }],
    });
    expect(result.mappings.mapAccounts).toEqual(['12345678901', '555555555555']);
    expect(result.mappings.mapUsers[0]?.username).toBe('42');
    expect(result.issues).toEqual([
      {
        key: 'mapAccounts',
        index: 0,
        severity: 'warning',
        message:
          'account id 12345678901 was written as a number and has 11 digits, expected 12; quote account ids so leading zeros survive',
      },
    ]);
  });

  it('validates entries like aws-auth and reports each one', () => {
    const result = parseMappingsConfig({
      mapRoles: [{ username: 'a' }, { rolearn: 'arn:aws:iam::1:role/x', groups: 'system:masters' }],
      mapUsers: [{ UserArn: '' }],
    });
    expect(result.mappings.mapRoles).toEqual([
      { rolearn: 'arn:aws:iam::1:role/x', username: '', groups: [] },
    ]);
    expect(result.issues.map((i) => `${i.key}[${i.index ?? ''}] ${i.message}`)).toEqual([
      'mapRoles[0] one of rolearn or sso must be supplied; entry dropped',
      'mapRoles[1] groups must be a list of strings, received a string; the entry is kept with no groups',
      'mapUsers[0] value for userarn must be supplied; entry dropped',
    ]);
  });

  it('a key that is not a list fails', () => {
    const result = parseMappingsConfig({ mapRoles: { rolearn: 'x' } });
    expect(result.failedKeys).toEqual(['mapRoles']);
  });

  it('absent keys give an empty result', () => {
    expect(parseMappingsConfig({})).toEqual({
      mappings: { mapRoles: [], mapUsers: [], mapAccounts: [] },
      issues: [],
      failedKeys: [],
    });
  });
});
