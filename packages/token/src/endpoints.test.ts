import { endpointFlagsFromEnv, resolveStsEndpoint, resolveTokenRegion } from './endpoints.js';
import { reasonOf } from './reason-of.test-support.js';

// Hosts written out by hand from token-and-webhook.md §1.4 (not computed from the partition table).
const HOSTS = [
  // partition, region, default, FIPS, dual-stack, FIPS + dual-stack
  [
    'aws',
    'us-west-2',
    'sts.us-west-2.amazonaws.com',
    'sts-fips.us-west-2.amazonaws.com',
    'sts.us-west-2.api.aws',
    'sts-fips.us-west-2.api.aws',
  ],
  [
    'aws-cn',
    'cn-north-1',
    'sts.cn-north-1.amazonaws.com.cn',
    'sts-fips.cn-north-1.amazonaws.com.cn',
    'sts.cn-north-1.api.amazonwebservices.com.cn',
    'sts-fips.cn-north-1.api.amazonwebservices.com.cn',
  ],
  [
    'aws-us-gov',
    'us-gov-west-1',
    'sts.us-gov-west-1.amazonaws.com',
    'sts.us-gov-west-1.amazonaws.com',
    'sts.us-gov-west-1.api.aws',
    'sts-fips.us-gov-west-1.api.aws',
  ],
  [
    'aws-iso',
    'us-iso-east-1',
    'sts.us-iso-east-1.c2s.ic.gov',
    'sts-fips.us-iso-east-1.c2s.ic.gov',
    'sts.us-iso-east-1.api.aws.ic.gov',
    'sts-fips.us-iso-east-1.api.aws.ic.gov',
  ],
  [
    'aws-iso-b',
    'us-isob-east-1',
    'sts.us-isob-east-1.sc2s.sgov.gov',
    'sts-fips.us-isob-east-1.sc2s.sgov.gov',
    'sts.us-isob-east-1.api.aws.scloud',
    'sts-fips.us-isob-east-1.api.aws.scloud',
  ],
  [
    'aws-iso-e',
    'eu-isoe-west-1',
    'sts.eu-isoe-west-1.cloud.adc-e.uk',
    'sts-fips.eu-isoe-west-1.cloud.adc-e.uk',
    'sts.eu-isoe-west-1.api.cloud-aws.adc-e.uk',
    'sts-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk',
  ],
  [
    'aws-iso-f',
    'us-isof-south-1',
    'sts.us-isof-south-1.csp.hci.ic.gov',
    'sts-fips.us-isof-south-1.csp.hci.ic.gov',
    'sts.us-isof-south-1.api.aws.hci.ic.gov',
    'sts-fips.us-isof-south-1.api.aws.hci.ic.gov',
  ],
  [
    'aws-eusc',
    'eusc-de-east-1',
    'sts.eusc-de-east-1.amazonaws.eu',
    'sts-fips.eusc-de-east-1.amazonaws.eu',
    'sts.eusc-de-east-1.api.amazonwebservices.eu',
    'sts-fips.eusc-de-east-1.api.amazonwebservices.eu',
  ],
] as const;

const CASES = HOSTS.flatMap(
  ([partition, region, plain, fips, dualStack, both]) =>
    [
      [partition, region, false, false, plain],
      [partition, region, true, false, fips],
      [partition, region, false, true, dualStack],
      [partition, region, true, true, both],
    ] as const,
);

