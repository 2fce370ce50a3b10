import { isAuthError } from '@iam-authenticator/core';
import { GET_TOKEN_SESSION_NAME, resolveGetTokenConfig, resolveTokenConfig } from './token-config.js';
import type { ConfigReader } from './token-config.js';

const noFile: ConfigReader = () => Promise.reject(new Error('no config file expected'));
const fileWith =
  (entries: Record<string, unknown>): ConfigReader =>
  () =>
    Promise.resolve(new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), v])));

async function usageError(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isAuthError(error) && error.reason === 'usage_error') return error.message;
    throw error;
  }
  throw new Error('expected a usage_error');
}

describe('resolveTokenConfig', () => {
  it('reads the reference flags, short and long', async () => {
    const config = await resolveTokenConfig(
      [
        '-i',
        'c1',
        '--region',
        'eu-west-1',
        '-r',
        'arn:aws:iam::1:role/r',
        '-e',
        'x',
        '-s',
        'sess',
        '--token-only',
      ],
      {},
      noFile,
    );
    expect(config).toMatchObject({
      command: 'token',
      clusterId: 'c1',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::1:role/r',
      externalId: 'x',
      sessionName: 'sess',
      tokenOnly: true,
      tokenCache: true,
      forceRefresh: false,
      logLevel: 'info',
      logFormat: 'text',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts --cluster-name and --role-arn as aliases', async () => {
    const config = await resolveTokenConfig(['--cluster-name=c2', '--role-arn', 'arn:r'], {}, noFile);
    expect(config).toMatchObject({ clusterId: 'c2', roleArn: 'arn:r' });
  });

  it('takes flag > env > config file', async () => {
    const file = fileWith({
      clusterID: 'from-file',
      role: 'file-role',
      region: 'file-region',
      sessionName: 'filesess',
    });
    const env = { KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID: 'from-env', DEFAULT_ROLE: 'env-role' };
    expect(await resolveTokenConfig(['-c', 'f.yaml'], {}, file)).toMatchObject({
      clusterId: 'from-file',
      roleArn: 'file-role',
      region: 'file-region',
      sessionName: 'filesess',
    });
    expect(await resolveTokenConfig(['-c', 'f.yaml'], env, file)).toMatchObject({
      clusterId: 'from-env',
      roleArn: 'env-role',
    });
    expect(
      await resolveTokenConfig(['-c', 'f.yaml', '-i', 'flag', '-r', 'flag-role'], env, file),
    ).toMatchObject({
      clusterId: 'flag',
      roleArn: 'flag-role',
    });
  });

  it('turns the token cache off by flag or env, and --force-refresh on', async () => {
    expect(await resolveTokenConfig(['-i', 'c', '--no-token-cache'], {}, noFile)).toMatchObject({
      tokenCache: false,
    });
    expect(
      await resolveTokenConfig(['-i', 'c'], { IAM_AUTHENTICATOR_TOKEN_CACHE: 'off' }, noFile),
    ).toMatchObject({
      tokenCache: false,
    });
    expect(await resolveTokenConfig(['-i', 'c', '--force-refresh'], {}, noFile)).toMatchObject({
      tokenCache: true,
      forceRefresh: true,
    });
  });

  it('returns undefined for --help', async () => {
    expect(await resolveTokenConfig(['--help'], {}, noFile)).toBeUndefined();
  });

  it.each([
    [[], /cluster ID not specified/],
    [
      ['-i', 'c', '-s', 'x', '--forward-session-name'],
      /cannot specify both --forward-session-name and --session-name/,
    ],
    [['-i', 'a', '--cluster-name', 'b'], /--cluster-id "a" and --cluster-name "b" name the same setting/],
    [['-i', 'c', '-r', 'a', '--role-arn', 'b'], /--role "a" and --role-arn "b"/],
    [['-i', 'c', '--bogus'], /token: unknown flag "--bogus"/],
    [['-i', 'c', 'extra'], /token: unexpected argument "extra"/],
    [['-i'], /token: flag .*-i.* expects a value/],
    [['-i', 'c', '--token-only=yes'], /token: flag "--token-only" takes no value/],
    [['-i', 'c', '-s', 'bad name'], /invalid --session-name "bad name"/],
    [['-i', 'c', '-v', 'loud'], /invalid log level "loud": expected one of panic/],
  ])('rejects %j', async (args, pattern) => {
    expect(await usageError(() => resolveTokenConfig(args, {}, noFile))).toMatch(pattern);
  });

  it('rejects forward + session name even when the session name comes from the config file', async () => {
    const file = fileWith({ sessionName: 'fromfile' });
    expect(
      await usageError(() => resolveTokenConfig(['-i', 'c', '-c', 'f', '--forward-session-name'], {}, file)),
    ).toMatch(/cannot specify both/);
  });

  it('warns and uses text for an unknown log format', async () => {
    const config = await resolveTokenConfig(['-i', 'c', '-l', 'xml'], {}, noFile);
    expect(config?.logFormat).toBe('text');
    expect(config?.warnings).toEqual(['unknown log format "xml": expected text or json, using text']);
  });

  it('rejects a config file value of the wrong type', async () => {
    const file = fileWith({ tokenOnly: 'maybe' });
    await expect(resolveTokenConfig(['-i', 'c', '-c', 'f'], {}, file)).rejects.toMatchObject({
      reason: 'config_invalid',
      message: expect.stringMatching(/tokenOnly must be true or false, received "maybe"/) as unknown,
    });
  });
});

describe('resolveGetTokenConfig', () => {
  it('reads aws eks get-token flags', () => {
    const config = resolveGetTokenConfig(
      [
        '--cluster-name',
        'c',
        '--role-arn',
        'arn:r',
        '--region',
        'us-west-2',
        '--output',
        'json',
        '--profile',
        'p',
      ],
      {},
    );
    expect(config).toMatchObject({
      command: 'get-token',
      clusterId: 'c',
      roleArn: 'arn:r',
      region: 'us-west-2',
      profile: 'p',
      sessionName: GET_TOKEN_SESSION_NAME,
    });
  });

  it.each([
    [['--cluster-name', 'a', '--cluster-id', 'b'], /mutually exclusive/],
    [[], /either parameter --cluster-name or --cluster-id must be specified/],
    [['--cluster-id', 'a', '--output', 'text'], /--output "text" is not supported: expected json/],
    [['--cluster-id', 'a', '-i', 'x'], /get-token: unknown flag "-i"/],
  ])('rejects %j', (args, pattern) => {
    expect(() => resolveGetTokenConfig(args, {})).toThrow(pattern);
  });
});
