import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { AuthError } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { createStsClient } from '@iam-authenticator/token';
import type { StsCallEvent, StsClient, StsClientOptions, ValidatedToken } from '@iam-authenticator/token';
import { STS_TEST_CLUSTER, STS_TEST_OK_BODY, authErrorOf, validatedTestToken } from '../support/index.js';
import { createTestCa, issueTestCert } from '../support/tls.js';
import type { TestKeyPair } from '../support/tls.js';

// HTTPS_PROXY / NO_PROXY for the STS call (reference §2.3: Go's default transport honours them).

const CLUSTER = STS_TEST_CLUSTER;
const HOST = 'sts.us-west-2.amazonaws.com';
const SESSION = 'SESSIONtokenNEVERshown';
const PROXY_USER = 'proxyuser';
const PROXY_PASSWORD = 'proxyPASSWORDneverShown';
const OK_BODY = STS_TEST_OK_BODY;

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  servername: string | false | null | undefined;
}

/** The STS stand-in: HTTPS on loopback with a certificate for the token host. */
interface FakeSts {
  port: number;
  origin: string;
  seen: Seen[];
}

type ProxyMode = 'tunnel' | 'refuse' | 'close' | 'hang';

/** A CONNECT proxy on loopback that tunnels every CONNECT to the STS stand-in, whatever the target. */
interface FakeProxy {
  port: number;
  /** What it does with the next CONNECT. */
  mode: ProxyMode;
  /** The request target of each CONNECT (`host:port`). */
  connects: string[];
  /** The Proxy-Authorization header of each CONNECT. */
  authorizations: (string | undefined)[];
  /** Requests that were not CONNECT (a proxy-unaware client would send these). */
  plainRequests: number;
  /** Client sockets that the client has not closed yet. */
  openSockets: () => number;
  /** Stops listening: its port then refuses connections. */
  close: () => Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];

function closeOnCleanup(server: HttpServer | HttpsServer, sockets: Set<Socket>): () => Promise<void> {
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => {
        resolve();
      });
    });
  cleanups.push(close);
  return close;
}