describe('resolveStsEndpoint', () => {
  it.each(CASES)('%s %s fips=%s dual-stack=%s → %s', (partition, region, useFips, useDualStack, host) => {
    expect(resolveStsEndpoint({ region, useFips, useDualStack })).toEqual({
      host,
      signingRegion: region,
      partition,
    });
  });

  it('defaults to the regional host without FIPS or dual-stack', () => {
    expect(resolveStsEndpoint({ region: 'eu-central-1' })).toEqual({
      host: 'sts.eu-central-1.amazonaws.com',
      signingRegion: 'eu-central-1',
      partition: 'aws',
    });
  });

  it('sends aws-global to the global host, signed for us-east-1', () => {
    expect(resolveStsEndpoint({ region: 'aws-global' })).toEqual({
      host: 'sts.amazonaws.com',
      signingRegion: 'us-east-1',
      partition: 'aws',
    });
  });

  it('follows the ruleset for aws-global with dual-stack (the FIPS/dual-stack rules come first)', () => {
    expect(resolveStsEndpoint({ region: 'aws-global', useDualStack: true })).toEqual({
      host: 'sts.aws-global.api.aws',
      signingRegion: 'aws-global',
      partition: 'aws',
    });
  });

  it('gives regions unknown to the table the partition of their pattern, else the commercial suffix', () => {
    expect(resolveStsEndpoint({ region: 'us-gov-central-3' }).host).toBe(
      'sts.us-gov-central-3.amazonaws.com',
    );
    expect(resolveStsEndpoint({ region: 'cn-south-7' }).host).toBe('sts.cn-south-7.amazonaws.com.cn');
    expect(resolveStsEndpoint({ region: 'mars-north-1' })).toEqual({
      host: 'sts.mars-north-1.amazonaws.com',
      signingRegion: 'mars-north-1',
      partition: 'aws',
    });
  });

  it.each([
    ['us-west-2-fips', false, 'sts-fips.us-west-2.amazonaws.com', 'us-west-2', 'aws'],
    ['fips-us-west-2', false, 'sts-fips.us-west-2.amazonaws.com', 'us-west-2', 'aws'],
    ['us-fips-west-2', false, 'sts-fips.us-west-2.amazonaws.com', 'us-west-2', 'aws'],
    ['fips-us-gov-west-1', false, 'sts.us-gov-west-1.amazonaws.com', 'us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1-fips', false, 'sts.us-gov-east-1.amazonaws.com', 'us-gov-east-1', 'aws-us-gov'],
    ['cn-north-1-fips', false, 'sts-fips.cn-north-1.amazonaws.com.cn', 'cn-north-1', 'aws-cn'],
    ['fips-us-east-1', true, 'sts-fips.us-east-1.api.aws', 'us-east-1', 'aws'],
  ] as const)(
    'pseudo-region %s (dual-stack=%s) → %s signed for %s',
    (region, useDualStack, host, signingRegion, partition) => {
      expect(resolveStsEndpoint({ region, useDualStack })).toEqual({ host, signingRegion, partition });
    },
  );

  it.each([
    '',
    'US-WEST-2',
    'us-west-2.evil.example',
    'us west 2',
    'us-west-2/',
    '-us-west-2',
    'us-west-2-',
    'a'.repeat(64),
  ])('rejects the region %j with a usage error', (region) => {
    expect(reasonOf(() => resolveStsEndpoint({ region }))).toBe('usage_error');
  });

  it('says what it expected and what it received', () => {
    expect(() => resolveStsEndpoint({ region: 'US-WEST-2' })).toThrow(
      'region must be lower-case letters, digits and hyphens (e.g. "us-west-2"), received "US-WEST-2"',
    );
  });
});

describe('resolveTokenRegion', () => {
  const full = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' };
  it.each([
    ['the flag first', { flag: 'ap-south-1', env: full, profileRegion: 'ca-central-1' }, 'ap-south-1'],
    ['then AWS_REGION', { env: full, profileRegion: 'ca-central-1' }, 'eu-west-1'],
    [
      'then AWS_DEFAULT_REGION',
      { env: { AWS_DEFAULT_REGION: 'eu-west-2' }, profileRegion: 'ca-central-1' },
      'eu-west-2',
    ],
    ['then the profile', { env: {}, profileRegion: 'ca-central-1' }, 'ca-central-1'],
    ['then us-east-1', { env: {} }, 'us-east-1'],
    [
      'empty values count as unset',
      { flag: '', env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' }, profileRegion: '' },
      'us-east-1',
    ],
    [
      'an empty flag falls through to the env',
      { flag: '', env: { AWS_DEFAULT_REGION: 'me-south-1' } },
      'me-south-1',
    ],
    [
      'undefined fields are allowed',
      { flag: undefined, env: { AWS_REGION: undefined }, profileRegion: undefined },
      'us-east-1',
    ],
  ] as const)('%s', (_name, options, expected) => {
    expect(resolveTokenRegion(options)).toBe(expected);
  });
});

describe('endpointFlagsFromEnv', () => {
  it.each([
    ['nothing set', {}, undefined, false, false],
    [
      'env true',
      { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' },
      undefined,
      true,
      true,
    ],
    ['profile true', {}, { use_fips_endpoint: 'true', use_dualstack_endpoint: 'True' }, true, true],
    [
      'env false beats profile true',
      { AWS_USE_FIPS_ENDPOINT: 'false', AWS_USE_DUALSTACK_ENDPOINT: 'False' },
      { use_fips_endpoint: 'true', use_dualstack_endpoint: 'true' },
      false,
      false,
    ],
    [
      'env true beats profile false',
      { AWS_USE_FIPS_ENDPOINT: 'true' },
      { use_fips_endpoint: 'false' },
      true,
      false,
    ],
    [
      'empty env falls through to the profile',
      { AWS_USE_DUALSTACK_ENDPOINT: '' },
      { use_dualstack_endpoint: 'true' },
      false,
      true,
    ],
  ] as const)('%s', (_name, env, profile, useFips, useDualStack) => {
    expect(endpointFlagsFromEnv(env, profile)).toEqual({ useFips, useDualStack });
  });

  it.each([
    [
      { AWS_USE_FIPS_ENDPOINT: 'yes' },
      undefined,
      'AWS_USE_FIPS_ENDPOINT must be "true" or "false", received "yes"',
    ],
    [
      { AWS_USE_DUALSTACK_ENDPOINT: '1' },
      undefined,
      'AWS_USE_DUALSTACK_ENDPOINT must be "true" or "false", received "1"',
    ],
    [
      {},
      { use_fips_endpoint: 'on' },
      'use_fips_endpoint in the AWS profile must be "true" or "false", received "on"',
    ],
  ])('rejects %j %j', (env, profile, message) => {
    expect(reasonOf(() => endpointFlagsFromEnv(env, profile))).toBe('config_invalid');
    expect(() => endpointFlagsFromEnv(env, profile)).toThrow(message);
  });
});
