import { isAuthError } from '@iam-authenticator/core';
import { parseMappingsConfig } from '../parse-mappings-config.js';
import { MappingConfigError, assertMappingsValid, createMountedFileBackend } from './mounted-file.js';

describe('MountedFile backend', () => {
  it('serves the validated mappings, synced from the start', async () => {
    const backend = createMountedFileBackend(
      parseMappingsConfig({
        mapRoles: [{ rolearn: 'arn:aws:iam::111122223333:role/Dev', username: 'dev' }],
        mapAccounts: ['111122223333'],
      }),
    );
    await backend.start();
    expect(backend.name).toBe('MountedFile');
    expect(backend.current().mapRoles).toHaveLength(1);
    expect(backend.status()).toMatchObject({
      name: 'MountedFile',
      synced: true,
      counts: { roles: 1, users: 0, accounts: 1 },
    });
    expect(backend.current()).toBe(backend.current());
    await backend.stop();
  });

  it('an invalid entry is a start-up error naming every problem', () => {
    const parsed = parseMappingsConfig({
      mapRoles: [
        { username: 'a' },
        { rolearn: 'not-an-arn', username: 'b' },
        { rolearn: 'arn:aws:sts::111122223333:assumed-role/R/s' },
      ],
      mapUsers: [{ userarn: 'arn:aws:ec2::111122223333:instance/i-1' }],
    });
    let thrown: unknown;
    try {
      createMountedFileBackend(parsed);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MappingConfigError);
    expect(isAuthError(thrown) && thrown.reason).toBe('config_invalid');
    const issues = (thrown as MappingConfigError).issues.map((i) => `${i.key}[${i.index ?? ''}]`);
    expect(issues).toEqual(['mapRoles[0]', 'mapRoles[]', 'mapUsers[]']);
    expect((thrown as MappingConfigError).issues[1]?.message).toMatch(
      /^rolearn "not-an-arn" cannot be canonicalised: /,
    );
    expect((thrown as Error).message).toMatch(
      /^the server config has 3 invalid mapping entries: mapRoles\[0\]: one of rolearn/,
    );
  });

  it('assertMappingsValid accepts assumed-role ARNs (they are canonicalised when matching) and ignores warnings', () => {
    const parsed = parseMappingsConfig({
      mapRoles: [{ rolearn: 'arn:aws:sts::111122223333:assumed-role/R/s', foo: 1 }],
    });
    expect(parsed.issues).toHaveLength(1);
    expect(assertMappingsValid(parsed).mapRoles).toHaveLength(1);
  });

  it('a plain MappingSet is taken as is', () => {
    const backend = createMountedFileBackend({ mapRoles: [], mapUsers: [], mapAccounts: ['1'] });
    expect(backend.current().mapAccounts).toEqual(['1']);
  });
});
