import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError } from '@iam-authenticator/core';
import { accountOf, loadIdentitiesFile, parseIdentities, roleNameOf } from './identities.js';

const TESTDATA = new URL('../testdata/identities.json', import.meta.url).pathname;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).reason).toBe('config_invalid');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

const USER = {
  accessKeyId: 'AKIAEXAMPLE000000001',
  secretAccessKey: 's',
  arn: 'arn:aws:iam::111122223333:user/alice',
  userId: 'AIDA1',
};

describe('identities file', () => {
  it('loads the shipped sample with users, roles and instances', () => {
    const file = loadIdentitiesFile(TESTDATA);
    expect(file.users.map((u) => u.arn)).toContain('arn:aws:iam::111122223333:user/alice');
    expect(file.roles.some((r) => r.arn.endsWith('/AWSReservedSSO_Admin_0123456789abcdef'))).toBe(true);
    expect(file.roles.some((r) => r.arn === 'arn:aws:iam::111122223333:role/team/dev')).toBe(true);
    expect(file.roles.some((r) => r.externalId !== undefined)).toBe(true);
    expect(file.instances.length).toBeGreaterThan(0);
  });

  it('accepts root users and short account ids', () => {
    const file = parseIdentities({ users: [{ ...USER, arn: 'arn:aws:iam::123:root', userId: '123' }] });
    expect(accountOf(file.users[0]!.arn)).toBe('123');
    expect(file.roles).toEqual([]);
  });

  it('takes the role name without its path', () => {
    expect(roleNameOf('arn:aws:iam::1:role/team/dev')).toBe('dev');
    expect(roleNameOf('arn:aws:iam::1:role/dev')).toBe('dev');
  });

  it.each([
    ['not an object', [], 'expected a JSON object'],
    ['users not an array', { users: {} }, 'users: expected an array'],
    ['unknown top-level key', { people: [] }, 'people: unknown key'],
    [
      'missing secret',
      { users: [{ ...USER, secretAccessKey: undefined }] },
      'users[0].secretAccessKey: expected a non-empty string',
    ],
    [
      'bad key id',
      { users: [{ ...USER, accessKeyId: 'akia-lower' }] },
      'users[0].accessKeyId: expected to match',
    ],
    [
      'role ARN as a user',
      { users: [{ ...USER, arn: 'arn:aws:iam::1:role/x' }] },
      'users[0].arn: expected to match',
    ],
    ['duplicate key id', { users: [USER, USER] }, 'users[1].accessKeyId: duplicate access key id'],
    [
      'user ARN as a role',
      { roles: [{ arn: 'arn:aws:iam::1:user/x', roleId: 'AROA1', trustedPrincipals: [] }] },
      'roles[0].arn: expected to match',
    ],
    [
      'trustedPrincipals missing',
      { roles: [{ arn: 'arn:aws:iam::1:role/x', roleId: 'AROA1' }] },
      'roles[0].trustedPrincipals: expected an array of ARNs',
    ],
    [
      'trusted principal not an ARN',
      { roles: [{ arn: 'arn:aws:iam::1:role/x', roleId: 'AROA1', trustedPrincipals: ['alice'] }] },
      'roles[0].trustedPrincipals[0]: expected an ARN, received "alice"',
    ],
    [
      'external id too short',
      { roles: [{ arn: 'arn:aws:iam::1:role/x', roleId: 'AROA1', trustedPrincipals: [], externalId: 'x' }] },
      'roles[0].externalId: expected a string of 2 or more characters',
    ],
    [
      'bad instance id',
      { instances: [{ instanceId: 'i-xyz', privateDnsName: 'a' }] },
      'instances[0].instanceId: expected to match',
    ],
    [
      'missing private DNS name',
      { instances: [{ instanceId: 'i-0123456789abcdef0' }] },
      'instances[0].privateDnsName: expected a string',
    ],
  ])('rejects %s', (_name, value, expected) => {
    expect(messageOf(() => parseIdentities(value))).toContain(expected);
  });

  it('lists every problem at once', () => {
    const message = messageOf(() =>
      parseIdentities({
        users: [{ ...USER, userId: '' }],
        instances: [{ instanceId: 'x', privateDnsName: '' }],
      }),
    );
    expect(message).toContain('2 problems');
    expect(message).toContain('users[0].userId');
    expect(message).toContain('instances[0].instanceId');
  });

  it('names the file when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sts-emulator-'));
    expect(messageOf(() => loadIdentitiesFile(join(dir, 'absent.json')))).toContain(
      'cannot read identities file',
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"users": [');
    expect(messageOf(() => loadIdentitiesFile(bad))).toMatch(
      /identities file ".*bad\.json" is not valid JSON/,
    );
  });
});