async function listen(server: HttpServer | HttpsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startFakeSts(keys: TestKeyPair): Promise<FakeSts> {
  const seen: Seen[] = [];
  const server = createHttpsServer({ cert: keys.certPem, key: keys.keyPem }, (req, res) => {
    seen.push({
      url: req.url ?? '',
      headers: req.headers,
      servername: (req.socket as unknown as { servername?: string | false | null }).servername,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(OK_BODY);
  });
  closeOnCleanup(server, new Set());
  const port = await listen(server);
  return { port, origin: `https://127.0.0.1:${port}`, seen };
}

async function startFakeProxy(sts: FakeSts, mode: ProxyMode = 'tunnel'): Promise<FakeProxy> {
  const proxy: FakeProxy = {
    port: 0,
    mode,
    connects: [],
    authorizations: [],
    plainRequests: 0,
    openSockets: () => sockets.size,
    close: () => Promise.resolve(),
  };
  const sockets = new Set<Socket>();
  const everySocket = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    proxy.plainRequests++;
    res.writeHead(405);
    res.end();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    everySocket.add(socket);
    socket.on('close', () => everySocket.delete(socket));
    // 'end' too: the http server allows half-open sockets, so a client's FIN alone closes nothing.
    socket.on('end', () => sockets.delete(socket));
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    proxy.connects.push(req.url ?? '');
    proxy.authorizations.push(req.headers['proxy-authorization']);
    client.on('error', () => undefined);
    switch (proxy.mode) {
      case 'refuse':
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
        return;
      case 'close':
        client.destroy();
        return;
      case 'hang':
        return;
      case 'tunnel': {
        const upstream = connect(sts.port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        return;
      }
    }
  });
  proxy.close = closeOnCleanup(server, everySocket);
  proxy.port = await listen(server);
  return proxy;
}

let ca: TestKeyPair;
let stsKeys: TestKeyPair;

beforeAll(async () => {
  ca = await createTestCa();
  stsKeys = await issueTestCert(ca, { dnsNames: [HOST] });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(options: StsClientOptions): StsClient {
  const created = createStsClient({ ca: ca.certPem, ...options });
  cleanups.push(() => {
    created.close();
  });
  return created;
}

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (fields, message) => lines.push(JSON.stringify({ level: 'debug', ...fields, message })),
    info: (fields, message) => lines.push(JSON.stringify({ level: 'info', ...fields, message })),
    warn: (fields, message) => lines.push(JSON.stringify({ level: 'warn', ...fields, message })),
    error: (fields, message) => lines.push(JSON.stringify({ level: 'error', ...fields, message })),
    child: () => logger,
  };
  return logger;
}

/** Neither the token's secrets nor the proxy's credentials. */
function expectNoSecrets(text: string, token: ValidatedToken): void {
  const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(token.presignedUrl)![1]!;
  expect(text).not.toContain(signature);
  expect(text).not.toContain(SESSION);
  expect(text).not.toContain('X-Amz-');
  expect(text).not.toContain('Action=GetCallerIdentity');
  expect(text).not.toContain(PROXY_USER);
  expect(text).not.toContain(PROXY_PASSWORD);
}

const withCredentials = (port: number): string => `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${port}`;

describe('sts client behind an HTTPS_PROXY', () => {
  it('tunnels the call with CONNECT <host>:443 and sends exactly what it sends directly', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    const lines: string[] = [];
    const token = await validatedTestToken({ session: SESSION });
    const caller = await client({
      env: { HTTPS_PROXY: withCredentials(proxy.port) },
      logger: capturingLogger(lines),
    }).getCallerIdentity(token, 'server-cluster');
    expect(caller.arn).toBe('arn:aws:sts::123456789012:assumed-role/Dev/alice');
    expect(proxy.connects).toEqual([`${HOST}:443`]);
    expect(proxy.authorizations).toEqual([
      `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`,
    ]);
    expect(proxy.plainRequests).toBe(0);
    expect(sts.seen).toHaveLength(1);
    const [seen] = sts.seen;
    expect(`https://${HOST}${seen!.url}`).toBe(token.presignedUrl);
    expect(seen!.servername).toBe(HOST);
    expect(seen!.headers.host).toBe(HOST);
    expect(seen!.headers['x-k8s-aws-id']).toBe('server-cluster');
    expect(seen!.headers.accept).toBe('application/json');
    // One line names the proxy, without its userinfo.
    const proxyLines = lines.filter((line) => line.includes('proxy'));
    expect(proxyLines).toHaveLength(1);
    expect(JSON.parse(proxyLines[0]!)).toMatchObject({
      level: 'info',
      proxy: `http://127.0.0.1:${proxy.port}`,
      from: 'HTTPS_PROXY',
    });
    expectNoSecrets(lines.join('\n'), token);
  });

  it.each([
    ['https_proxy', (port: number) => ({ https_proxy: `http://127.0.0.1:${port}` })],
    [
      'a value without a scheme (Go reads it as http://)',
      (port: number) => ({ HTTPS_PROXY: `127.0.0.1:${port}` }),
    ],
    [
      'HTTPS_PROXY before https_proxy',
      (port: number) => ({ HTTPS_PROXY: `http://127.0.0.1:${port}`, https_proxy: 'http://127.0.0.1:1' }),
    ],
    [
      'a NO_PROXY that does not cover the host',
      (port: number) => ({
        HTTPS_PROXY: `http://127.0.0.1:${port}`,
        NO_PROXY: `example.com, us-west-2.amazonaws.com.evil, ${HOST}:8443, 10.0.0.0/8`,
      }),
    ],
  ])('uses the proxy for %s', async (_name, env) => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    await client({ env: env(proxy.port) }).getCallerIdentity(
      await validatedTestToken({ session: SESSION }),
      CLUSTER,
    );
    expect(proxy.connects).toEqual([`${HOST}:443`]);
    expect(sts.seen).toHaveLength(1);
  });

  it('reuses the tunnel for the next call (keep-alive) and bounds tunnels by maxConcurrency', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    const sts2 = client({ env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` }, maxConcurrency: 2 });
    await sts2.getCallerIdentity(await validatedTestToken({ clusterId: 'a', session: SESSION }), CLUSTER);
    await sts2.getCallerIdentity(await validatedTestToken({ clusterId: 'b', session: SESSION }), CLUSTER);
    expect(proxy.connects).toHaveLength(1);
    const tokens = await Promise.all(
      ['c', 'd', 'e', 'f'].map((id) => validatedTestToken({ clusterId: id, session: SESSION })),
    );
    await Promise.all(tokens.map((token) => sts2.getCallerIdentity(token, CLUSTER)));
    expect(proxy.connects.length).toBeLessThanOrEqual(2);
    expect(sts.seen).toHaveLength(6);
  });

  it.each([
    ['amazonaws.com (a domain and its subdomains)', 'NO_PROXY', 'amazonaws.com'],
    ['.amazonaws.com', 'NO_PROXY', '.amazonaws.com'],
    ['*.amazonaws.com', 'NO_PROXY', 'example.com,*.amazonaws.com'],
    ['the host with port 443', 'NO_PROXY', `${HOST}:443`],
    ['the host in upper case', 'NO_PROXY', HOST.toUpperCase()],
    ['*', 'NO_PROXY', '*'],
    ['no_proxy', 'no_proxy', HOST],
  ])('connects directly when NO_PROXY covers the host: %s', async (_name, variable, value) => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    // The direct attempt goes to the real host name and fails: no DNS here, or a certificate that our
    // test CA did not sign (so nothing but a TLS hello would ever reach AWS).
    const error = await authErrorOf(
      client({
        env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, [variable]: value },
        timeoutMs: 3000,
      }).getCallerIdentity(await validatedTestToken({ session: SESSION }), CLUSTER),
    );
    expect(error.reason).toBe('sts_unavailable');
    expect(error.message).not.toContain('proxy');
    expect(proxy.connects).toEqual([]);
    expect(sts.seen).toHaveLength(0);
  });

  it('never uses the proxy with --sts-endpoint-override', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    await client({
      endpointOverride: sts.origin,
      env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, https_proxy: `http://127.0.0.1:${proxy.port}` },
    }).getCallerIdentity(await validatedTestToken({ session: SESSION }), CLUSTER);
    expect(sts.seen).toHaveLength(1);
    expect(proxy.connects).toEqual([]);
    expect(proxy.openSockets()).toBe(0);
  });
});

