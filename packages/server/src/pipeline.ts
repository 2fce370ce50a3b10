import type { Logger } from '@iam-authenticator/core';
import { createEc2DnsResolver, createMappingMetrics, matchIdentity } from '@iam-authenticator/mapping';
import type { Ec2DnsResolver, MappingBackend } from '@iam-authenticator/mapping';
import { buildIdentity, createStsClient, validateToken } from '@iam-authenticator/token';
import type { Identity, StsCallEvent, StsClient } from '@iam-authenticator/token';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { MappingOutcome } from './authenticate.js';
import { buildBackends } from './backends.js';
import type { ServerConfig } from './config.js';
import type { Expiring } from './identity-cache.js';
import type { ServerMetrics } from './metrics.js';

/** The STS client the pipeline needs (token's createStsClient). */
export type StsClientLike = StsClient;

export interface PipelineDeps {
  readonly logger: Logger;
  readonly now: () => Date;
  readonly metrics: ServerMetrics;
  readonly registry: Registry;
  readonly sts?: StsClientLike;
  /** Default: built from config.backendMode (and started/stopped by the pipeline). */
  readonly backends?: readonly MappingBackend[];
  /** EC2 lookups for {{EC2PrivateDNSName}} (default: an SDK resolver for config.ec2Region). */
  readonly ec2?: Ec2DnsResolver;
}

export interface Pipeline {
  readonly verify: (token: string) => Promise<Expiring<Identity>>;
  readonly map: (identity: Identity) => Promise<MappingOutcome>;
  readonly backends: readonly MappingBackend[];
  close(): Promise<void>;
}

export async function buildPipeline(config: ServerConfig, deps: PipelineDeps): Promise<Pipeline> {
  const ownBackends = deps.backends === undefined;
  const backends =
    deps.backends ?? buildBackends(config, { logger: deps.logger, registry: deps.registry, now: deps.now });
  const ec2 =
    deps.ec2 ??
    createEc2DnsResolver({
      region: config.ec2Region,
      qps: config.ec2DescribeInstancesQps,
      burst: config.ec2DescribeInstancesBurst,
      // aws_iam_authenticator_ec2_describe_instances_calls_total
      metrics: createMappingMetrics(deps.registry),
    });
  const { metrics } = deps;
  const onCall = (event: StsCallEvent): void => {
    const labels = { StsRegion: event.stsRegion };
    metrics.stsCallLatency.observe(labels, event.latencyMs / 1000);
    if (event.statusCode === undefined) metrics.stsConnectionFailures.inc(labels);
    else metrics.stsResponses.inc({ ...labels, ResponseCode: String(event.statusCode) });
    if (event.outcome === 'throttled') metrics.stsThrottling.inc(labels);
  };
  const ownSts = deps.sts === undefined;
  const sts =
    deps.sts ??
    createStsClient({
      timeoutMs: config.stsTimeoutMs,
      maxConcurrency: config.stsMaxConcurrency,
      ...(config.stsEndpointOverride === '' ? {} : { endpointOverride: config.stsEndpointOverride }),
      ...(config.stsCaFile === '' ? {} : { ca: readFileSync(config.stsCaFile, 'utf8') }),
      logger: deps.logger,
      onCall,
    });
  const inFlightTimer = setInterval(() => {
    metrics.stsInFlight.set(sts.inFlight());
  }, 1000);
  inFlightTimer.unref();
  metrics.stsInFlight.set(0);
  const partition = config.partition;
  if (ownBackends) await Promise.all(backends.map((backend) => backend.start()));
  const matchOptions = {
    ssoRoleMatch: config.featureGates['SSORoleMatch'] ?? true,
    reservedPrefixes: config.reservedPrefixes,
    ec2,
    now: deps.now,
  };
  return {
    verify: async (token) => {
      // Local checks first (no network unless all pass); the token's expiry bounds its cache entry.
      const validated = validateToken(token, { partition, regions: config.regions, now: deps.now });
      metrics.stsInFlight.set(sts.inFlight() + 1);
      try {
        const caller = await sts.getCallerIdentity(validated, config.clusterId);
        return { value: buildIdentity(caller, validated), expiresAt: validated.expiresAt };
      } finally {
        metrics.stsInFlight.set(sts.inFlight());
      }
    },
    map: async (identity) => {
      const result = await matchIdentity(identity, backends, matchOptions);
      if (result.mapped !== undefined) {
        return {
          mapped: {
            username: result.mapped.username,
            groups: result.mapped.groups,
            backend: result.mapped.backend,
          },
        };
      }
      return {
        denyReason: result.denyReason ?? 'identity_unmapped',
        ...(result.denyDetail === undefined ? {} : { detail: result.denyDetail }),
      };
    },
    backends,
    async close() {
      clearInterval(inFlightTimer);
      if (ownSts) sts.close();
      if (deps.ec2 === undefined) ec2.close();
      if (ownBackends) await Promise.all(backends.map((backend) => backend.stop()));
    },
  };
}
