import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCOUNT, CLUSTER, OTHER_ACCOUNT, ROLES, STS_HOST, USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

/** A token built without our presigner: the AWS SDK's own SigV4 presign, as `aws eks get-token` does. */
async function independentToken(
  user: (typeof USERS)[keyof typeof USERS],
  clusterId: string,
  signingDate: Date,
): Promise<string> {
  const signer = new SignatureV4({
    service: 'sts',
    region: 'us-east-1',
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: STS_HOST,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: STS_HOST, 'x-k8s-aws-id': clusterId },
    }),
    { expiresIn: 60, signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(Array.isArray(v) ? v.join(',') : (v ?? ''))}`,
    )
    .join('&');
  const url = `https://${STS_HOST}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

describe('POST /authenticate against the STS emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.sts.resetCounts();
  });

  /** Raw HTTP over TLS to the webhook: `talk` writes the request; resolves with every byte answered once it closes. */
  const rawExchange = (talk: (socket: TLSSocket) => void): Promise<string> => {
    const url = new URL(h.started.url);
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: h.servingCa,
        servername: 'localhost',
      });
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.on('close', () => {
        resolve(answer);
      });
      socket.on('error', reject);
      talk(socket);
    });
  };

  it.each(['authentication.k8s.io/v1', 'authentication.k8s.io/v1beta1'])(
    'accepts a token from our generator and echoes %s',
    async (apiVersion) => {
      const token = await h.token('admin');
      const res = await h.review(token, { apiVersion });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        apiVersion,
        kind: 'TokenReview',
        metadata: {},
        spec: {},
        status: {
          authenticated: true,
          user: {
            username: 'admin',
            uid: `aws-iam-authenticator:${ACCOUNT}:${USERS.admin.userId}`,
            groups: ['system:masters'],
            extra: {
              accessKeyId: [USERS.admin.accessKeyId],
              arn: [USERS.admin.arn],
              canonicalArn: [USERS.admin.arn],
              principalId: [USERS.admin.userId],
              sessionName: [''],
              'sigs.k8s.io/aws-iam-authenticator/principalId': [USERS.admin.userId],
            },
          },
        },
      });
    },
  );

  it('accepts a token built by an independent SigV4 presign', async () => {
    const res = await h.review(await independentToken(USERS.admin, CLUSTER, new Date(Date.now() - 7000)));
    expect(res.json.status).toMatchObject({ authenticated: true, user: { username: 'admin' } });
    expect(h.sts.counts()['GetCallerIdentity']).toBe(1);
  });

  it('answers a request without TypeMeta without TypeMeta, like the reference', async () => {
    const token = await h.token('admin');
    const res = await h.post('/authenticate', JSON.stringify({ spec: { token } }));
    const json = JSON.parse(res.body) as Record<string, unknown>;
    expect(json['apiVersion']).toBeUndefined();
    expect(json['status']).toMatchObject({ authenticated: true });
  });

  it('maps an account with mapAccounts to the canonical ARN and no groups', async () => {
    const res = await h.review(await h.token('other'));
    expect(res.json.status.user).toMatchObject({
      username: USERS.other.arn,
      uid: `aws-iam-authenticator:${OTHER_ACCOUNT}:${USERS.other.userId}`,
    });
    expect(res.json.status.user.groups).toBeUndefined();
  });

  it('scrubs the uid and extras of a scrubbed account, and its ARN from the log', async () => {
    const res = await h.review(await h.token('scrubbed'));
    expect(res.json.status.user).toEqual({
      username: 'ops',
      uid: 'aws-iam-authenticator:administrative:ops',
      groups: ['ops'],
    });
    const line = h.logs.lines().find((l) => l['username'] === 'ops');
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).not.toContain(USERS.scrubbed.arn);
  });

  it('denies an unmapped identity with 200 and the reason code', async () => {
    const res = await h.review(await h.token('nobody'));
    expect(res.status).toBe(200);
    expect(res.json.status).toEqual({ authenticated: false, user: {}, error: 'identity_unmapped' });
  });

  it('denies a token signed for another cluster after STS refuses it', async () => {
    const res = await h.review(await h.token('admin', { clusterId: 'another-cluster' }));
    expect(res.status).toBe(200);
    expect(res.json.status).toMatchObject({ authenticated: false, error: 'sts_rejected' });
    expect(h.sts.counts()['GetCallerIdentity']).toBe(1);
  });

  it('serves a second review of one token from the identity cache but maps it afresh', async () => {
    const token = await h.token('admin', { now: new Date(Date.now() - 11_000) });
    await h.review(token);
    await h.review(token);
    expect(h.sts.counts()['GetCallerIdentity']).toBe(1);
    const metrics = await h.server.registry.metrics();
    expect(metrics).toMatch(/aws_iam_authenticator_identity_cache_hits_total [1-9]/);
  });

  it('makes one STS call for concurrent reviews of one token (single-flight)', async () => {
    const token = await h.token('admin', { now: new Date(Date.now() - 13_000) });
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.review(token)));
    expect(answers.every((a) => a.json.status.authenticated === true)).toBe(true);
    expect(h.sts.counts()['GetCallerIdentity']).toBe(1);
  });

  it('accepts an assumed role whose mapping is written with the role path', async () => {
    const credentials = await h.assumeRole('admin', ROLES.dev.arn, 'jane@example.com');
    const res = await h.review(await h.tokenFor(credentials));
    expect(res.json.status).toMatchObject({
      authenticated: true,
      user: {
        username: 'dev:jane-example.com',
        groups: ['devs'],
        uid: `aws-iam-authenticator:${ACCOUNT}:${ROLES.dev.roleId}`,
        extra: {
          arn: [`arn:aws:sts::${ACCOUNT}:assumed-role/Dev/jane@example.com`],
          canonicalArn: [`arn:aws:iam::${ACCOUNT}:role/Dev`],
          sessionName: ['jane@example.com'],
          principalId: [ROLES.dev.roleId],
        },
      },
    });
  });

  it.each([
    ['GET', 405, 'expected POST'],
    ['PUT', 405, 'expected POST'],
  ])('answers %s with %s', async (method, status, text) => {
    const res = await h.post('/authenticate', '', { method });
    expect(res.status).toBe(status);
    expect(res.body).toContain(text);
    expect(res.headers['allow']).toBe('POST');
  });

  it.each([
    ['', 'expected a request body to be a TokenReview'],
    ['not valid json', 'expected a request body to be a TokenReview'],
    ['{"apiVersion":"authentication.k8s.io/v2","kind":"TokenReview"}', 'expected apiVersion'],
    [
      '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":7}}',
      'expected spec.token',
    ],
  ])('answers 400 to the malformed body %j', async (body, text) => {
    const res = await h.post('/authenticate', body);
    expect(res.status).toBe(400);
    expect(res.body).toContain(text);
  });

  it('answers 415 to a non-JSON content type and 413 to an oversized body', async () => {
    const wrongType = await h.post('/authenticate', '{}', { headers: { 'content-type': 'application/xml' } });
    expect(wrongType.status).toBe(415);
    const huge = await h.post('/authenticate', JSON.stringify({ spec: { token: 'x'.repeat(200_000) } }));
    expect(huge.status).toBe(413);
    expect(huge.body).not.toContain('xxxx');
  });

  it('delivers the 413 to a client still sending its oversized body, declared or chunked', async () => {
    const send = (chunked: boolean): Promise<string> =>
      rawExchange((socket) => {
        socket.write(
          `POST /authenticate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${
            chunked ? 'Transfer-Encoding: chunked' : 'Content-Length: 400000'
          }\r\n\r\n`,
        );
        const piece = 'x'.repeat(20_000);
        for (let i = 0; i < 20; i++)
          socket.write(chunked ? `${piece.length.toString(16)}\r\n${piece}\r\n` : piece);
        if (chunked) socket.write('0\r\n\r\n');
      });
    for (let i = 0; i < 10; i++) {
      for (const chunked of [false, true]) {
        expect((await send(chunked)).split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      }
    }
  });

  it('answers 404 elsewhere and serves metrics with the reference names', async () => {
    expect((await h.post('/nope', '', { method: 'GET' })).status).toBe(404);
    const metrics = await h.post('/metrics', '', { method: 'GET' });
    expect(metrics.status).toBe(200);
    for (const name of [
      'aws_iam_authenticator_authenticate_latency_seconds_bucket{le="0.005",result="success"}',
      'result="uknown_user"',
      'result="malformed_request"',
      'aws_iam_authenticator_sts_in_flight_requests',
      'aws_iam_authenticator_identity_cache_misses_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect(metrics.body).toContain(name);
    }
  });

  it('observes a malformed request with the time it took, not zero', async () => {
    const malformedSum = async (): Promise<number> =>
      Number(
        /^aws_iam_authenticator_authenticate_latency_seconds_sum\{result="malformed_request"\} (\S+)$/m.exec(
          (await h.post('/metrics', '', { method: 'GET' })).body,
        )?.[1] ?? '0',
      );
    const before = await malformedSum();
    const answer = await rawExchange((socket) => {
      socket.write(
        'POST /authenticate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 8\r\n\r\n{"ki',
      );
      setTimeout(() => socket.write('nd":'), 400);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect((await malformedSum()) - before).toBeGreaterThanOrEqual(0.35);
  });

  it('counts every review not answered from the identity cache as a miss, failed ones too', async () => {
    const misses = async (): Promise<number> =>
      Number(
        /^aws_iam_authenticator_identity_cache_misses_total (\d+)$/m.exec(
          (await h.post('/metrics', '', { method: 'GET' })).body,
        )?.[1],
      );
    const before = await misses();
    const token = await h.token('admin', { now: new Date(Date.now() - 23_000) });
    h.sts.injectFaults({ count: 1, kind: 'throttle' });
    expect((await h.review(token)).status).toBe(429);
    expect((await h.review(`${token.slice(0, 30)}!`)).json.status.error).toBe('token_bad_encoding');
    expect((await h.review(token)).json.status.authenticated).toBe(true);
    expect(await misses()).toBe(before + 3);
    expect((await h.review(token)).json.status.authenticated).toBe(true); // a hit
    expect(await misses()).toBe(before + 3);
  });

  it('reports the STS calls in flight when scraped', async () => {
    const gauge = async (): Promise<string | undefined> =>
      /^aws_iam_authenticator_sts_in_flight_requests (\d+)$/m.exec(
        (await h.post('/metrics', '', { method: 'GET' })).body,
      )?.[1];
    expect(await gauge()).toBe('0');
    h.sts.injectFaults({ count: 1, kind: 'latency', latencyMs: 600, action: 'GetCallerIdentity' });
    const slow = h.review(await h.token('admin', { now: new Date(Date.now() - 17_000) }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await gauge()).toBe('1');
    expect((await slow).json.status.authenticated).toBe(true);
    expect(await gauge()).toBe('0');
  });

  it('answers ok on any path of the plain health port and on /healthz once synced', async () => {
    const plain = await fetch(`${h.started.healthUrl}/anything`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe('ok');
    const healthz = await h.post('/healthz', '', { method: 'GET' });
    expect(healthz.status).toBe(200);
    expect(healthz.body).toBe('ok');
  });

  it('logs a loud warning about the STS endpoint override at start', () => {
    const warning = h.logs.lines().find((l) => String(l['msg']).startsWith('STS ENDPOINT OVERRIDE'));
    expect(warning?.['level']).toBe(40);
  });
});