describe('sts client: proxy failures are sts_unavailable, without secrets', () => {
  async function callThrough(proxyPort: number): Promise<AuthError> {
    const events: StsCallEvent[] = [];
    const lines: string[] = [];
    const token = await validatedTestToken({ session: SESSION });
    const error = await authErrorOf(
      client({
        env: { HTTPS_PROXY: withCredentials(proxyPort) },
        logger: capturingLogger(lines),
        onCall: (event) => events.push(event),
      }).getCallerIdentity(token, CLUSTER),
    );
    expect(error.reason).toBe('sts_unavailable');
    expectNoSecrets(error.message, token);
    expectNoSecrets(JSON.stringify(error.cause ?? null), token);
    expectNoSecrets(lines.join('\n'), token);
    // Reported like any failed call: one metric event (no STS status: the proxy answered), one warning.
    expect(events).toEqual([
      { stsRegion: 'us-west-2', outcome: 'unavailable', latencyMs: expect.any(Number) as number },
    ]);
    expect(lines.filter((line) => line.includes('"level":"warn"'))).toHaveLength(1);
    return error;
  }

  it('a proxy that refuses connections', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts);
    const port = proxy.port;
    await proxy.close();
    const error = await callThrough(port);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`via proxy "http://127.0.0.1:${port}"`);
    expect(sts.seen).toHaveLength(0);
  });

  it('a proxy that answers CONNECT with 407', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts, 'refuse');
    const error = await callThrough(proxy.port);
    expect(error.message).toContain('CONNECT got 407');
    expect(error.message).toContain(`via proxy "http://127.0.0.1:${proxy.port}"`);
    expect(proxy.connects).toEqual([`${HOST}:443`]);
    expect(sts.seen).toHaveLength(0);
  });

  it('a proxy that closes the connection on CONNECT', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts, 'close');
    const error = await callThrough(proxy.port);
    expect(error.message).toContain(`via proxy "http://127.0.0.1:${proxy.port}"`);
    expect(proxy.connects).toEqual([`${HOST}:443`]);
    expect(sts.seen).toHaveLength(0);
  });

  it('a proxy that never answers CONNECT: the call times out and lets go of the tunnel', async () => {
    const sts = await startFakeSts(stsKeys);
    const proxy = await startFakeProxy(sts, 'hang');
    const events: StsCallEvent[] = [];
    const sts1 = client({
      env: { HTTPS_PROXY: withCredentials(proxy.port) },
      timeoutMs: 300,
      maxConcurrency: 1,
      onCall: (event) => events.push(event),
    });
    const error = await authErrorOf(
      sts1.getCallerIdentity(await validatedTestToken({ clusterId: 'a', session: SESSION }), CLUSTER),
    );
    expect(error.reason).toBe('sts_unavailable');
    expect(error.message).toContain(`300 ms via proxy "http://127.0.0.1:${proxy.port}"`);
    expect(error.message).not.toContain(PROXY_PASSWORD);
    expect(proxy.connects).toEqual([`${HOST}:443`]);
    // The socket to the proxy is closed, not left waiting for an answer that never comes...
    await waitFor(() => proxy.openSockets() === 0);
    // ...and its agent slot (maxSockets = maxConcurrency = 1) is free for the next call.
    proxy.mode = 'tunnel';
    await sts1.getCallerIdentity(await validatedTestToken({ clusterId: 'b', session: SESSION }), CLUSTER);
    expect(proxy.connects).toEqual([`${HOST}:443`, `${HOST}:443`]);
    expect(events.map((event) => event.outcome)).toEqual(['unavailable', 'ok']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
