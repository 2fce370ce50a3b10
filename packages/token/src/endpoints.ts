import { AuthError, quote } from '@iam-authenticator/core';
import { partitionOfRegion } from './partitions.js';
import type { PartitionId } from './partitions.js';

/** Where a token is addressed and for which region it is signed. */
export interface StsEndpoint {
  /** Host of the presigned URL, e.g. `sts.us-west-2.amazonaws.com`. */
  host: string;
  /** Region of the credential scope. */
  signingRegion: string;
  partition: PartitionId;
}

export interface StsEndpointOptions {
  /** Region name; FIPS pseudo-regions (`fips-…`, `…-fips-…`, `…-fips`) turn FIPS on and are stripped. */
  region: string;
  /** `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint`. Default false. */
  useFips?: boolean | undefined;
  /** `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`. Default false. */
  useDualStack?: boolean | undefined;
}

export const DEFAULT_TOKEN_REGION = 'us-east-1';
const GLOBAL_REGION = 'aws-global';

// A region becomes a DNS label of the token's host, so anything else would address another host.
const REGION_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The SDK's pseudo-region rule (aws-sdk-go-v2 `mapPseudoRegion`): the three FIPS markers are removed. */
function stripFipsMarkers(region: string): { region: string; fips: boolean } {
  if (!region.includes('-fips-') && !region.includes('fips-') && !region.includes('-fips')) {
    return { region, fips: false };
  }
  return {
    region: region.replaceAll('-fips-', '-').replaceAll('fips-', '').replaceAll('-fips', ''),
    fips: true,
  };
}

/**
 * The STS endpoint rules of aws-sdk-go-v2 with `UseGlobalEndpoint` false, as the reference uses them to
 * address the token (token-and-webhook.md §1.4). A custom endpoint (`AWS_ENDPOINT_URL_STS`) is not
 * considered: it redirects AssumeRole calls, never the token's host.
 */
export function resolveStsEndpoint(options: StsEndpointOptions): StsEndpoint {
  const stripped = stripFipsMarkers(options.region);
  const region = stripped.region;
  if (!REGION_LABEL.test(region)) {
    throw new AuthError(
      'usage_error',
      `region must be lower-case letters, digits and hyphens (e.g. "us-west-2"), received ${quote(options.region)}`,
    );
  }
  const useFips = stripped.fips || options.useFips === true;
  const useDualStack = options.useDualStack === true;
  const partition = partitionOfRegion(region);
  const at = (host: string, signingRegion = region): StsEndpoint => ({
    host,
    signingRegion,
    partition: partition.id,
  });

  if (useFips && useDualStack) return at(`sts-fips.${region}.${partition.dualStackDnsSuffix}`);
  if (useFips) {
    // GovCloud regions are FIPS endpoints already; the ruleset keeps their regular host.
    if (partition.id === 'aws-us-gov') return at(`sts.${region}.amazonaws.com`);
    return at(`sts-fips.${region}.${partition.dnsSuffix}`);
  }
  if (useDualStack) return at(`sts.${region}.${partition.dualStackDnsSuffix}`);
  if (region === GLOBAL_REGION) return at('sts.amazonaws.com', 'us-east-1');
  return at(`sts.${region}.${partition.dnsSuffix}`);
}

export interface TokenRegionOptions {
  /** `--region` (or the config file's `region`). */
  flag?: string | undefined;
  env: Record<string, string | undefined>;
  /** `region` of the active profile in the shared config file. */
  profileRegion?: string | undefined;
}

/**
 * `--region` > `AWS_REGION` > `AWS_DEFAULT_REGION` > profile region > `us-east-1`. Unlike the reference,
 * IMDS is never asked (DESIGN.md difference 9, aia#347). Empty values count as unset, as in the SDK.
 */
export function resolveTokenRegion(options: TokenRegionOptions): string {
  const candidates = [
    options.flag,
    options.env['AWS_REGION'],
    options.env['AWS_DEFAULT_REGION'],
    options.profileRegion,
  ];
  return candidates.find((value) => value !== undefined && value !== '') ?? DEFAULT_TOKEN_REGION;
}

export interface EndpointProfileSettings {
  use_fips_endpoint?: string | undefined;
  use_dualstack_endpoint?: string | undefined;
}

/** Parses an SDK boolean setting: `true`/`false` in any letter case; anything else is an error, as in the SDK. */
function parseBooleanSetting(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new AuthError('config_invalid', `${name} must be "true" or "false", received ${quote(value)}`);
}

/** FIPS and dual-stack switches: the environment variable wins over the profile setting; default off. */
export function endpointFlagsFromEnv(
  env: Record<string, string | undefined>,
  profile?: EndpointProfileSettings,
): { useFips: boolean; useDualStack: boolean } {
  const useFips =
    parseBooleanSetting(env['AWS_USE_FIPS_ENDPOINT'], 'AWS_USE_FIPS_ENDPOINT') ??
    parseBooleanSetting(profile?.use_fips_endpoint, 'use_fips_endpoint in the AWS profile') ??
    false;
  const useDualStack =
    parseBooleanSetting(env['AWS_USE_DUALSTACK_ENDPOINT'], 'AWS_USE_DUALSTACK_ENDPOINT') ??
    parseBooleanSetting(profile?.use_dualstack_endpoint, 'use_dualstack_endpoint in the AWS profile') ??
    false;
  return { useFips, useDualStack };
}
