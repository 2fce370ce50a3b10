import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The mapper metrics of the reference (token-and-webhook.md §3.7), plus our own mapping-state gauges.
 * Names are byte-identical to the reference where it defines them.
 */
export interface MappingMetrics {
  /** aws_iam_authenticator_ec2_describe_instances_calls_total */
  readonly ec2DescribeInstancesCalls: Counter;
  /** aws_iam_authenticator_configmap_watch_failures_total (EKSConfigMap backend) */
  readonly configMapWatchFailures: Counter;
  /** aws_iam_authenticator_dynamicfile_failures_total */
  readonly dynamicFileFailures: Counter;
  /** aws_iam_authenticator_dynamic_e2e_latency_seconds{type=dynamic_file|dynamic_backend_mode} */
  readonly dynamicE2eLatency: Histogram<'type'>;
  /** aws_iam_authenticator_dynamic_file_enabled */
  readonly dynamicFileEnabled: Gauge;
  /** aws_iam_authenticator_dynamic_file_only */
  readonly dynamicFileOnly: Gauge;
  /** Ours: aws_iam_authenticator_mapping_entries{backend,kind} (roles/users/accounts of the live state). */
  readonly mappingEntries: Gauge<'backend' | 'kind'>;
  /** Ours: aws_iam_authenticator_mapping_parse_failures_total{backend} (a load kept the last good state). */
  readonly mappingParseFailures: Counter<'backend'>;
}

const NS = 'aws_iam_authenticator';
const created = new WeakMap<Registry, MappingMetrics>();

/**
 * Registers the mapper metrics on `registry` (never the global default). Calling it again with the same
 * registry returns the same objects, so every backend of one server can ask for them.
 */
export function createMappingMetrics(registry: Registry): MappingMetrics {
  const existing = created.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const metrics: MappingMetrics = {
    ec2DescribeInstancesCalls: new Counter({
      name: `${NS}_ec2_describe_instances_calls_total`,
      help: 'Number of EC2 describe instances calls.',
      registers,
    }),
    configMapWatchFailures: new Counter({
      name: `${NS}_configmap_watch_failures_total`,
      help: 'EKS Configmap Watch Failures',
      registers,
    }),
    dynamicFileFailures: new Counter({
      name: `${NS}_dynamicfile_failures_total`,
      help: 'Dynamic file failures',
      registers,
    }),
    dynamicE2eLatency: new Histogram({
      name: `${NS}_dynamic_e2e_latency_seconds`,
      help: 'End to end latency in seconds partitioned by type.',
      labelNames: ['type'],
      buckets: [1, 3, 5, 10, 15, 20, 30, 60],
      registers,
    }),
    dynamicFileEnabled: new Gauge({
      name: `${NS}_dynamic_file_enabled`,
      help: 'Dynamic file in backend mode is enabled',
      registers,
    }),
    dynamicFileOnly: new Gauge({
      name: `${NS}_dynamic_file_only`,
      help: 'Only dynamic file in backend mode is enabled',
      registers,
    }),
    mappingEntries: new Gauge({
      name: `${NS}_mapping_entries`,
      help: 'Entries of the live mapping state per backend (roles, users, accounts)',
      labelNames: ['backend', 'kind'],
      registers,
    }),
    mappingParseFailures: new Counter({
      name: `${NS}_mapping_parse_failures_total`,
      help: 'Loads of a mapping source that failed and kept the last good state',
      labelNames: ['backend'],
      registers,
    }),
  };
  created.set(registry, metrics);
  return metrics;
}
