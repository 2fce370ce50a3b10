import { PARTITIONS, isPartitionId, partitionById, partitionOfRegion } from './partitions.js';

describe('partition table', () => {
  it('lists the eight partitions of the reference, in its order', () => {
    expect(PARTITIONS.map((p) => p.id)).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
      'aws-iso',
      'aws-iso-b',
      'aws-iso-e',
      'aws-iso-f',
      'aws-eusc',
    ]);
  });

  it.each([
    ['aws', 'amazonaws.com', 'api.aws'],
    ['aws-cn', 'amazonaws.com.cn', 'api.amazonwebservices.com.cn'],
    ['aws-us-gov', 'amazonaws.com', 'api.aws'],
    ['aws-iso', 'c2s.ic.gov', 'api.aws.ic.gov'],
    ['aws-iso-b', 'sc2s.sgov.gov', 'api.aws.scloud'],
    ['aws-iso-e', 'cloud.adc-e.uk', 'api.cloud-aws.adc-e.uk'],
    ['aws-iso-f', 'csp.hci.ic.gov', 'api.aws.hci.ic.gov'],
    ['aws-eusc', 'amazonaws.eu', 'api.amazonwebservices.eu'],
  ] as const)('%s has DNS suffix %s and dual-stack suffix %s', (id, dns, dualStack) => {
    const info = partitionById(id);
    expect(info.dnsSuffix).toBe(dns);
    expect(info.dualStackDnsSuffix).toBe(dualStack);
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(PARTITIONS)).toBe(true);
    expect(Object.isFrozen(partitionById('aws').regions)).toBe(true);
    expect(Object.isFrozen(partitionById('aws'))).toBe(true);
  });
});

describe('partitionOfRegion', () => {
  it.each([
    // listed by name
    ['us-east-1', 'aws'],
    ['il-central-1', 'aws'],
    ['mx-central-1', 'aws'],
    ['aws-global', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['aws-cn-global', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['us-isof-south-1', 'aws-iso-f'],
    ['eusc-de-east-1', 'aws-eusc'],
    // unlisted, matched by the partition's regex
    ['ap-southeast-9', 'aws'],
    ['cn-south-7', 'aws-cn'],
    ['us-gov-central-3', 'aws-us-gov'],
    ['us-iso-north-2', 'aws-iso'],
    ['us-isob-south-4', 'aws-iso-b'],
    ['eu-isoe-east-2', 'aws-iso-e'],
    ['us-isof-west-5', 'aws-iso-f'],
    ['eusc-de-west-3', 'aws-eusc'],
    // nothing matches: the commercial partition, as in the SDK
    ['eusc-fr-east-1', 'aws'],
    ['mars-north-1', 'aws'],
    ['local', 'aws'],
    ['', 'aws'],
    ['US-GOV-WEST-1', 'aws'],
  ])('%j belongs to %s', (region, id) => {
    expect(partitionOfRegion(region).id).toBe(id);
  });
});

describe('isPartitionId', () => {
  it.each(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'])(
    'accepts %s',
    (id) => {
      expect(isPartitionId(id)).toBe(true);
    },
  );
  it.each(['', 'AWS', 'aws-global', 'aws-iso-c', 'toString', '__proto__'])('rejects %j', (id) => {
    expect(isPartitionId(id)).toBe(false);
  });
});
