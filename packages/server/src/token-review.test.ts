import { parseTokenReview, tokenReviewAllowed, tokenReviewDenied } from './token-review.js';

describe('parseTokenReview', () => {
  it.each(['authentication.k8s.io/v1', 'authentication.k8s.io/v1beta1'])('accepts %s', (apiVersion) => {
    const parsed = parseTokenReview(
      JSON.stringify({ apiVersion, kind: 'TokenReview', spec: { token: 't' } }),
    );
    expect(parsed).toEqual({ ok: true, review: { apiVersion, token: 't' } });
  });
  it('accepts a body without TypeMeta like the reference', () => {
    expect(parseTokenReview('{"spec":{"token":"t"}}')).toEqual({ ok: true, review: { token: 't' } });
  });
  it('treats a missing token as an empty one (a denial, not malformed)', () => {
    expect(parseTokenReview('{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview"}')).toEqual({
      ok: true,
      review: { apiVersion: 'authentication.k8s.io/v1', token: '' },
    });
  });
  it.each([
    ['', 'expected a request body to be a TokenReview'],
    ['not valid json', 'expected a request body to be a TokenReview'],
    ['[1]', 'expected a request body to be a TokenReview'],
    ['{"apiVersion":"authentication.k8s.io/v2","kind":"TokenReview"}', 'expected apiVersion'],
    ['{"apiVersion":"authentication.k8s.io/v1","kind":"SubjectAccessReview"}', 'expected kind "TokenReview"'],
    ['{"spec":{"token":5}}', 'expected spec.token to be a string'],
    ['{"spec":"x"}', 'expected spec to be an object'],
  ])('refuses %j', (body, message) => {
    const parsed = parseTokenReview(body);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toContain(message);
  });
});

describe('parseTokenReview messages', () => {
  const token = `k8s-aws-v1.${'QUJD'.repeat(300)}`;
  it.each([
    [{ kind: 'SubjectAccessReview' }, 'expected kind "TokenReview", received "SubjectAccessReview"'],
    [{ kind: 'x'.repeat(61) }, 'expected kind "TokenReview", received a string of 61 characters (not shown)'],
    [
      { kind: token },
      `expected kind "TokenReview", received a string of ${token.length} characters (not shown)`,
    ],
    [
      { kind: 'k8s-aws-v1.QUJD' },
      'expected kind "TokenReview", received a string of 15 characters (not shown)',
    ],
    [{ kind: 'Token Review' }, 'expected kind "TokenReview", received a string of 12 characters (not shown)'],
    [{ kind: 7 }, 'expected kind "TokenReview", received a number'],
    [{ kind: ['TokenReview'] }, 'expected kind "TokenReview", received a list'],
    [{ apiVersion: 'v1' }, 'expected kind "TokenReview", received nothing'],
    [
      { kind: 'TokenReview', apiVersion: token },
      `expected apiVersion authentication.k8s.io/v1 or authentication.k8s.io/v1beta1, received a string of ${token.length} characters (not shown)`,
    ],
    [
      { kind: 'TokenReview', apiVersion: null },
      'expected apiVersion authentication.k8s.io/v1 or authentication.k8s.io/v1beta1, received a null',
    ],
  ])('%j is refused with a short message that never carries a token', (body, message) => {
    const parsed = parseTokenReview(JSON.stringify(body));
    expect(parsed).toEqual({ ok: false, message });
  });
});

describe('TokenReview answers', () => {
  it('echoes TypeMeta and keeps the reference field order', () => {
    const body = tokenReviewAllowed('authentication.k8s.io/v1beta1', {
      username: 'u',
      uid: 'aws-iam-authenticator:1:AID',
      groups: ['g'],
      extra: { arn: ['a'] },
    });
    expect(body).toBe(
      '{"apiVersion":"authentication.k8s.io/v1beta1","kind":"TokenReview","metadata":{},"spec":{},"status":{"authenticated":true,"user":{"username":"u","uid":"aws-iam-authenticator:1:AID","groups":["g"],"extra":{"arn":["a"]}}}}',
    );
  });
  it('omits empty groups and TypeMeta when the request had none', () => {
    expect(tokenReviewAllowed(undefined, { username: 'u', uid: 'x', groups: [] })).toBe(
      '{"metadata":{},"spec":{},"status":{"authenticated":true,"user":{"username":"u","uid":"x"}}}',
    );
  });
  it('denies with the reason code only', () => {
    expect(JSON.parse(tokenReviewDenied('authentication.k8s.io/v1', 'token_expired'))).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: {},
      spec: {},
      status: { authenticated: false, user: {}, error: 'token_expired' },
    });
  });
});
