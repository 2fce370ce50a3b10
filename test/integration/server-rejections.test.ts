import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, issueTestCert } from '../support/index.js';
import { STS_HOST, decodeTokenUrl, encodeUrlAsToken, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

/** Rewrites one query parameter of the token's URL (the signature then no longer matters: it never leaves). */
function withParam(token: string, key: string, value: string | null): string {
  const url = decodeTokenUrl(token);
  const [base, query = ''] = url.split('?');
  const pairs = query.split('&').filter((p) => !p.startsWith(`${key}=`));
  if (value !== null) pairs.push(`${key}=${value}`);
  return encodeUrlAsToken(`${base ?? ''}?${pairs.join('&')}`);
}

describe('locally invalid tokens are denied with zero STS calls', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const cases: [string, (good: string, h: Harness) => string | Promise<string>, string][] = [
    ['empty token', () => '', 'token_missing'],
    ['wrong prefix', (t) => t.replace('k8s-aws-v1.', 'k8s-aws-v2.'), 'token_bad_prefix'],
    ['padded base64', (t) => `${t}==`, 'token_bad_encoding'],
    ['standard base64 alphabet', (t) => `${t.slice(0, 20)}+/${t.slice(22)}`, 'token_bad_encoding'],
    ['longer than 16 KiB', () => `k8s-aws-v1.${'A'.repeat(17 * 1024)}`, 'token_too_long'],
    ['not a URL', () => encodeUrlAsToken('not a url'), 'url_invalid'],
    ['http scheme', (t) => encodeUrlAsToken(decodeTokenUrl(t).replace('https://', 'http://')), 'url_invalid'],
    [
      'a port',
      (t) => encodeUrlAsToken(decodeTokenUrl(t).replace(STS_HOST, `${STS_HOST}:443`)),
      'url_invalid',
    ],
    [
      'userinfo',
      (t) => encodeUrlAsToken(decodeTokenUrl(t).replace(STS_HOST, `u:p@${STS_HOST}`)),
      'url_invalid',
    ],
    [
      'a foreign host',
      (t) => encodeUrlAsToken(decodeTokenUrl(t).replace(STS_HOST, 'sts.example.com')),
      'host_not_allowed',
    ],
    [
      'a GovCloud host',
      (t) => encodeUrlAsToken(decodeTokenUrl(t).replace(STS_HOST, 'sts.us-gov-west-1.amazonaws.com')),
      'host_not_allowed',
    ],
    [
      'a repeated key in another case',
      (t) => withParam(t, 'x-amz-credential', 'AKIAEVIL%2F20200101%2Fus-east-1%2Fsts%2Faws4_request'),
      'query_duplicate_key',
    ],
    ['an unknown key', (t) => withParam(t, 'Foo', 'bar'), 'query_key_not_allowed'],
    ['another action', (t) => withParam(t, 'Action', 'GetSessionToken'), 'action_invalid'],
    ['another version', (t) => withParam(t, 'Version', '2011-06-16'), 'version_invalid'],
    ['another algorithm', (t) => withParam(t, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'), 'algorithm_invalid'],
    ['unsigned cluster header', (t) => withParam(t, 'X-Amz-SignedHeaders', 'host'), 'signed_headers_invalid'],
    ['X-Amz-Expires over 900', (t) => withParam(t, 'X-Amz-Expires', '901'), 'expires_invalid'],
    ['an unparseable date', (t) => withParam(t, 'X-Amz-Date', 'yesterday'), 'date_invalid'],
    [
      'signed 16 minutes ago',
      (_t, h) => h.token('admin', { now: new Date(Date.now() - 16 * 60_000) }),
      'token_expired',
    ],
    [
      'signed 20 minutes ahead',
      (_t, h) => h.token('admin', { now: new Date(Date.now() + 20 * 60_000) }),
      'token_not_yet_valid',
    ],
  ];

  it.each(cases)('%s → %s', async (_name, mutate, reason) => {
    const good = await h.token('admin');
    const bad = await mutate(good, h);
    h.sts.resetCounts();
    const res = await h.review(bad);
    expect(res.status).toBe(200);
    expect(res.json.status).toEqual({ authenticated: false, user: {}, error: reason });
    expect(h.sts.counts()['GetCallerIdentity']).toBe(0);
    expect(h.sts.counts()['rejected']).toBe(0);
  });
});

describe('STS failures', () => {
  let h: Harness;
  // Every review here needs its own token: two tokens signed in the same second are identical, and the
  // second would be answered from the identity cache, leaving the injected fault to the next test.
  let base = 0;
  let signed = 0;
  const freshToken = (): Promise<string> => h.token('admin', { now: new Date(base - 1000 * ++signed) });
  beforeAll(async () => {
    h = await startHarness({ flags: { 'sts-timeout-ms': '400' } });
    base = Date.now();
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(async () => {
    h.sts.clearFaults();
    // The server still serves a good token after every failure.
    const res = await h.review(await freshToken());
    expect(res.json.status.authenticated).toBe(true);
  });

  it('answers 429 when STS throttles, so kube-apiserver retries', async () => {
    h.sts.injectFaults({ count: 1, kind: 'throttle' });
    const res = await h.review(await freshToken());
    expect(res.status).toBe(429);
    expect(res.json.status).toEqual({ authenticated: false, user: {}, error: 'sts_throttled' });
  });

  it('denies with sts_unavailable on an STS 500', async () => {
    h.sts.injectFaults({ count: 1, kind: 'http500' });
    const res = await h.review(await freshToken());
    expect(res.status).toBe(200);
    expect(res.json.status.error).toBe('sts_unavailable');
  });

  it('denies with sts_unavailable when STS is slower than the timeout', async () => {
    h.sts.injectFaults({ count: 1, kind: 'latency', latencyMs: 2000 });
    const res = await h.review(await freshToken());
    expect(res.json.status.error).toBe('sts_unavailable');
  });

  it('denies with sts_unavailable when STS drops the connection', async () => {
    h.sts.injectFaults({ count: 1, kind: 'drop' });
    const res = await h.review(await freshToken());
    expect(res.json.status.error).toBe('sts_unavailable');
  });

  it('never caches a failure', async () => {
    const token = await freshToken();
    h.sts.injectFaults({ count: 1, kind: 'http500' });
    expect((await h.review(token)).json.status.authenticated).toBe(false);
    expect((await h.review(token)).json.status.authenticated).toBe(true);
  });
});

describe('redirects', () => {
  let h: Harness;
  let redirector: Server;
  let hits = 0;
  let target = '';
  beforeAll(async () => {
    const ca = await createTestCa('redirect-test-ca');
    const cert = await issueTestCert(ca, { dnsNames: [STS_HOST], ipAddresses: ['127.0.0.1'] });
    redirector = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      hits++;
      res.writeHead(302, { location: `${target}${req.url ?? '/'}` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    const port = (redirector.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), 'redirect-ca-'));
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    h = await startHarness({
      flags: { 'sts-endpoint-override': `https://127.0.0.1:${port}`, 'sts-ca': join(dir, 'ca.pem') },
    });
    // A followed redirect would land on the harness's emulator, which would then count a call.
    target = h.sts.url;
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((r) => {
      redirector.close(() => {
        r();
      });
    });
  });

  it('does not follow a redirect from the STS endpoint', async () => {
    const res = await h.review(await h.token('admin'));
    expect(hits).toBe(1);
    expect(res.json.status.authenticated).toBe(false);
    expect(['sts_rejected', 'sts_unavailable', 'sts_response_invalid']).toContain(res.json.status.error);
    expect(h.sts.counts()['GetCallerIdentity']).toBe(0);
  });
});
