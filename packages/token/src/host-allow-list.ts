import { isPartitionId, knownPartitionOf, partitionById } from './partitions.js';
import type { PartitionId } from './partitions.js';

export interface StsHostOptions {
  /** The partition the server serves (server `--partition`); only that partition's hosts pass. */
  partition: PartitionId;
  /**
   * Optional list of regions the server accepts tokens for. When set, only these regions pass (a name
   * that belongs to another partition never does); when unset, every region of the partition passes.
   */
  regions?: readonly string[] | undefined;
}

/** The SDK's global STS host, signed for us-east-1: partition aws only. */
export const GLOBAL_STS_HOST = 'sts.amazonaws.com';
export const GLOBAL_STS_SIGNING_REGION = 'us-east-1';

/** Lower case only: hosts are compared exactly, so `STS.US-EAST-1…` is not the same host (reference §2.2). */
const REGION_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export interface StsHostParts {
  /** `sts` or `sts-fips`. */
  readonly service: 'sts' | 'sts-fips';
  /** The region label of the host, or `us-east-1` for the global host. */
  readonly region: string;
  readonly dualStack: boolean;
  readonly global: boolean;
}

/**
 * DESIGN.md difference 3: the reference accepts any host its SDK resolver produces for any region, falls
 * back to the server's IMDS region without a domain check, and lets aws and aws-us-gov accept each
 * other's hosts (same DNS suffix). Here a host passes only if it is exactly
 * `sts[-fips].<region>.<dnsSuffix|dualStackDnsSuffix>` of the configured partition (no `sts-fips` host on
 * aws-us-gov's `amazonaws.com`, as in the reference; the iso partitions' dual-stack hosts, which the SDK's current partition
 * data resolves and the reference's own table lacks, pass), the region is one of
 * that partition (by name or by its region pattern; no fallback to aws for unknown names) or of the
 * configured region list, or it is `sts.amazonaws.com` in partition aws. Comparison is exact: upper
 * case, a trailing dot or any port (even :443) fail.
 */
export function isAllowedStsHost(host: string, options: StsHostOptions): boolean {
  return parseStsHost(host, options) !== undefined;
}

/** `isAllowedStsHost`, also telling which region the host serves; `undefined` when not allowed. */
export function parseStsHost(host: string, options: StsHostOptions): StsHostParts | undefined {
  // Run-time guard: a partition from an untyped config must not pass by accident.
  if (!isPartitionId(options.partition)) return undefined;
  const partition = partitionById(options.partition);
  const regions = options.regions;
  if (host === GLOBAL_STS_HOST) {
    if (partition.id !== 'aws') return undefined;
    if (
      regions !== undefined &&
      !regions.includes(GLOBAL_STS_SIGNING_REGION) &&
      !regions.includes('aws-global')
    ) {
      return undefined;
    }
    return { service: 'sts', region: GLOBAL_STS_SIGNING_REGION, dualStack: false, global: true };
  }
  const first = host.indexOf('.');
  const second = first < 0 ? -1 : host.indexOf('.', first + 1);
  if (second < 0) return undefined;
  const service = host.slice(0, first);
  if (service !== 'sts' && service !== 'sts-fips') return undefined;
  const region = host.slice(first + 1, second);
  const suffix = host.slice(second + 1);
  let dualStack: boolean;
  if (suffix === partition.dnsSuffix) dualStack = false;
  else if (suffix === partition.dualStackDnsSuffix) dualStack = true;
  else return undefined;
  // The SDK signs FIPS tokens of aws-us-gov for sts.<region>.amazonaws.com (reference §1.4), so that
  // sts-fips host is no endpoint; FIPS with dual-stack is sts-fips.<region>.api.aws.
  if (service === 'sts-fips' && partition.id === 'aws-us-gov' && !dualStack) return undefined;
  if (!REGION_LABEL.test(region) || region.endsWith('-global')) return undefined;
  const owner = knownPartitionOf(region);
  if (regions !== undefined) {
    // A configured name that no partition claims (a new region) counts as the configured partition's.
    if (!regions.includes(region) || (owner !== undefined && owner.id !== partition.id)) return undefined;
  } else if (owner?.id !== partition.id) {
    return undefined;
  }
  return { service, region, dualStack, global: false };
}
