import type { Logger } from '@iam-authenticator/core';
import {
  createEc2DnsResolver,
  createMappingMetrics,
  matchIdentity,
  needsEc2PrivateDnsName,
} from '@iam-authenticator/mapping';
import type { Ec2DnsResolver, MappingBackend, MappingSet, MatchResult } from '@iam-authenticator/mapping';
import { createStsClient, validateToken } from '@iam-authenticator/token';
import type { Identity, StsCallEvent, StsClient, ValidatedToken } from '@iam-authenticator/token';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { MappingOutcome } from './authenticate.js';
import { startBackendChain } from './backend-chain.js';
import type { BackendChain } from './backend-chain.js';
import type { ServerConfig } from './config.js';
import type { Expiring } from './identity-cache.js';
import { IdentityInterner } from './identity-interner.js';
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
  /** Where the STS client reads HTTPS_PROXY/NO_PROXY. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Pipeline {
  /** The mapper chain in use (it changes when a dynamic backend mode file switches the modes). */
  readonly chain: () => readonly MappingBackend[];
  readonly verify: (token: string) => Promise<Expiring<Identity>>;
  /** `known`: the identity object was reviewed before, so its result is worth keeping. */
  readonly map: (identity: Identity, known: boolean) => MappingOutcome | Promise<MappingOutcome>;
  close(): Promise<void>;
}

export async function buildPipeline(config: ServerConfig, deps: PipelineDeps): Promise<Pipeline> {
  const injected = deps.backends;
  const ec2 =
    deps.ec2 ??
    createEc2DnsResolver({
      region: config.ec2Region,
      qps: config.ec2DescribeInstancesQps,
      burst: config.ec2DescribeInstancesBurst,
      ...(config.ec2DescribeInstancesRoleArn === ''
        ? {}
        : { assumeRoleArn: config.ec2DescribeInstancesRoleArn }),
      ...(config.sourceArn === '' ? {} : { sourceArn: config.sourceArn }),
      // aws_iam_authenticator_ec2_describe_instances_calls_total
      metrics: createMappingMetrics(deps.registry),
    });
  const { metrics } = deps;
  // prom-client labelled children per region, made once: no label objects per STS call.
  const perRegion = new Map<string, { latency: { observe(s: number): void }; ok: { inc(): void } }>();
  const onCall = (event: StsCallEvent): void => {
    let region = perRegion.get(event.stsRegion);
    if (region === undefined) {
      region = {
        latency: metrics.stsCallLatency.labels({ StsRegion: event.stsRegion }),
        ok: metrics.stsResponses.labels({ StsRegion: event.stsRegion, ResponseCode: '200' }),
      };
      perRegion.set(event.stsRegion, region);
    }
    region.latency.observe(event.latencyMs / 1000);
    if (event.statusCode === 200) {
      region.ok.inc();
      return; // an answer of 200 is never a throttling
    }
    const labels = { StsRegion: event.stsRegion };
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
      ...(deps.env === undefined ? {} : { env: deps.env }),
      onCall,
      // The identity cache joins concurrent reviews of one token already (a token is one URL, as
      // decodeToken accepts canonical base64url only).
      singleFlight: false,
    });
  metrics.watchStsInFlight(() => sts.inFlight());
  const partition = config.partition;
  // Injected backends are fixed and started by their owner; otherwise the pipeline owns the chain.
  let owned: BackendChain | undefined;
  let chain: () => readonly MappingBackend[];
  if (injected === undefined) {
    const started = await startBackendChain(config, {
      logger: deps.logger,
      registry: deps.registry,
      now: deps.now,
    });
    owned = started;
    chain = () => started.current();
  } else chain = () => injected;
  const matchOptions = {
    ssoRoleMatch: config.featureGates['SSORoleMatch'] ?? true,
    reservedPrefixes: config.reservedPrefixes,
    ec2,
    now: deps.now,
    trace: false,
  };
  /**
   * A mapping result is a pure function of the identity and the backends' snapshots (a backend swaps in
   * a new MappingSet object on every change, never edits one in place). So an identity reviewed before
   * (a cached token, or a new token of an identity the interner already holds) keeps its result while
   * every backend still serves the same snapshot, and an aws-auth edit applies to the very next review.
   * A first-seen identity keeps nothing. Results that render {{EC2PrivateDNSName}} (an EC2 lookup that
   * can fail for a while) are matched again every time.
   */
  const mapped = new WeakMap<
    Identity,
    { backends: readonly MappingBackend[]; snapshots: readonly MappingSet[]; outcome: MappingOutcome }
  >();
  const interner = new IdentityInterner(config.identityCacheMaxEntries);
  return {
    verify: (token) => {
      // Local checks first (no network unless all pass); the token's expiry bounds its cache entry.
      let validated: ValidatedToken;
      try {
        validated = validateToken(token, { partition, regions: config.regions, now: deps.now });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error('token validation failed'));
      }
      return sts.getCallerIdentity(validated, config.clusterId).then((caller) => ({
        value: interner.identityOf(caller, validated),
        expiresAt: validated.expiresAt,
      }));
    },
    map: (identity, known) => {
      const backends = chain();
      const memo = known ? mapped.get(identity) : undefined;
      if (
        memo !== undefined &&
        memo.backends === backends &&
        memo.snapshots.every((set, i) => backends[i]?.current() === set)
      ) {
        return memo.outcome;
      }
      if (!known) {
        return matchIdentity(identity, backends, matchOptions).then((result) => toOutcome(result, backends));
      }
      // Read before matching, and matching reads them synchronously: a change during an EC2 lookup
      // makes the stored snapshots stale, so the next review matches again.
      const snapshots = backends.map((backend) => backend.current());
      return matchIdentity(identity, backends, matchOptions).then((result) => {
        const outcome = toOutcome(result, backends);
        if (outcome.denyReason !== 'mapping_not_synced' && reusable(result, backends, snapshots)) {
          mapped.set(identity, { backends, snapshots, outcome });
        }
        return outcome;
      });
    },
    chain,
    async close() {
      metrics.watchStsInFlight(() => 0);
      if (ownSts) sts.close();
      if (deps.ec2 === undefined) ec2.close();
      await owned?.stop();
    },
  };
}

