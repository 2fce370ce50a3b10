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
