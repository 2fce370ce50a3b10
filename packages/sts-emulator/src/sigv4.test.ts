import {
  EMPTY_SHA256,
  MalformedQueryError,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  hmacHex,
  parseRawQuery,
  sha256Hex,
  signingKey,
  stringToSign,
  uriEncode,
} from './sigv4.js';

// Reference vector: token-and-webhook.md §1.2 (aws-iam-authenticator pkg/token/token_test.go TestGetWithSTS).
const VECTOR_QUERY =
  'Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id';
const VECTOR_SECRET = '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q';

describe('sigv4 canonicalisation', () => {
  it('reproduces the reference token signature', () => {
    const canonical = canonicalRequest({
      method: 'GET',
      canonicalUri: canonicalUri('/'),
      canonicalQuery: canonicalQueryString(parseRawQuery(VECTOR_QUERY)),
      headers: new Map([
        ['host', ['sts.us-west-2.amazonaws.com']],
        ['x-k8s-aws-id', ['test-cluster']],
      ]),
      signedHeaders: ['host', 'x-k8s-aws-id'],
      payloadHash: EMPTY_SHA256,
    });
    expect(sha256Hex(canonical)).toMatch(/^bf3b1fde[0-9a-f]{50}a4231c$/);
    const key = signingKey(VECTOR_SECRET, '20230428', 'us-west-2', 'sts');
    const toSign = stringToSign('20230428T000000Z', '20230428/us-west-2/sts/aws4_request', canonical);
    expect(hmacHex(key, toSign)).toBe('e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce');
  });

  it('computes the empty payload hash', () => {
    expect(sha256Hex('')).toBe(EMPTY_SHA256);
  });

  it.each([
    ['unreserved kept', 'AZaz09-_.~', 'AZaz09-_.~'],
    ['slash encoded', 'a/b', 'a%2Fb'],
    ['space as %20', 'a b', 'a%20b'],
    ['plus encoded', 'a+b', 'a%2Bb'],
    ['sub-delims encoded', "!'()*", '%21%27%28%29%2A'],
    ['utf-8 bytes upper hex', 'é', '%C3%A9'],
  ])('uriEncode: %s', (_name, input, expected) => {
    expect(uriEncode(input)).toBe(expected);
  });

  it('keeps slashes when asked (paths)', () => {
    expect(uriEncode('a/b c', false)).toBe('a/b%20c');
  });

  it('sorts by encoded key then value and keeps repeated keys', () => {
    expect(
      canonicalQueryString([
        ['b', '2'],
        ['a', 'z'],
        ['a', 'y'],
        ['A', '1'],
        ['a b', ''],
      ]),
    ).toBe('A=1&a=y&a=z&a%20b=&b=2');
  });

  it('decodes + as a space and %2B as a plus', () => {
    expect(parseRawQuery('a=x+y&b=x%2By&c&=d')).toEqual([
      ['a', 'x y'],
      ['b', 'x+y'],
      ['c', ''],
      ['', 'd'],
    ]);
  });

  it('rejects malformed percent-encoding', () => {
    expect(() => parseRawQuery('a=%zz')).toThrow(MalformedQueryError);
  });

  it.each([
    ['', '/'],
    ['/', '/'],
    ['/a/./b/../c', '/a/c'],
    ['//a//b/', '/a/b/'],
    ['/a%20b', '/a%2520b'],
  ])('canonicalUri(%j) is %j', (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  it('trims and collapses header values and joins repeats with commas', () => {
    const canonical = canonicalRequest({
      method: 'POST',
      canonicalUri: '/',
      canonicalQuery: '',
      headers: new Map([
        ['host', ['h']],
        ['x-a', ['  one   two ', 'three']],
      ]),
      signedHeaders: ['host', 'x-a'],
      payloadHash: 'p',
    });
    expect(canonical).toBe('POST\n/\n\nhost:h\nx-a:one two,three\n\nhost;x-a\np');
  });
});
