import { AuthError } from '@iam-authenticator/core';
import { FaultQueue, parseFault } from './faults.js';

describe('faults', () => {
  it.each([
    ['not an object', 'x', 'expected an object'],
    ['zero count', { count: 0, kind: 'drop' }, 'count: expected an integer >= 1, received 0'],
    ['unknown kind', { count: 1, kind: 'explode' }, 'kind: expected one of latency, http500, throttle, drop'],
    ['negative latency', { count: 1, kind: 'latency', latencyMs: -1 }, 'latencyMs: expected a number'],
    ['unknown action', { count: 1, kind: 'drop', action: 'GetSessionToken' }, 'action: expected one of'],
    ['unknown key', { count: 1, kind: 'drop', times: 2 }, 'times: unknown key'],
  ])('rejects %s', (_name, value, expected) => {
    expect(() => parseFault(value)).toThrow(AuthError);
    expect(() => parseFault(value)).toThrow(expected);
  });

  it('applies faults in order, per action, and uses up their counts', () => {
    const queue = new FaultQueue();
    queue.add({ count: 1, kind: 'throttle', action: 'AssumeRole' });
    queue.add({ count: 2, kind: 'http500' });
    expect(queue.take('GetCallerIdentity')?.kind).toBe('http500');
    expect(queue.take('AssumeRole')?.kind).toBe('throttle');
    expect(queue.take('AssumeRole')?.kind).toBe('http500');
    expect(queue.take('AssumeRole')).toBeUndefined();
    expect(queue.pending()).toBe(0);
  });

  it('defaults latency to one second and can be cleared', () => {
    const queue = new FaultQueue();
    queue.add({ count: 3, kind: 'latency' });
    expect(queue.take('DescribeInstances')).toEqual({ kind: 'latency', latencyMs: 1000 });
    queue.clear();
    expect(queue.take('DescribeInstances')).toBeUndefined();
  });
});