/**
 * The review outcome of a match. "No mapping" while a backend of the chain has not loaded its data yet
 * (the server starting, the API server unreachable since start) is not final: kube-apiserver caches a
 * denial for its cache TTL (2 min by default), but retries a 503 carrying Retry-After and caches nothing.
 */
function toOutcome(result: MatchResult, backends: readonly MappingBackend[]): MappingOutcome {
  if (result.mapped !== undefined) {
    return {
      mapped: {
        username: result.mapped.username,
        groups: result.mapped.groups,
        backend: result.mapped.backend,
      },
    };
  }
  const denyReason = result.denyReason ?? 'identity_unmapped';
  if (denyReason === 'identity_unmapped') {
    const loading = backends.filter((backend) => !backend.status().synced).map((backend) => backend.name);
    if (loading.length > 0) {
      return {
        denyReason: 'mapping_not_synced',
        detail: `no mapping found, and ${loading.join(', ')} has not loaded its mappings yet`,
      };
    }
  }
  return {
    denyReason,
    ...(result.denyDetail === undefined ? {} : { detail: result.denyDetail }),
  };
}

/** Whether a match result depends on nothing but the snapshots (no EC2 lookup, no render failure). */
function reusable(
  result: MatchResult,
  backends: readonly MappingBackend[],
  snapshots: readonly MappingSet[],
): boolean {
  if (result.mapped === undefined) return result.denyReason !== 'mapping_render_failed';
  const { backend, entry } = result.mapped;
  if (entry.key === 'mapAccounts') return true;
  const set = snapshots[backends.findIndex((b) => b.name === backend)];
  const matched = set?.[entry.key][entry.index];
  return matched !== undefined && !needsEc2PrivateDnsName(matched.username, matched.groups);
}
