import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { AuthError } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { createStsClient } from '@iam-authenticator/token';
import type { StsCallEvent, StsClient } from '@iam-authenticator/token';
import { STS_TEST_CLUSTER, authErrorOf, validatedTestToken } from '../support/index.js';

// The request, its answers and TLS are tested against a TLS stand-in in test/integration/sts-client*.

const CLUSTER = STS_TEST_CLUSTER;

function configError(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError');
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Holds the event loop, as a long synchronous task in the server would. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('sts client queue', () => {
  let server: Server;
  let sts: StsClient | undefined;
  const sockets = new Set<Socket>();
  let connections = 0;

  beforeEach(async () => {
    connections = 0;
    // An STS that accepts connections and never answers (not even the TLS handshake).
    server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    sts?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  it('does not send a queued call whose deadline passed before a slot was free, and reports it', async () => {
    const events: StsCallEvent[] = [];
    const warnings: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields) => warnings.push(fields),
      error: () => undefined,
      child: () => logger,
    };
    sts = createStsClient({
      endpointOverride: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      maxConcurrency: 1,
      timeoutMs: 300,
      onCall: (event) => events.push(event),
      logger,
    });
    const [a, b] = await Promise.all([
      validatedTestToken({ clusterId: 'a' }),
      validatedTestToken({ clusterId: 'b' }),
    ]);
    const first = sts.getCallerIdentity(a, CLUSTER);
    const second = sts.getCallerIdentity(b, CLUSTER);
    await waitFor(() => connections === 1);
    expect(sts.inFlight()).toBe(1);
    expect(sts.queued()).toBe(1);
    // Both deadlines pass while no timer can run: when the first call's timeout frees its slot, the
    // queued call's own timer has not fired yet, so release() meets a waiter that is already late.
    blockEventLoop(450);
    const [firstError, secondError] = await Promise.all([authErrorOf(first), authErrorOf(second)]);
    expect(firstError.message).toBe('sts did not answer within 300 ms');
    expect(secondError.reason).toBe('sts_unavailable');
    expect(secondError.message).toBe('no free sts connection slot within 300 ms');
    // A late waiter handed the slot would have connected by now (loopback, same process).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toBe(1);
    expect(sts.inFlight()).toBe(0);
    expect(sts.queued()).toBe(0);
    // Reported like every failed call: a metric event without a status and a warning line.
    expect(events).toEqual([
      { stsRegion: 'us-west-2', outcome: 'unavailable', latencyMs: expect.any(Number) as number },
      { stsRegion: 'us-west-2', outcome: 'unavailable', latencyMs: expect.any(Number) as number },
    ]);
    expect(warnings.map((fields) => fields.detail)).toEqual([
      'sts did not answer within 300 ms',
      'no free sts connection slot within 300 ms',
    ]);
  });

  it('reports queued calls that close() fails, like the call in flight', async () => {
    const events: StsCallEvent[] = [];
    sts = createStsClient({
      endpointOverride: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      maxConcurrency: 1,
      onCall: (event) => events.push(event),
    });
    const [a, b] = await Promise.all([
      validatedTestToken({ clusterId: 'a' }),
      validatedTestToken({ clusterId: 'b' }),
    ]);
    const first = sts.getCallerIdentity(a, CLUSTER);
    const queued = sts.getCallerIdentity(b, CLUSTER);
    await waitFor(() => connections === 1);
    sts.close();
    expect((await authErrorOf(queued)).message).toBe('sts client is closed');
    expect((await authErrorOf(first)).reason).toBe('sts_unavailable');
    expect(events.map((event) => event.outcome)).toEqual(['unavailable', 'unavailable']);
    expect(connections).toBe(1);
  });
});

describe('sts client proxy settings', () => {
  it.each([
    ['a scheme https-proxy-agent cannot speak', 'socks5://proxyUSER:PASSWORDsecret@10.0.0.1:1080', 'socks5'],
    ['something that is no url', 'http://proxyUSER:PASSWORDsecret@proxy host:3128', 'something else'],
  ])('refuses %s in HTTPS_PROXY without quoting it', (_name, value, inMessage) => {
    const error = configError(() => createStsClient({ env: { HTTPS_PROXY: value } }));
    expect(error.reason).toBe('config_invalid');
    expect(error.message).toContain('HTTPS_PROXY');
    expect(error.message).toContain(inMessage);
    expect(error.message).not.toContain('PASSWORDsecret');
    expect(error.message).not.toContain('proxyUSER');
  });

  it('ignores the proxy variables with an endpoint override or a NO_PROXY of *', () => {
    expect(() =>
      createStsClient({ endpointOverride: 'https://127.0.0.1:1', env: { HTTPS_PROXY: 'socks5://x:1' } }),
    ).not.toThrow();
    expect(() => createStsClient({ env: { HTTPS_PROXY: 'socks5://x:1', no_proxy: '*' } })).not.toThrow();
  });
});
