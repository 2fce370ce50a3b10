import { AuthError, RecencyMap, quote, systemClock } from '@iam-authenticator/core';
import type { Clock } from '@iam-authenticator/core';
import type { FromTemporaryCredentialsOptions } from '@aws-sdk/credential-providers';
import { parseArn } from '@iam-authenticator/token';
import type { MappingMetrics } from './metrics.js';

/** Turns an EC2 instance id into its private DNS name (for {{EC2PrivateDNSName}}). */
export interface Ec2DnsResolver {
  resolve(instanceId: string): Promise<string>;
  /** Stops the batch timer; lookups still queued fail. */
  close(): void;
}

export interface Ec2StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** One DescribeInstances call: instance id → PrivateDnsName (possibly ""); ids EC2 did not return are absent. */
export type DescribeInstancesFn = (instanceIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;

export interface Ec2DnsResolverOptions {
  /** EC2 region (required: no IMDS probing). */
  readonly region: string;
  /** Endpoint override, e.g. the STS emulator's URL. Default: the SDK's regional EC2 endpoint. */
  readonly endpoint?: string;
  /** Static credentials or an SDK credential provider. Default: the SDK's default chain. */
  readonly credentials?: Ec2StaticCredentials | (() => Promise<Ec2StaticCredentials>);
  /**
   * Assume this role (with `credentials` or the default chain) and make the DescribeInstances calls with
   * its credentials (reference `server.ec2DescribeInstancesRoleARN`). The SDK keeps the role's credentials
   * until shortly before they expire (sessions of one hour).
   */
  readonly assumeRoleArn?: string;
  /**
   * Sent on those AssumeRole calls as `x-amz-source-arn`, with its account as `x-amz-source-account`
   * (reference `server.sourceARN`: confused-deputy protection in the role's trust policy).
   */
  readonly sourceArn?: string;
  /** DescribeInstances calls per second (reference flag --ec2-describeInstances-qps). Default 15; 0 = no limit. */
  readonly qps?: number;
  /** Burst of the rate limit (--ec2-describeInstances-burst). Default 5. */
  readonly burst?: number;
  /** How long a resolved name is reused. Default 15 minutes (the reference caches for ever). */
  readonly cacheTtlMs?: number;
  /** Most names kept; the oldest is evicted first. Default 10,000. */
  readonly maxCacheEntries?: number;
  /** With this many lookups already in flight, further ids are batched. Default 5 (reference). */
  readonly batchThreshold?: number;
  /** Most ids per batched call. Default 100 (reference). */
  readonly maxBatchSize?: number;
  /** A batch is sent this long after its first id at the latest. Default 200 ms (reference). */
  readonly batchWindowMs?: number;
  /** Per-call timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** Clock of the cache expiry. Default: the system clock. */
  readonly now?: Clock;
  readonly metrics?: Pick<MappingMetrics, 'ec2DescribeInstancesCalls'>;
  /** Transport override (tests, alternative SDK set-ups). Default: @aws-sdk/client-ec2 DescribeInstances. */
  readonly describeInstances?: DescribeInstancesFn;
}

interface Waiter {
  resolve(name: string): void;
  reject(err: unknown): void;
}

const DEFAULT_TTL_MS = 15 * 60_000;

/**
 * EC2PrivateDNSName lookups with the reference's batching (token-and-webhook.md §3.5): a lookup already in
 * flight is joined, more than `batchThreshold` concurrent lookups are sent together (up to 100 ids, at the
 * latest after 200 ms), every call goes through a token-bucket rate limit, and names expire from the cache.
 * Empty names and failures are never cached.
 */
export function createEc2DnsResolver(options: Ec2DnsResolverOptions): Ec2DnsResolver {
  const now = options.now ?? systemClock;
  const ttlMs = options.cacheTtlMs ?? DEFAULT_TTL_MS;
  const maxEntries = options.maxCacheEntries ?? 10_000;
  const threshold = options.batchThreshold ?? 5;
  const maxBatch = options.maxBatchSize ?? 100;
  const windowMs = options.batchWindowMs ?? 200;
  const limiter = createRateLimiter(options.qps ?? 15, options.burst ?? 5);
  const describe = options.describeInstances ?? sdkDescribeInstances(options);

  const cache = new RecencyMap<string, { name: string; expiresAt: number }>(maxEntries);
  const inFlight = new Map<string, Promise<string>>();
  let pending = new Map<string, Waiter>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const remember = (id: string, name: string): void => {
    cache.set(id, { name, expiresAt: now().getTime() + ttlMs });
  };

  const callOnce = async (ids: readonly string[]): Promise<ReadonlyMap<string, string>> => {
    await limiter.take();
    options.metrics?.ec2DescribeInstancesCalls.inc();
    return describe(ids);
  };

  const settle = (id: string, names: ReadonlyMap<string, string>, waiter: Waiter): void => {
    const name = names.get(id);
    if (name === undefined) {
      waiter.reject(new AuthError('mapping_render_failed', `failed to find node ${quote(id)} in ec2`));
    } else if (name === '') {
      waiter.reject(
        new AuthError('mapping_render_failed', `ec2 has no private dns name for node ${quote(id)}`),
      );
    } else {
      remember(id, name);
      waiter.resolve(name);
    }
  };

  const failure = (id: string, err: unknown): AuthError =>
    new AuthError(
      'mapping_render_failed',
      `failed querying private dns name from ec2 for node ${quote(id)}: ${errorText(err)}`,
      { cause: err },
    );

  const single = async (id: string): Promise<string> => {
    let names: ReadonlyMap<string, string>;
    try {
      names = await callOnce([id]);
    } catch (err) {
      throw failure(id, err);
    }
    return new Promise<string>((resolve, reject) => {
      settle(id, names, { resolve, reject });
    });
  };

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = new Map();
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    callOnce(ids).then(
      (names) => {
        for (const [id, waiter] of batch) settle(id, names, waiter);
      },
      (err: unknown) => {
        // One unknown id fails the whole call (InvalidInstanceID.NotFound): ask for each id alone.
        if (ids.length > 1 && /InvalidInstanceID/.test(errorText(err))) {
          for (const [id, waiter] of batch) {
            single(id).then(
              (name) => {
                waiter.resolve(name);
              },
              (e: unknown) => {
                waiter.reject(e);
              },
            );
          }
          return;
        }
        for (const [id, waiter] of batch) waiter.reject(failure(id, err));
      },
    );
  };

  const enqueue = (id: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (closed) {
        reject(new AuthError('mapping_render_failed', 'the ec2 resolver is closed'));
        return;
      }
      pending.set(id, { resolve, reject });
      if (pending.size >= maxBatch) flush();
      else timer ??= setTimeout(flush, windowMs);
    });

  return {
    resolve(instanceId: string): Promise<string> {
      const hit = cache.get(instanceId);
      if (hit !== undefined) {
        if (hit.expiresAt > now().getTime()) return Promise.resolve(hit.name);
        cache.delete(instanceId);
      }
      const joined = inFlight.get(instanceId);
      if (joined !== undefined) return joined;
      const lookup = inFlight.size >= threshold ? enqueue(instanceId) : single(instanceId);
      const tracked = lookup.finally(() => inFlight.delete(instanceId));
      inFlight.set(instanceId, tracked);
      return tracked;
    },
    close(): void {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const batch = pending;
      pending = new Map();
      for (const waiter of batch.values()) {
        waiter.reject(new AuthError('mapping_render_failed', 'the ec2 resolver is closed'));
      }
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return String(err);
}

/** A token bucket: `burst` calls at once, then `qps` per second. Waiting uses real (monotonic) time. */
export function createRateLimiter(qps: number, burst: number): { take(): Promise<void> } {
  if (qps <= 0) return { take: () => Promise.resolve() };
  const capacity = Math.max(1, burst);
  let tokens = capacity;
  let last = performance.now();
  let chain: Promise<void> = Promise.resolve();
  const refill = (): void => {
    const t = performance.now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * qps);
    last = t;
  };
  const takeOne = async (): Promise<void> => {
    refill();
    while (tokens < 1) {
      const waitMs = Math.ceil(((1 - tokens) / qps) * 1000);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      refill();
    }
    tokens -= 1;
  };
  return {
    take(): Promise<void> {
      const next = chain.then(takeOne);
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

function sdkDescribeInstances(options: Ec2DnsResolverOptions): DescribeInstancesFn {
  // Loaded on first use: the SDK is big and only node mappings need it.
  let client: Promise<DescribeInstancesFn> | undefined;
  const load = async (): Promise<DescribeInstancesFn> => {
    const { EC2Client, DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
    const credentials =
      options.assumeRoleArn === undefined ? options.credentials : await roleCredentials(options);
    const ec2 = new EC2Client({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(credentials === undefined ? {} : { credentials }),
      maxAttempts: 2,
      requestHandler: {
        requestTimeout: options.timeoutMs ?? 10_000,
        connectionTimeout: options.timeoutMs ?? 10_000,
      },
    });
    return async (instanceIds) => {
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds] }));
      const names = new Map<string, string>();
      for (const reservation of out.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (instance.InstanceId !== undefined)
            names.set(instance.InstanceId, instance.PrivateDnsName ?? '');
        }
      }
      return names;
    };
  };
  return async (ids) => {
    client ??= load();
    return (await client)(ids);
  };
}

