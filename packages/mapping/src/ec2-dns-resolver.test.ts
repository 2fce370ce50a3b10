import { Registry } from 'prom-client';
import { isAuthError } from '@iam-authenticator/core';
import { createEc2DnsResolver } from './ec2-dns-resolver.js';
import type { DescribeInstancesFn } from './ec2-dns-resolver.js';
import { createMappingMetrics } from './metrics.js';

/** A fake EC2 transport (an external system): answers from a table and records each call's ids. */
function fakeEc2(names: Record<string, string>, options: { gate?: Promise<void> } = {}) {
  const calls: string[][] = [];
  const describe: DescribeInstancesFn = async (ids) => {
    calls.push([...ids]);
    await options.gate;
    const unknown = ids.filter((id) => names[id] === undefined);
    if (ids.length > 1 && unknown.length > 0) {
      const err = new Error(`The instance IDs '${unknown.join(', ')}' do not exist`);
      err.name = 'InvalidInstanceID.NotFound';
      throw err;
    }
    return new Map(ids.flatMap((id) => (names[id] === undefined ? [] : [[id, names[id]] as const])));
  };
  return { calls, describe };
}

const ids = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `i-${(0x10000000 + i).toString(16)}`);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error,
  );
}

describe('createEc2DnsResolver', () => {
  it('resolves and caches until the TTL passes (injected clock)', async () => {
    let t = 0;
    const ec2 = fakeEc2({ 'i-01234567': 'ip-10-0-0-1.ec2.internal' });
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      cacheTtlMs: 60_000,
      qps: 0,
      now: () => new Date(t),
    });
    expect(await resolver.resolve('i-01234567')).toBe('ip-10-0-0-1.ec2.internal');
    t = 59_999;
    expect(await resolver.resolve('i-01234567')).toBe('ip-10-0-0-1.ec2.internal');
    expect(ec2.calls).toHaveLength(1);
    t = 60_000;
    expect(await resolver.resolve('i-01234567')).toBe('ip-10-0-0-1.ec2.internal');
    expect(ec2.calls).toHaveLength(2);
  });

  it('joins a lookup already in flight', async () => {
    let open!: () => void;
    const ec2 = fakeEc2({ 'i-01234567': 'n1' }, { gate: new Promise<void>((r) => (open = r)) });
    const resolver = createEc2DnsResolver({ region: 'us-east-1', describeInstances: ec2.describe, qps: 0 });
    const all = Promise.all([
      resolver.resolve('i-01234567'),
      resolver.resolve('i-01234567'),
      resolver.resolve('i-01234567'),
    ]);
    open();
    expect(await all).toEqual(['n1', 'n1', 'n1']);
    expect(ec2.calls).toEqual([['i-01234567']]);
  });

  it('batches lookups beyond the in-flight threshold, up to maxBatchSize per call', async () => {
    let open!: () => void;
    const wanted = ids(12);
    const ec2 = fakeEc2(Object.fromEntries(wanted.map((id) => [id, `dns-${id}`])), {
      gate: new Promise<void>((r) => (open = r)),
    });
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      qps: 0,
      batchThreshold: 5,
      maxBatchSize: 4,
      batchWindowMs: 10,
    });
    const all = Promise.all(wanted.map((id) => resolver.resolve(id)));
    open();
    expect(await all).toEqual(wanted.map((id) => `dns-${id}`));
    expect(ec2.calls.map((c) => c.length)).toEqual([1, 1, 1, 1, 1, 4, 3]);
    expect(ec2.calls.slice(5).flat()).toEqual(wanted.slice(5));
    resolver.close();
  });

  it('a batch with an unknown id falls back to single calls so the others still resolve', async () => {
    let open!: () => void;
    const known = ids(7);
    const ec2 = fakeEc2(Object.fromEntries(known.slice(0, 6).map((id) => [id, `dns-${id}`])), {
      gate: new Promise<void>((r) => (open = r)),
    });
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      qps: 0,
      batchWindowMs: 5,
    });
    const results = Promise.allSettled(known.map((id) => resolver.resolve(id)));
    open();
    const settled = await results;
    expect(settled.slice(0, 6).map((s) => s.status)).toEqual(Array(6).fill('fulfilled'));
    expect(settled[6]).toMatchObject({ status: 'rejected' });
    expect(String((settled[6] as PromiseRejectedResult).reason)).toMatch(/failed to find node/);
  });

  it('never caches an empty name, and reports it', async () => {
    const ec2 = fakeEc2({ 'i-01234567': '' });
    const resolver = createEc2DnsResolver({ region: 'us-east-1', describeInstances: ec2.describe, qps: 0 });
    const first = await rejection(resolver.resolve('i-01234567'));
    expect(isAuthError(first) && first.reason).toBe('mapping_render_failed');
    expect(first.message).toBe('ec2 has no private dns name for node "i-01234567"');
    await rejection(resolver.resolve('i-01234567'));
    expect(ec2.calls).toHaveLength(2);
  });

  it('an unknown instance fails without poisoning later lookups', async () => {
    const names: Record<string, string> = {};
    const ec2 = fakeEc2(names);
    const resolver = createEc2DnsResolver({ region: 'us-east-1', describeInstances: ec2.describe, qps: 0 });
    expect((await rejection(resolver.resolve('i-01234567'))).message).toBe(
      'failed to find node "i-01234567" in ec2',
    );
    names['i-01234567'] = 'late';
    expect(await resolver.resolve('i-01234567')).toBe('late');
  });

  it('a transport error names the instance and the error', async () => {
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      qps: 0,
      describeInstances: () =>
        Promise.reject(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' })),
    });
    expect((await rejection(resolver.resolve('i-01234567'))).message).toBe(
      'failed querying private dns name from ec2 for node "i-01234567": UnauthorizedOperation: denied',
    );
  });

  it('rate-limits calls (burst, then qps)', async () => {
    const wanted = ids(4);
    const ec2 = fakeEc2(Object.fromEntries(wanted.map((id) => [id, 'x'])));
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      qps: 50,
      burst: 1,
    });
    const started = performance.now();
    for (const id of wanted) await resolver.resolve(id);
    // 1 call from the burst, then 3 more at 50/s: at least 60 ms in all.
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('counts calls in ec2_describe_instances_calls_total', async () => {
    const registry = new Registry();
    const metrics = createMappingMetrics(registry);
    const ec2 = fakeEc2({ 'i-01234567': 'n' });
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      qps: 0,
      metrics,
    });
    await resolver.resolve('i-01234567');
    await resolver.resolve('i-01234567');
    expect(
      await registry.getSingleMetricAsString('aws_iam_authenticator_ec2_describe_instances_calls_total'),
    ).toMatch(/_total 1$/m);
  });

  it('close() fails queued lookups', async () => {
    let open!: () => void;
    const wanted = ids(6);
    const ec2 = fakeEc2(Object.fromEntries(wanted.map((id) => [id, 'x'])), {
      gate: new Promise<void>((r) => (open = r)),
    });
    const resolver = createEc2DnsResolver({
      region: 'us-east-1',
      describeInstances: ec2.describe,
      qps: 0,
      batchWindowMs: 10_000,
    });
    const firsts = wanted.slice(0, 5).map((id) => resolver.resolve(id));
    const last = resolver.resolve(wanted[5] ?? '');
    resolver.close();
    open();
    await Promise.all(firsts);
    expect((await rejection(last)).message).toBe('the ec2 resolver is closed');
  });
});
