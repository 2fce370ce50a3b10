import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AuthError } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { createStsClient, presignCallerIdentity, verifyToken } from '@iam-authenticator/token';
import type { StsCallEvent, StsClient } from '@iam-authenticator/token';
import {
  STS_TEST_CLUSTER,
  STS_TEST_NOW,
  STS_TEST_OK_BODY,
  authErrorOf,
  validatedTestToken,
} from '../support/index.js';
import { createTestCa, issueTestCert } from '../support/tls.js';
import type { TestKeyPair } from '../support/tls.js';

const NOW = STS_TEST_NOW;
const CLUSTER = STS_TEST_CLUSTER;
const OK_BODY = STS_TEST_OK_BODY;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  servername: string | false | null | undefined;
}

interface FakeSts {
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const clients: StsClient[] = [];

async function startFakeSts(keys: TestKeyPair, handler: Handler): Promise<FakeSts> {
  const seen: Seen[] = [];
  const server = createServer({ cert: keys.certPem, key: keys.keyPem }, (req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      servername: (req.socket as unknown as { servername?: string | false | null }).servername,
    });
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function json(status: number, body: string, contentType = 'application/json'): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

let ca: TestKeyPair;
let stsKeys: TestKeyPair;
let wrongNameKeys: TestKeyPair;
let otherCa: TestKeyPair;

beforeAll(async () => {
  ca = await createTestCa();
  otherCa = await createTestCa('other-ca');
  stsKeys = await issueTestCert(ca, {
    dnsNames: ['sts.us-west-2.amazonaws.com', 'sts.eu-west-1.amazonaws.com', 'sts.amazonaws.com'],
  });
  wrongNameKeys = await issueTestCert(ca, {
    dnsNames: ['sts.eu-central-1.amazonaws.com'],
    ipAddresses: ['127.0.0.1'],
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

function client(fake: FakeSts, extra: Parameters<typeof createStsClient>[0] = {}): StsClient {
  const created = createStsClient({ endpointOverride: fake.origin, ca: ca.certPem, ...extra });
  clients.push(created);
  return created;
}

describe('sts client: the request', () => {
  it('GETs exactly the signed path and query, with Host, SNI and certificate of the token host', async () => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const token = await validatedTestToken();
    const caller = await client(fake).getCallerIdentity(token, 'server-cluster');
    expect(caller).toEqual({
      arn: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
      account: '123456789012',
      userId: 'AROAEXAMPLEID:alice',
    });
    expect(fake.seen).toHaveLength(1);
    const [seen] = fake.seen;
    expect(seen!.method).toBe('GET');
    expect(`https://${token.host}${seen!.url}`).toBe(token.presignedUrl);
    expect(seen!.headers.host).toBe('sts.us-west-2.amazonaws.com');
    expect(seen!.servername).toBe('sts.us-west-2.amazonaws.com');
    expect(seen!.headers['x-k8s-aws-id']).toBe('server-cluster');
    expect(seen!.headers.accept).toBe('application/json');
  });

  it('refuses a certificate that does not name the token host, even on an override address', async () => {
    const fake = await startFakeSts(wrongNameKeys, json(200, OK_BODY));
    const error = await authErrorOf(client(fake).getCallerIdentity(await validatedTestToken(), CLUSTER));
    expect(error.reason).toBe('sts_unavailable');
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(fake.seen).toHaveLength(0);
  });

  it('refuses a certificate from a CA it does not trust', async () => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const error = await authErrorOf(
      client(fake, { ca: otherCa.certPem }).getCallerIdentity(await validatedTestToken(), CLUSTER),
    );
    expect(error.reason).toBe('sts_unavailable');
    expect(fake.seen).toHaveLength(0);
  });

  it('does not follow redirects (reference TestVerifyNoRedirectsFollowed)', async () => {
    const target = await startFakeSts(stsKeys, json(200, OK_BODY));
    const fake = await startFakeSts(stsKeys, (_req, res) => {
      res.writeHead(302, { location: `${target.origin}/?Action=GetCallerIdentity` });
      res.end();
    });
    const error = await authErrorOf(client(fake).getCallerIdentity(await validatedTestToken(), CLUSTER));
    expect(error.reason).toBe('sts_rejected');
    expect(error.message).toContain('302');
    expect(target.seen).toHaveLength(0);
  });

  it('rejects an invalid cluster id before any request', async () => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const error = await authErrorOf(
      client(fake).getCallerIdentity(await validatedTestToken(), 'a\r\nx-evil: 1'),
    );
    expect(error.reason).toBe('config_invalid');
    expect(fake.seen).toHaveLength(0);
  });

  it('rejects a malformed endpoint override', () => {
    expect(() => createStsClient({ endpointOverride: 'http://127.0.0.1:1' })).toThrow(AuthError);
    expect(() => createStsClient({ endpointOverride: 'https://127.0.0.1:1/path' })).toThrow(AuthError);
    expect(() => createStsClient({ maxConcurrency: 0 })).toThrow(AuthError);
  });
});

describe('sts client: classification of answers (reference §2.4)', () => {
  const throttlingJson = JSON.stringify({
    Error: { Code: 'Throttling', Message: 'Rate exceeded', Type: 'Sender' },
    RequestId: 'r',
  });
  const signatureJson = JSON.stringify({
    Error: {
      Code: 'SignatureDoesNotMatch',
      Message: 'The request signature we calculated does not match SECRET-DETAIL',
      Type: 'Sender',
    },
  });
  it.each([
    [
      '400 Throttling JSON (TestVerifyHTTPThrottling)',
      json(400, throttlingJson),
      'sts_throttled',
      'Throttling',
    ],
    ['429 without a body', json(429, ''), 'sts_throttled', '429'],
    [
      '400 Throttling XML',
      json(400, '<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>', 'text/xml'),
      'sts_throttled',
      'Throttling',
    ],
    ['403 SignatureDoesNotMatch', json(403, signatureJson), 'sts_rejected', '403 SignatureDoesNotMatch'],
    ['403 with a blank body (TestVerifyHTTP403)', json(403, ' '), 'sts_rejected', '403'],
    ['500', json(500, '{"Error":{"Code":"InternalFailure"}}'), 'sts_unavailable', '500 InternalFailure'],
    ['200 not JSON (TestVerifyUnmarshalJSONError)', json(200, 'xxxx'), 'sts_response_invalid', 'not JSON'],
    [
      '200 XML (JSON only)',
      json(
        200,
        '<GetCallerIdentityResponse><GetCallerIdentityResult/></GetCallerIdentityResponse>',
        'text/xml',
      ),
      'sts_response_invalid',
      'not JSON',
    ],
    [
      '200 JSON without the result',
      json(200, '{"GetCallerIdentityResponse":{}}'),
      'sts_response_invalid',
      'Arn',
    ],
    ['200 JSON null', json(200, 'null'), 'sts_response_invalid', 'Arn'],
    [
      '200 JSON whose response is a string',
      json(200, '{"GetCallerIdentityResponse":"arn:aws:iam::1:user/x"}'),
      'sts_response_invalid',
      'Arn',
    ],
    [
      '200 JSON whose result is a list',
      json(
        200,
        '{"GetCallerIdentityResponse":{"GetCallerIdentityResult":[{"Arn":"a","Account":"1","UserId":"u"}]}}',
      ),
      'sts_response_invalid',
      'Arn',
    ],
    [
      '200 JSON with a non-string Arn',
      json(
        200,
        '{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":1,"Account":"1","UserId":"u"}}}',
      ),
      'sts_response_invalid',
      'Arn',
    ],
    ['200 larger than 64 KiB', json(200, `"${'x'.repeat(70_000)}"`), 'sts_response_invalid', 'longer'],
    [
      'dropped connection (TestVerifyHTTPError)',
      (req: IncomingMessage) => {
        req.socket.destroy();
      },
      'sts_unavailable',
      'failed',
    ],
    [
      'connection dropped mid-body (TestVerifyBodyReadError)',
      (req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"GetCaller', () => {
          setImmediate(() => req.socket.destroy());
        });
      },
      'sts_unavailable',
      'cut off',
    ],
  ])('%s', async (_name, handler, reason, inMessage) => {
    const fake = await startFakeSts(stsKeys, handler);
    const error = await authErrorOf(client(fake).getCallerIdentity(await validatedTestToken(), CLUSTER));
    expect(error.reason).toBe(reason);
    expect(error.message).toContain(inMessage);
    expect(error.message).not.toContain('SECRET-DETAIL');
    expect(error.message).not.toContain('Rate exceeded');
    const cause = JSON.stringify(error.cause ?? null);
    expect(cause).not.toContain('SECRET-DETAIL');
    expect(cause).not.toContain('xxxx');
  });

  it('times out after timeoutMs when STS does not answer', async () => {
    const fake = await startFakeSts(stsKeys, () => {
      // never answers
    });
    const started = Date.now();
    const error = await authErrorOf(
      client(fake, { timeoutMs: 300 }).getCallerIdentity(await validatedTestToken(), CLUSTER),
    );
    expect(error.reason).toBe('sts_unavailable');
    expect(error.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports an unreachable STS as sts_unavailable', async () => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    await fake.close();
    const error = await authErrorOf(client(fake).getCallerIdentity(await validatedTestToken(), CLUSTER));
    expect(error.reason).toBe('sts_unavailable');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('reports each call to onCall with the StsRegion label', async () => {
    const events: StsCallEvent[] = [];
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const sts = client(fake, { onCall: (event) => events.push(event) });
    await sts.getCallerIdentity(await validatedTestToken(), CLUSTER);
    await sts.getCallerIdentity(await validatedTestToken({ region: 'aws-global' }), CLUSTER);
    expect(events.map((e) => [e.stsRegion, e.statusCode, e.outcome])).toEqual([
      ['us-west-2', 200, 'ok'],
      ['global', 200, 'ok'],
    ]);
  });
});

describe('sts client: concurrency bound and single-flight', () => {
  it('keeps at most maxConcurrency requests on the wire and queues the rest', async () => {
    const held: ServerResponse[] = [];
    let peak = 0;
    let open = 0;
    const fake = await startFakeSts(stsKeys, (_req, res) => {
      open++;
      peak = Math.max(peak, open);
      held.push(res);
    });
    const sts = client(fake, { maxConcurrency: 2 });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => validatedTestToken({ clusterId: `c${n}` })));
    const calls = tokens.map((token) => sts.getCallerIdentity(token, CLUSTER));
    await waitFor(() => held.length === 2);
    expect(sts.inFlight()).toBe(2);
    expect(sts.queued()).toBe(3);
    while (held.length < 5 || held.some((res) => !res.writableEnded)) {
      const next = held.find((res) => !res.writableEnded);
      if (next !== undefined) {
        open--;
        next.writeHead(200, { 'content-type': 'application/json' });
        next.end(OK_BODY);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    expect(peak).toBe(2);
    expect(fake.seen).toHaveLength(5);
    expect(sts.inFlight()).toBe(0);
  });

  it('shares one request among identical calls in flight', async () => {
    const held: ServerResponse[] = [];
    const fake = await startFakeSts(stsKeys, (_req, res) => held.push(res));
    const sts = client(fake);
    const token = await validatedTestToken();
    const calls = [
      sts.getCallerIdentity(token, CLUSTER),
      sts.getCallerIdentity(token, CLUSTER),
      sts.getCallerIdentity(token, CLUSTER),
    ];
    const otherCluster = sts.getCallerIdentity(token, 'another-cluster');
    await waitFor(() => held.length === 2);
    for (const res of held) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(OK_BODY);
    }
    const results = await Promise.all([...calls, otherCluster]);
    expect(new Set(results.map((r) => r.arn)).size).toBe(1);
    expect(fake.seen).toHaveLength(2);
    // After it settled, the same token goes to STS again (caching is the server's job).
    const again = sts.getCallerIdentity(token, CLUSTER);
    await waitFor(() => held.length === 3);
    held[2]!.writeHead(200, { 'content-type': 'application/json' });
    held[2]!.end(OK_BODY);
    await again;
    expect(fake.seen).toHaveLength(3);
  });

  it('sends each identical call in flight with singleFlight off (for callers that join them)', async () => {
    const held: ServerResponse[] = [];
    const fake = await startFakeSts(stsKeys, (_req, res) => held.push(res));
    const sts = client(fake, { singleFlight: false });
    const token = await validatedTestToken();
    const calls = [sts.getCallerIdentity(token, CLUSTER), sts.getCallerIdentity(token, CLUSTER)];
    await waitFor(() => held.length === 2);
    for (const res of held) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(OK_BODY);
    }
    expect(new Set((await Promise.all(calls)).map((r) => r.arn)).size).toBe(1);
    expect(fake.seen).toHaveLength(2);
  });

  it('fails queued calls when closed', async () => {
    const fake = await startFakeSts(stsKeys, () => {
      // holds every request
    });
    const sts = client(fake, { maxConcurrency: 1 });
    const first = sts.getCallerIdentity(await validatedTestToken({ clusterId: 'a' }), CLUSTER);
    const second = sts.getCallerIdentity(await validatedTestToken({ clusterId: 'b' }), CLUSTER);
    await waitFor(() => fake.seen.length === 1);
    sts.close();
    expect((await authErrorOf(second)).reason).toBe('sts_unavailable');
    expect((await authErrorOf(first)).reason).toBe('sts_unavailable');
    expect((await authErrorOf(sts.getCallerIdentity(await validatedTestToken(), CLUSTER))).message).toContain(
      'closed',
    );
  });
});

describe('verifyToken', () => {
  it('validates, calls STS with the server cluster id and builds the identity', async () => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const { token } = await presignCallerIdentity({
      credentials: { accessKeyId: 'ASIAR2TG44V6AS3ZZE7C', secretAccessKey: 's' },
      clusterId: CLUSTER,
      region: 'eu-west-1',
      now: () => NOW,
    });
    const identity = await verifyToken(token, { clusterId: 'server-id', now: () => NOW, sts: client(fake) });
    expect(identity).toEqual({
      arn: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
      canonicalArn: 'arn:aws:iam::123456789012:role/Dev',
      accountId: '123456789012',
      userId: 'AROAEXAMPLEID',
      sessionName: 'alice',
      accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
      stsEndpoint: 'sts.eu-west-1.amazonaws.com',
      principalId: 'AROAEXAMPLEID:alice',
    });
    expect(fake.seen[0]!.headers['x-k8s-aws-id']).toBe('server-id');
  });

  it.each([
    ['a loopback host', (port: number) => `https://127.0.0.1/?p=${port}`, 'aws', 'host_not_allowed'],
    ['a loopback host with a port', (port: number) => `https://127.0.0.1:${port}/`, 'aws', 'url_invalid'],
    [
      'a GovCloud host in partition aws',
      () => 'https://sts.us-gov-west-1.amazonaws.com/',
      'aws',
      'host_not_allowed',
    ],
    ['an attacker host', () => 'https://sts.us-west-2.amazonaws.com.evil.io/', 'aws', 'host_not_allowed'],
    [
      'a commercial host in partition aws-cn',
      () => 'https://sts.us-west-2.amazonaws.com/',
      'aws-cn',
      'host_not_allowed',
    ],
  ] as const)('never contacts STS for %s', async (_name, base, partition, reason) => {
    const fake = await startFakeSts(stsKeys, json(200, OK_BODY));
    const { presignedUrl } = await presignCallerIdentity({
      credentials: { accessKeyId: 'ASIAR2TG44V6AS3ZZE7C', secretAccessKey: 's' },
      clusterId: CLUSTER,
      region: 'us-west-2',
      now: () => NOW,
    });
    const port = Number(new URL(fake.origin).port);
    const query = presignedUrl.slice(presignedUrl.indexOf('?'));
    const url = base(port).includes('?') ? base(port) : `${base(port)}${query}`;
    const token = `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
    const error = await authErrorOf(
      verifyToken(token, { clusterId: CLUSTER, partition, now: () => NOW, sts: client(fake) }),
    );
    expect(error.reason).toBe(reason);
    expect(fake.seen).toHaveLength(0);
  });
});

describe('sts client logs', () => {
  it('never contain the presigned URL, the signature or the session token', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      info: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      warn: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      error: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      child: () => logger,
    };
    const answers: Handler[] = [
      json(200, OK_BODY),
      json(403, '{"Error":{"Code":"SignatureDoesNotMatch","Message":"body SECRET"}}'),
      json(400, '{"Error":{"Code":"Throttling"}}'),
      json(200, 'xxxx'),
      (req) => req.socket.destroy(),
    ];
    let next = 0;
    const fake = await startFakeSts(stsKeys, (req, res) => {
      answers[next++ % answers.length]!(req, res);
    });
    const sts = client(fake, { logger });
    const token = await validatedTestToken({ session: 'SESSIONtokenNEVERlogged' });
    for (let i = 0; i < answers.length; i++) {
      await sts.getCallerIdentity(token, CLUSTER).catch(() => undefined);
    }
    expect(lines).toHaveLength(answers.length);
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(token.presignedUrl)![1]!;
    const text = lines.join('\n');
    expect(text).not.toContain(signature);
    expect(text).not.toContain('SESSIONtokenNEVERlogged');
    expect(text).not.toContain('X-Amz-Credential');
    expect(text).not.toContain('body SECRET');
    expect(text).toContain('SignatureDoesNotMatch');
  });
});

describe('sts client: request id in the debug line', () => {
  it("shows STS's RequestId only when it looks like one", async () => {
    const fields: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: (logged) => fields.push(logged),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const answer = (requestId: unknown): string => {
      const body = JSON.parse(OK_BODY) as { GetCallerIdentityResponse: { ResponseMetadata: unknown } };
      body.GetCallerIdentityResponse.ResponseMetadata = { RequestId: requestId };
      return JSON.stringify(body);
    };
    const bodies = [answer('4a3f-99'), answer('not an id <b>'), answer(42), answer('x'.repeat(65))];
    let next = 0;
    const fake = await startFakeSts(stsKeys, (req, res) => {
      json(200, bodies[next++] ?? '')(req, res);
    });
    const sts = client(fake, { logger });
    for (let i = 0; i < bodies.length; i++) {
      await sts.getCallerIdentity(await validatedTestToken(), CLUSTER);
    }
    expect(fields.map((logged) => logged['requestId'])).toEqual(['4a3f-99', undefined, undefined, undefined]);
    expect(fields.every((logged) => logged['outcome'] === 'ok')).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
