import { tokenFingerprint } from '@iam-authenticator/core';
import { ROLES, decodeTokenUrl, encodeUrlAsToken, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

/** Every secret piece of a token: itself, its payload, its URL, the signature and the session token. */
function secretsOf(token: string): string[] {
  const payload = token.slice('k8s-aws-v1.'.length);
  const out = [token, payload];
  if (payload.length > 0) {
    const url = decodeTokenUrl(token);
    out.push(url);
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    for (const key of ['X-Amz-Signature', 'X-Amz-Security-Token']) {
      const value = query.get(key);
      if (value !== null && value.length >= 8) {
        out.push(value, encodeURIComponent(value));
      }
    }
  }
  return out.filter((s) => s.length >= 8);
}

describe('no token material in logs or answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ flags: { 'sts-timeout-ms': '300' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('logs only fingerprints over a run of good and bad tokens', async () => {
    const role = await h.assumeRole('admin', ROLES.dev.arn, 'logger-session');
    const good = await h.token('admin');
    const withSession = await h.tokenFor(role);
    const tokens: string[] = [
      good,
      withSession,
      await h.token('nobody'),
      await h.token('admin', { clusterId: 'elsewhere' }),
      await h.token('admin', { now: new Date(Date.now() - 30 * 60_000) }),
      encodeUrlAsToken(decodeTokenUrl(good).replace('sts.us-east-1.amazonaws.com', 'sts.evil.example')),
      encodeUrlAsToken(`${decodeTokenUrl(withSession)}&x-amz-signature=abc`),
      encodeUrlAsToken(`${decodeTokenUrl(good)} with spaces`),
      encodeUrlAsToken('https://sts.amazonaws.com/%zz?Action=GetCallerIdentity'),
      `${good}==`,
      `k8s-aws-v1.${'A'.repeat(20_000)}`,
    ];
    const bodies: string[] = [];
    for (const token of tokens) bodies.push((await h.review(token)).body);
    h.sts.injectFaults({ count: 1, kind: 'throttle' });
    const throttledToken = await h.token('admin', { now: new Date(Date.now() - 5000) });
    tokens.push(throttledToken);
    bodies.push((await h.review(throttledToken)).body);
    h.sts.injectFaults({ count: 1, kind: 'drop' });
    const droppedToken = await h.token('admin', { now: new Date(Date.now() - 6000) });
    tokens.push(droppedToken);
    bodies.push((await h.review(droppedToken)).body);
    // A malformed request that carries a token in an unexpected place.
    bodies.push(
      (
        await h.post(
          '/authenticate',
          JSON.stringify({ apiVersion: 'v9', kind: 'TokenReview', spec: { token: good } }),
        )
      ).body,
    );
    // Tokens where the TypeMeta is, which a malformed-request answer would quote.
    const inKind = await h.token('admin', { now: new Date(Date.now() - 7000) });
    const inApiVersion = await h.token('admin', { now: new Date(Date.now() - 8000) });
    tokens.push(inKind, inApiVersion);
    for (const body of [
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: inKind }),
      JSON.stringify({ apiVersion: inApiVersion, kind: 'TokenReview' }),
    ]) {
      const answer = await h.post('/authenticate', body);
      expect(answer.status).toBe(400);
      expect(answer.body.length).toBeLessThan(200);
      bodies.push(answer.body);
    }

    const logs = h.logs.text();
    expect(logs).toContain(tokenFingerprint(good));
    expect(logs).toContain('"msg":"access granted"');
    expect(logs).toContain('"msg":"access denied"');
    for (const token of tokens) {
      for (const secret of secretsOf(token)) {
        expect(logs.includes(secret)).toBe(false);
        for (const body of bodies) expect(body.includes(secret)).toBe(false);
      }
    }
    expect(logs).not.toContain(role.secretAccessKey);
    expect(logs).not.toContain(role.sessionToken ?? 'never');
  });
});
