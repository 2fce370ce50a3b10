/**
 * AWS partitions: the data set of the AWS SDK endpoint rules (token-and-webhook.md §1.4), copied here so
 * that neither the generator nor the verifier has to load the SDK to learn a region's DNS suffix.
 */

export type PartitionId =
  'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f' | 'aws-eusc';

export interface PartitionInfo {
  id: PartitionId;
  /** Regions of this partition that are not listed in `regions` (matched after every exact list). */
  regionRegex: RegExp;
  /** Regions known by name, `<id>-global` included. */
  regions: readonly string[];
  /** Suffix of regional hosts: `sts.<region>.<dnsSuffix>`. */
  dnsSuffix: string;
  /** Suffix of dual-stack hosts: `sts.<region>.<dualStackDnsSuffix>`. */
  dualStackDnsSuffix: string;
}

function partition(info: PartitionInfo): PartitionInfo {
  return Object.freeze({ ...info, regions: Object.freeze([...info.regions]) });
}

/** Order of the reference's own table (pkg/endpoints/partitions.go); the SDK's lookup does not depend on it. */
export const PARTITIONS: readonly PartitionInfo[] = Object.freeze([
  partition({
    id: 'aws',
    regionRegex: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    regions: [
      'af-south-1',
      'ap-east-1',
      'ap-east-2',
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-northeast-3',
      'ap-south-1',
      'ap-south-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-southeast-7',
      'aws-global',
      'ca-central-1',
      'ca-west-1',
      'eu-central-1',
      'eu-central-2',
      'eu-north-1',
      'eu-south-1',
      'eu-south-2',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'il-central-1',
      'me-central-1',
      'me-south-1',
      'me-west-1',
      'mx-central-1',
      'sa-east-1',
      'sa-west-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
    ],
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  }),
  partition({
    id: 'aws-cn',
    regionRegex: /^cn-\w+-\d+$/,
    regions: ['aws-cn-global', 'cn-north-1', 'cn-northwest-1'],
    dnsSuffix: 'amazonaws.com.cn',
    dualStackDnsSuffix: 'api.amazonwebservices.com.cn',
  }),
  partition({
    id: 'aws-us-gov',
    regionRegex: /^us-gov-\w+-\d+$/,
    regions: ['aws-us-gov-global', 'us-gov-east-1', 'us-gov-west-1'],
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  }),
  partition({
    id: 'aws-iso',
    regionRegex: /^us-iso-\w+-\d+$/,
    regions: ['aws-iso-global', 'us-iso-east-1', 'us-iso-west-1'],
    dnsSuffix: 'c2s.ic.gov',
    dualStackDnsSuffix: 'api.aws.ic.gov',
  }),
  partition({
    id: 'aws-iso-b',
    regionRegex: /^us-isob-\w+-\d+$/,
    regions: ['aws-iso-b-global', 'us-isob-east-1', 'us-isob-west-1'],
    dnsSuffix: 'sc2s.sgov.gov',
    dualStackDnsSuffix: 'api.aws.scloud',
  }),
  partition({
    id: 'aws-iso-e',
    regionRegex: /^eu-isoe-\w+-\d+$/,
    regions: ['aws-iso-e-global', 'eu-isoe-west-1'],
    dnsSuffix: 'cloud.adc-e.uk',
    dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk',
  }),
  partition({
    id: 'aws-iso-f',
    regionRegex: /^us-isof-\w+-\d+$/,
    regions: ['aws-iso-f-global', 'us-isof-east-1', 'us-isof-south-1'],
    dnsSuffix: 'csp.hci.ic.gov',
    dualStackDnsSuffix: 'api.aws.hci.ic.gov',
  }),
  partition({
    id: 'aws-eusc',
    regionRegex: /^eusc-(de)-\w+-\d+$/,
    regions: ['eusc-de-east-1'],
    dnsSuffix: 'amazonaws.eu',
    dualStackDnsSuffix: 'api.amazonwebservices.eu',
  }),
]);

const PARTITION_IDS: ReadonlySet<string> = new Set(PARTITIONS.map((p) => p.id));

/** Each region listed by name to the first partition listing it (the order `find` over PARTITIONS gives). */
const LISTED_REGIONS: ReadonlyMap<string, PartitionInfo> = (() => {
  const listed = new Map<string, PartitionInfo>();
  for (const p of PARTITIONS) for (const region of p.regions) if (!listed.has(region)) listed.set(region, p);
  return listed;
})();

export function isPartitionId(s: string): s is PartitionId {
  return PARTITION_IDS.has(s);
}

/** The partition whose table has the id (every `PartitionId` has one). */
export function partitionById(id: PartitionId): PartitionInfo {
  const found = PARTITIONS.find((p) => p.id === id);
  if (found === undefined) throw new Error(`partition table lacks ${id}`);
  return found;
}

/**
 * The SDK's partition lookup without its final fallback to aws: a region listed by name wins, then the
 * first partition whose regex matches; unknown names belong to no partition. (One map lookup for a
 * listed region: the verifier asks this for every token.)
 */
export function knownPartitionOf(region: string): PartitionInfo | undefined {
  return LISTED_REGIONS.get(region) ?? PARTITIONS.find((p) => p.regionRegex.test(region));
}

/**
 * The SDK's `partition()` lookup: a region listed by name wins, then the first partition whose regex
 * matches, then `aws`. So an unknown region name gets the commercial suffix, as in the reference.
 */
export function partitionOfRegion(region: string): PartitionInfo {
  return knownPartitionOf(region) ?? partitionById('aws');
}
