import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { decodeTokenUrl, encodeUrlAsToken, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

const ALLOWED_STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com$/;

interface Outbound {
  readonly target: string;
  readonly host: string;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    kind: fc.constant('param' as const),
    key: fc.constantFrom(
      'Action',
      'action',
      'Version',
      'X-Amz-Credential',
      'x-amz-date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Algorithm',
      'Foo',
    ),
    value: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('GetCallerIdentity', '2011-06-15', '900', '-1', '%', '%zz'),
    ),
  }),
  fc.record({
    kind: fc.constant('host' as const),
    host: fc.oneof(
      fc.domain(),
      fc.constantFrom(
        'sts.amazonaws.com',
        'sts.us-gov-west-1.amazonaws.com',
        'sts.us-east-1.amazonaws.com.evil.test',
        '127.0.0.1',
        '[::1]',
        'STS.US-EAST-1.AMAZONAWS.COM',
      ),
    ),
  }),
  fc.record({ kind: fc.constant('raw' as const), text: fc.string({ maxLength: 200 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(url: string, m: Mutation): string {
  switch (m.kind) {
    case 'replace': {
      const at = m.at % url.length;
      return url.slice(0, at) + m.text + url.slice(at + 1);
    }
    case 'insert': {
      const at = m.at % (url.length + 1);
      return url.slice(0, at) + m.text + url.slice(at);
    }
    case 'delete': {
      const at = m.at % url.length;
      return url.slice(0, at) + url.slice(at + m.length);
    }
    case 'param':
      return `${url}&${m.key}=${m.value}`;
    case 'host':
      return url.replace('sts.us-east-1.amazonaws.com', m.host);
    default:
      return url;
  }
}

describe('mutated tokens (property)', () => {
  let h: Harness;
  const outbound: Outbound[] = [];
  const onHttp = (message: unknown): void => {
    const req = (message as { request: { host?: string; getHeader(name: string): unknown } }).request;
    const header = req.getHeader('host');
    outbound.push({ target: req.host ?? '', host: typeof header === 'string' ? header : '' });
  };
  const onUndici = (message: unknown): void => {
    const req = (message as { request: { origin?: string; headers?: unknown } }).request;
    const headers = req.headers;
    let host = '';
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2)
        if (String(headers[i]).toLowerCase() === 'host') host = String(headers[i + 1] as unknown);
    } else if (typeof headers === 'string') {
      host = /(?:^|\r\n)host:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? '';
    }
    outbound.push({ target: req.origin ?? '', host });
  };
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };

  beforeAll(async () => {
    h = await startHarness({ flags: { 'identity-cache-ttl': '0s' } });
    subscribe('http.client.request.start', onHttp);
    subscribe('undici:request:create', onUndici);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    unsubscribe('http.client.request.start', onHttp);
    unsubscribe('undici:request:create', onUndici);
    process.off('unhandledRejection', onUnhandled);
    await h.close();
  });

  it('never crashes, always answers a well-formed TokenReview, and only calls STS for allow-listed hosts', async () => {
    const good = await h.token('admin');
    const goodUrl = decodeTokenUrl(good);
    const webhookPort = new URL(h.started.url).port;
    const stsOrigin = new URL(h.sts.url);
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (mutations, asToken) => {
          let token: string;
          const raw = mutations.find((m) => m.kind === 'raw');
          if (raw !== undefined && asToken) token = `k8s-aws-v1.${raw.text}`;
          else token = encodeUrlAsToken(mutations.reduce((url, m) => apply(url, m), goodUrl));
          const before = h.sts.counts()['GetCallerIdentity'] ?? 0;
          outbound.length = 0;
          const res = await h.review(token);
          expect([200, 429]).toContain(res.status);
          expect(res.json.apiVersion).toBe('authentication.k8s.io/v1');
          expect(res.json.kind).toBe('TokenReview');
          const status = res.json.status as {
            authenticated: boolean;
            error?: string;
            user: Record<string, unknown>;
          };
          expect(typeof status.authenticated).toBe('boolean');
          if (!status.authenticated) expect(status.error).toMatch(/^[a-z_]+$/);
          else expect(status.user['username']).toBe('admin');
          const calls = (h.sts.counts()['GetCallerIdentity'] ?? 0) - before;
          // Requests to the webhook itself carry Host 127.0.0.1:PORT; everything else went toward STS.
          const toSts = outbound.filter((o) => o.host !== `127.0.0.1:${webhookPort}`);
          for (const o of toSts) {
            expect(o.target).toContain(stsOrigin.hostname);
            expect(o.host).toMatch(ALLOWED_STS_HOST);
          }
          if (calls > 0) {
            const host = /^https:\/\/([^/?#]*)/.exec(decodeTokenUrl(token))?.[1] ?? '';
            expect(host).toMatch(ALLOWED_STS_HOST);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(unhandled).toBe(0);
    // The server still serves, and the outbound observation is live (else the host checks above prove nothing).
    outbound.length = 0;
    expect((await h.review(await h.token('admin'))).json.status.authenticated).toBe(true);
    expect(outbound.filter((o) => ALLOWED_STS_HOST.test(o.host))).toHaveLength(1);
  });
});
