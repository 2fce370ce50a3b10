import { isAllowedStsHost, parseStsHost } from './host-allow-list.js';
import type { PartitionId } from './partitions.js';

type Row = [partition: string, host: string, regions: readonly string[] | undefined, allowed: boolean];

function check(partition: string, host: string, regions: readonly string[] | undefined): boolean {
  return isAllowedStsHost(host, { partition: partition as PartitionId, regions });
}

const AWS_REGIONAL = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
];

describe('isAllowedStsHost: reference TestSTSEndpoints vectors with the same outcome', () => {
  const rows: Row[] = [
    ['aws', 'sts.amazonaws.com', undefined, true],
    ['aws-cn', 'sts.amazonaws.com', undefined, false],
    ['aws-us-gov', 'sts.amazonaws.com', undefined, false],
    ['aws-iso', 'sts.amazonaws.com', undefined, false],
    ['aws-iso-b', 'sts.amazonaws.com', undefined, false],
    ['aws-iso-e', 'sts.amazonaws.com', undefined, false],
    ['aws-iso-f', 'sts.amazonaws.com', undefined, false],
    ['aws-not-a-partition', 'sts.amazonaws.com', undefined, false],
    ['aws-cn', 'sts.cn-northwest-1.amazonaws.com.cn', undefined, true],
    ['aws-cn', 'sts.cn-north-1.amazonaws.com.cn', undefined, true],
    ['aws-cn', 'sts.us-iso-east-1.c2s.ic.gov', undefined, false],
    ['aws-cn', 'sts.not-a-region1.amazonaws.com.cn', undefined, false],
    ['aws-cn', 'sts.not-a-region2.amazonaws.com.cn', ['not-a-region2'], true],
    ['aws', 'sts-fips.us-west-2.amazonaws.com', undefined, true],
    ['aws', 'sts-fips.us-east-1.amazonaws.com', undefined, true],
    ...AWS_REGIONAL.map((r): Row => ['aws', `sts.${r}.amazonaws.com`, undefined, true]),
    ['aws', 'sts.amazonaws.com.cn', undefined, false],
    ['aws', 'website.amazonaws.com', undefined, false],
    ['aws', 'sts.default-region.amazonaws.com', ['default-region'], true],
    ['aws-iso', 'sts.us-iso-east-1.c2s.ic.gov', undefined, true],
    ['aws-iso', 'sts.cn-north-1.amazonaws.com.cn', undefined, false],
    ['aws-iso-b', 'sts.cn-north-1.amazonaws.com.cn', undefined, false],
    ['aws-us-gov', 'sts.us-gov-east-1.amazonaws.com', undefined, true],
    ['aws-cn', 'sts-fips.us-east-1.amazonaws.com', undefined, false],
    ['aws-cn', 'sts.us-isob-east-1.amazonaws.com.cn', undefined, false],
    ['aws-iso-b', 'sts.us-isob-east-1.amazonaws.com.cn', undefined, false],
    ['aws-iso-b', 'sts.us-isob-east-1.amazonaws.com.cn', ['us-isob-east-1'], false],
    ['aws', 'sts.us-west-2.api.aws', undefined, true],
    ['aws-cn', 'sts.cn-north-1.api.amazonwebservices.com.cn', undefined, true],
    ['aws', 'sts.cn-north-1.api.amazonwebservices.com.cn', undefined, false],
    ['aws', 'sts.not-a-region.amazonaws.com', ['not-a-region'], true],
    ['aws-cn', 'sts.not-a-region3.amazonaws.com.cn', undefined, false],
    ['aws-cn', 'sts.not-a-region4.amazonaws.com.cn', ['not-a-region4'], true],
    ['aws-cn', 'sts.not-a-region5.amazonaws.com.cn', ['us-west-2'], false],
    // TestSTSEndpointResolution
    ['aws-cn', 'sts.us-west-2.amazonaws.com.cn', undefined, false],
    ['aws', 'sts.us-west-2.amazonaws.com.cn', undefined, false],
    ['aws', 'sts.us-west-2.amazonaws.com.cn', ['us-west-2'], false],
    ['aws-cn', 'sts.not-a-region.amazonaws.com', ['not-a-region'], false],
  ];
  it.each(rows)('%s %s regions=%j → %s', (partition, host, regions, allowed) => {
    expect(check(partition, host, regions)).toBe(allowed);
  });
});

