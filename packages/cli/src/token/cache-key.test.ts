import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_KEY_ENV, computeCacheKey } from './cache-key.js';
import type { TokenConfig } from './token-config.js';

const BASE: TokenConfig = Object.freeze({
  command: 'token',
  clusterId: 'cluster',
  region: undefined,
  roleArn: undefined,
  externalId: undefined,
  sessionName: undefined,
  forwardSessionName: false,
  tokenOnly: false,
  credentialCache: false,
  profile: undefined,
  tokenCache: true,
  forceRefresh: false,
  logFormat: 'text',
  logLevel: 'info',
  warnings: [],
});

describe('computeCacheKey', () => {
  const baseKey = computeCacheKey(BASE, {});

  it('is a sha256 hex name and stable for the same inputs', () => {
    expect(baseKey).toMatch(/^[0-9a-f]{64}$/);
    expect(computeCacheKey({ ...BASE }, {})).toBe(baseKey);
  });

  const changes: [string, Partial<TokenConfig>][] = [
    ['clusterId', { clusterId: 'other' }],
    ['region', { region: 'eu-west-1' }],
    ['roleArn', { roleArn: 'arn:aws:iam::1:role/r' }],
    ['externalId', { externalId: 'x' }],
    ['sessionName', { sessionName: 'sess' }],
    ['forwardSessionName', { forwardSessionName: true }],
    ['profile', { profile: 'dev' }],
    ['credentialCache', { credentialCache: true }],
  ];
  it.each(changes)('changes with %s', (_name, change) => {
    expect(computeCacheKey({ ...BASE, ...change }, {})).not.toBe(baseKey);
  });

  it.each([...CACHE_KEY_ENV])('changes with env %s', (name) => {
    expect(computeCacheKey(BASE, { [name]: 'value' })).not.toBe(baseKey);
  });

  it('includes the env that selects credentials and endpoints', () => {
    for (const name of [
      'AWS_PROFILE',
      'AWS_DEFAULT_PROFILE',
      'AWS_ACCESS_KEY_ID',
      'AWS_ROLE_ARN',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_USE_FIPS_ENDPOINT',
      'AWS_USE_DUALSTACK_ENDPOINT',
      'AWS_ENDPOINT_URL_STS',
    ]) {
      expect(CACHE_KEY_ENV).toContain(name);
    }
  });

  it.each<[string, Partial<TokenConfig>]>([
    ['tokenOnly', { tokenOnly: true }],
    ['tokenCache', { tokenCache: false }],
    ['forceRefresh', { forceRefresh: true }],
    ['logLevel', { logLevel: 'debug' }],
    ['logFormat', { logFormat: 'json' }],
  ])('does not change with %s (output only)', (_name, change) => {
    expect(computeCacheKey({ ...BASE, ...change }, {})).toBe(baseKey);
  });

  it('tells an empty variable from an unset one', () => {
    expect(computeCacheKey(BASE, { AWS_PROFILE: '' })).not.toBe(baseKey);
  });

  it('changes when the shared AWS config or credentials file is edited, created or removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cache-key-'));
    const env = {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    };
    const keys = [computeCacheKey(BASE, env)];
    writeFileSync(env.AWS_CONFIG_FILE, '[profile p]\nregion = us-east-1\n');
    keys.push(computeCacheKey(BASE, env));
    expect(computeCacheKey(BASE, env)).toBe(keys[1]);
    writeFileSync(env.AWS_CONFIG_FILE, '[profile p]\nregion = us-west-2\n'); // same size, new version
    keys.push(computeCacheKey(BASE, env));
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE, '[p]\naws_access_key_id = AKIAOTHER\n');
    keys.push(computeCacheKey(BASE, env));
    rmSync(env.AWS_CONFIG_FILE);
    keys.push(computeCacheKey(BASE, env));
    expect(new Set(keys).size).toBe(5);
    // The default paths under HOME, ~ expanded.
    mkdirSync(join(dir, '.aws'));
    const home = { HOME: dir };
    const before = computeCacheKey(BASE, home);
    writeFileSync(join(dir, '.aws', 'credentials'), '[default]\n');
    expect(computeCacheKey(BASE, home)).not.toBe(before);
    const tilde = { ...home, AWS_SHARED_CREDENTIALS_FILE: '~/.aws/credentials' };
    const withTilde = computeCacheKey(BASE, tilde);
    writeFileSync(join(dir, '.aws', 'credentials'), '[default]\nregion = eu-west-1\n');
    expect(computeCacheKey(BASE, tilde)).not.toBe(withTilde);
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not change with unrelated env', () => {
    expect(computeCacheKey(BASE, { PATH: '/bin', KUBERNETES_EXEC_INFO: '{}' })).toBe(baseKey);
  });
});
