import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * `result` label values of the latency histogram, byte-identical to the reference (§3.7), including
 * its misspelled `uknown_user`. `internal_error` is ours (the reference has no such path).
 */
export type ReviewResult =
  | 'malformed_request'
  | 'invalid_token'
  | 'sts_error'
  | 'sts_throttling'
  | 'uknown_user'
  | 'success'
  | 'internal_error';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly authenticateLatency: Histogram<'result'>;
  readonly stsConnectionFailures: Counter<'StsRegion'>;
  readonly stsResponses: Counter<'ResponseCode' | 'StsRegion'>;
  readonly stsThrottling: Counter<'StsRegion'>;
  readonly stsCallLatency: Histogram<'StsRegion'>;
  readonly identityCacheHits: Counter;
  readonly identityCacheMisses: Counter;
  readonly stsInFlight: Gauge;
  /** Where the in-flight gauge reads its value at each scrape (the STS client's own count). */
  watchStsInFlight(read: () => number): void;
}

const NS = 'aws_iam_authenticator';

/** Registers the server's metrics on `registry` (never the global default registry, so tests stay isolated). */
export function createServerMetrics(
  registry: Registry,
  options: { defaultMetrics?: boolean } = {},
): ServerMetrics {
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let readStsInFlight: () => number = () => 0;
  return {
    registry,
    authenticateLatency: new Histogram({
      name: `${NS}_authenticate_latency_seconds`,
      help: 'Authenticate call latency',
      labelNames: ['result'],
      registers,
    }),
    stsConnectionFailures: new Counter({
      name: `${NS}_sts_connection_failures_total`,
      help: 'STS connection failures',
      labelNames: ['StsRegion'],
      registers,
    }),
    stsResponses: new Counter({
      name: `${NS}_sts_responses_total`,
      help: 'STS responses with response code',
      labelNames: ['ResponseCode', 'StsRegion'],
      registers,
    }),
    stsThrottling: new Counter({
      name: `${NS}_sts_throttling_total`,
      help: 'STS throttling count',
      labelNames: ['StsRegion'],
      registers,
    }),
    stsCallLatency: new Histogram({
      name: `${NS}_stscall_latency_seconds`,
      help: 'STS GetCallerIdentity call latency',
      labelNames: ['StsRegion'],
      registers,
    }),
    identityCacheHits: new Counter({
      name: `${NS}_identity_cache_hits_total`,
      help: 'TokenReviews answered from the identity cache',
      registers,
    }),
    identityCacheMisses: new Counter({
      name: `${NS}_identity_cache_misses_total`,
      help: 'TokenReviews not answered from the identity cache: their token was verified (locally, then by an STS call or one in flight), whether or not that succeeded',
      registers,
    }),
    stsInFlight: new Gauge({
      name: `${NS}_sts_in_flight_requests`,
      help: 'STS GetCallerIdentity calls in flight',
      registers,
      // Read when scraped: exact then, and nothing to update on each STS call.
      collect() {
        this.set(readStsInFlight());
      },
    }),
    watchStsInFlight(read) {
      readStsInFlight = read;
    },
  };
}