type SdkPlugin = NonNullable<FromTemporaryCredentialsOptions['clientPlugins']>[number];

/** A role's credentials for the EC2 client: the SDK's AssumeRole provider, with the source headers. */
async function roleCredentials(options: Ec2DnsResolverOptions): Promise<() => Promise<Ec2StaticCredentials>> {
  const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
  const { sourceArn } = options;
  const sourceAccount = sourceArn === undefined || sourceArn === '' ? '' : parseArn(sourceArn).accountId;
  const sourceHeaders: Record<string, string> =
    sourceArn === undefined || sourceArn === ''
      ? {}
      : {
          'x-amz-source-arn': sourceArn,
          ...(sourceAccount === '' ? {} : { 'x-amz-source-account': sourceAccount }),
        };
  // Added before signing, so the headers are part of the signature.
  const sourcePlugin: SdkPlugin = {
    applyToStack(stack) {
      stack.add(
        (next) => (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers !== undefined) Object.assign(request.headers, sourceHeaders);
          return next(args);
        },
        { step: 'build', name: 'iamAuthenticatorSourceHeaders' },
      );
    },
  };
  return fromTemporaryCredentials({
    params: {
      RoleArn: options.assumeRoleArn,
      RoleSessionName: EC2_ROLE_SESSION_NAME,
      DurationSeconds: 3600,
    },
    ...(options.credentials === undefined ? {} : { masterCredentials: options.credentials }),
    // The SDK's STS endpoint for the region (AWS_ENDPOINT_URL_STS overrides it).
    clientConfig: { region: options.region },
    clientPlugins: Object.keys(sourceHeaders).length === 0 ? [] : [sourcePlugin],
  });
}

/** The session name of the EC2 role's AssumeRole calls (CloudTrail shows it). */
const EC2_ROLE_SESSION_NAME = 'aws-iam-authenticator-ec2';
