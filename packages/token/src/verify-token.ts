import { systemClock } from '@iam-authenticator/core';
import { buildIdentity } from './build-identity.js';
import type { Identity } from './identity.js';
import type { PartitionId } from './partitions.js';
import type { StsClient } from './sts-client.js';
import { validateToken } from './validate-token.js';

export interface VerifyOptions {
  /** The server's cluster ID, sent as x-k8s-aws-id: STS rejects tokens signed for another value. */
  clusterId: string;
  /** Default `aws`. */
  partition?: PartitionId | undefined;
  /** Optional STS region allow-list (see `isAllowedStsHost`). */
  regions?: readonly string[] | undefined;
  /** Default: the system clock. */
  now?: (() => Date) | undefined;
  sts: StsClient;
}

/**
 * Local checks (no network unless every one passes), then STS GetCallerIdentity, then the identity.
 * Throws `AuthError` with the reason of the first failure.
 */
export async function verifyToken(token: string, options: VerifyOptions): Promise<Identity> {
  const validated = validateToken(token, {
    partition: options.partition ?? 'aws',
    regions: options.regions,
    now: options.now ?? systemClock,
  });
  const caller = await options.sts.getCallerIdentity(validated, options.clusterId);
  return buildIdentity(caller, validated);
}