describe('isAllowedStsHost: where we are stricter than the reference (DESIGN.md difference 3)', () => {
  const rows: [string, ...Row][] = [
    // reference: accepted (region resolves to aws by fallback); we: unknown region names need the region list
    ['unknown region name without a region list', 'aws', 'sts.not-a-region.amazonaws.com', undefined, false],
    // reference: accepted (fallback to the server's IMDS region is not even needed); we: the list binds
    ['region list excludes the host region', 'aws', 'sts.not-a-region.amazonaws.com', ['us-west-2'], false],
    ['region list excludes a known region', 'aws', 'sts.eu-west-1.amazonaws.com', ['us-west-2'], false],
    // reference: accepted by the IMDS-region fallback with no domain check; we: region of another partition
    [
      'configured region of another partition',
      'aws-cn',
      'sts.us-isob-east-1.amazonaws.com.cn',
      ['us-isob-east-1'],
      false,
    ],
    // reference: aws and aws-us-gov accept each other's hosts (same DNS suffix); we: bound to the partition
    ['GovCloud host in partition aws', 'aws', 'sts.us-gov-east-1.amazonaws.com', undefined, false],
    ['GovCloud dual-stack host in partition aws', 'aws', 'sts.us-gov-west-1.api.aws', undefined, false],
    [
      'commercial host in partition aws-us-gov',
      'aws-us-gov',
      'sts.us-east-1.amazonaws.com',
      undefined,
      false,
    ],
    ['commercial dual-stack in aws-us-gov', 'aws-us-gov', 'sts.us-east-1.api.aws', undefined, false],
    ['global host when the region list lacks us-east-1', 'aws', 'sts.amazonaws.com', ['eu-west-1'], false],
  ];
  it.each(rows)('%s: %s %s regions=%j → %s', (_name, partition, host, regions, allowed) => {
    expect(check(partition, host, regions)).toBe(allowed);
  });
});

describe('isAllowedStsHost: FIPS, dual-stack and exact comparison', () => {
  const rows: [string, ...Row][] = [
    ['dual-stack FIPS', 'aws', 'sts-fips.us-east-2.api.aws', undefined, true],
    ['GovCloud regional', 'aws-us-gov', 'sts.us-gov-west-1.amazonaws.com', undefined, true],
    [
      'GovCloud FIPS host refused, as the reference (the SDK signs GovCloud FIPS tokens for sts.)',
      'aws-us-gov',
      'sts-fips.us-gov-west-1.amazonaws.com',
      undefined,
      false,
    ],
    ['GovCloud FIPS dual-stack host', 'aws-us-gov', 'sts-fips.us-gov-west-1.api.aws', undefined, true],
    ['GovCloud dual-stack', 'aws-us-gov', 'sts.us-gov-east-1.api.aws', undefined, true],
    [
      'iso dual-stack, which the SDK resolves (reference rejects: its own table has no iso dual-stack domains)',
      'aws-iso',
      'sts.us-iso-west-1.api.aws.ic.gov',
      undefined,
      true,
    ],
    ['iso-e regional', 'aws-iso-e', 'sts.eu-isoe-west-1.cloud.adc-e.uk', undefined, true],
    ['iso-f regional', 'aws-iso-f', 'sts.us-isof-south-1.csp.hci.ic.gov', undefined, true],
    ['eusc regional', 'aws-eusc', 'sts.eusc-de-east-1.amazonaws.eu', undefined, true],
    ['new region matching the partition pattern', 'aws', 'sts.ap-southeast-9.amazonaws.com', undefined, true],
    ['global host with us-east-1 listed', 'aws', 'sts.amazonaws.com', ['us-east-1'], true],
    [
      'region list includes the region',
      'aws',
      'sts.eu-west-1.amazonaws.com',
      ['us-west-2', 'eu-west-1'],
      true,
    ],
    ['upper case', 'aws', 'STS.US-EAST-1.AMAZONAWS.COM', undefined, false],
    ['upper-case region label', 'aws', 'sts.US-east-1.amazonaws.com', undefined, false],
    ['trailing dot', 'aws', 'sts.us-east-1.amazonaws.com.', undefined, false],
    ['global trailing dot', 'aws', 'sts.amazonaws.com.', undefined, false],
    ['port 443', 'aws', 'sts.us-east-1.amazonaws.com:443', undefined, false],
    ['global port 443', 'aws', 'sts.amazonaws.com:443', undefined, false],
    ['other service label', 'aws', 'iam.us-east-1.amazonaws.com', undefined, false],
    ['extra label', 'aws', 'sts.us-east-1.evil.amazonaws.com', undefined, false],
    ['lookalike suffix', 'aws', 'sts.us-east-1.amazonaws.com.evil.com', undefined, false],
    ['lookalike prefix', 'aws', 'evilsts.us-east-1.amazonaws.com', undefined, false],
    ['underscore region', 'aws', 'sts.us_east_1.amazonaws.com', undefined, false],
    ['empty region', 'aws', 'sts..amazonaws.com', undefined, false],
    ['region with a leading dash', 'aws', 'sts.-us-east-1.amazonaws.com', undefined, false],
    ['pseudo region aws-global', 'aws', 'sts.aws-global.amazonaws.com', undefined, false],
    ['empty host', 'aws', '', undefined, false],
    ['loopback', 'aws', '127.0.0.1', undefined, false],
    ['userinfo', 'aws', 'user@sts.us-east-1.amazonaws.com', undefined, false],
  ];
  it.each(rows)('%s: %s %s regions=%j → %s', (_name, partition, host, regions, allowed) => {
    expect(check(partition, host, regions)).toBe(allowed);
  });

  it('reports the region the host serves', () => {
    expect(parseStsHost('sts.amazonaws.com', { partition: 'aws' })).toEqual({
      service: 'sts',
      region: 'us-east-1',
      dualStack: false,
      global: true,
    });
    expect(parseStsHost('sts-fips.us-west-2.api.aws', { partition: 'aws' })).toEqual({
      service: 'sts-fips',
      region: 'us-west-2',
      dualStack: true,
      global: false,
    });
  });
});
