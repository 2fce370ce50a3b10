import { createHash, createHmac } from 'node:crypto';
import { presignCallerIdentity } from './presign.js';
import type { PresignOptions } from './presign.js';
import { decodeToken } from './token-format.js';
import { reasonOfAsync } from './reason-of.test-support.js';

// token-and-webhook.md §1.2, from the reference's TestGetWithSTS.
const VECTOR_TOKEN =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ';
const VECTOR_URL =
  'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce';
const AKID = 'ASIAR2TG44V6AS3ZZE7C';
const SECRET = '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLXdlc3QtMiJHMEUCIQ+abc/def==';
const SIGNED_AT = new Date('2023-04-28T00:00:00Z');

function vectorOptions(overrides: Partial<PresignOptions> = {}): PresignOptions {
  return {
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
    clusterId: 'test-cluster',
    region: 'us-west-2',
    now: () => SIGNED_AT,
    ...overrides,
  };
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer =>
  createHmac('sha256', key).update(text, 'utf8').digest();
// RFC 3986 encoding, as SigV4's canonical query wants it.
const rfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface ParsedUrl {
  host: string;
  params: [string, string][];
}

/** Splits the URL by hand (no URL/URLSearchParams), so the test does not share a parser with the code. */
function splitUrl(url: string): ParsedUrl {
  const match = /^https:\/\/([^/?#]+)\/\?(.*)$/.exec(url);
  if (match === null) throw new Error(`not a presigned URL shape: ${url}`);
  const params = (match[2] ?? '').split('&').map((pair): [string, string] => {
    const at = pair.indexOf('=');
    const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
  });
  return { host: match[1] ?? '', params };
}

/** Independent SigV4 (node:crypto only): the canonical request and the signature the URL should carry. */
function independentSignature(url: string, clusterId: string, secret: string) {
  const { host, params } = splitUrl(url);
  const get = (key: string): string => params.find(([k]) => k === key)?.[1] ?? '';
  const amzDate = get('X-Amz-Date');
  const [, day, region, service] = get('X-Amz-Credential').split('/');
  const canonicalQuery = params
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => `${rfc3986(key)}=${rfc3986(value)}`)
    .sort()
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${host}`,
    `x-k8s-aws-id:${clusterId}`,
    '',
    'host;x-k8s-aws-id',
    sha256Hex(''),
  ].join('\n');
  const scope = `${day ?? ''}/${region ?? ''}/${service ?? ''}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${secret}`, day ?? '');
  const kRegion = hmac(kDate, region ?? '');
  const kService = hmac(kRegion, service ?? '');
  const kSigning = hmac(kService, 'aws4_request');
  return {
    canonicalRequestHash: sha256Hex(canonicalRequest),
    signature: createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex'),
    urlSignature: get('X-Amz-Signature'),
  };
}

describe('presignCallerIdentity', () => {
  it('reproduces the reference test vector byte for byte', async () => {
    const result = await presignCallerIdentity(vectorOptions());
    expect(result.token).toBe(VECTOR_TOKEN);
    expect(result.presignedUrl).toBe(VECTOR_URL);
    expect(result.expiration.toISOString()).toBe('2023-04-28T00:14:00.000Z');
    expect(result.host).toBe('sts.us-west-2.amazonaws.com');
    expect(result.signingRegion).toBe('us-west-2');
    expect(decodeToken(result.token)).toBe(result.presignedUrl);
  });

  it('signs what an independent HMAC computation of the canonical request signs', async () => {
    const { presignedUrl } = await presignCallerIdentity(vectorOptions());
    const check = independentSignature(presignedUrl, 'test-cluster', SECRET);
    // §1.2: the canonical request hashes to bf3b1fde…a4231c and the signature is e211dba7…47f5ce.
    expect(check.canonicalRequestHash.startsWith('bf3b1fde')).toBe(true);
    expect(check.canonicalRequestHash.endsWith('a4231c')).toBe(true);
    expect(check.signature).toBe('e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce');
    expect(check.urlSignature).toBe(check.signature);
    // The cluster ID is part of the signature: another one gives another signature.
    expect(independentSignature(presignedUrl, 'other-cluster', SECRET).signature).not.toBe(
      check.urlSignature,
    );
  });

  it('puts a session token in the signed query, encoded as Go does', async () => {
    const { presignedUrl } = await presignCallerIdentity(
      vectorOptions({
        credentials: { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: SESSION_TOKEN },
      }),
    );
    const keys = splitUrl(presignedUrl).params.map(([key]) => key);
    expect(keys).toEqual([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Security-Token',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    ]);
    expect(presignedUrl).toContain(
      '&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEOr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLXdlc3QtMiJHMEUCIQ%2Babc%2Fdef%3D%3D&',
    );
    const check = independentSignature(presignedUrl, 'test-cluster', SECRET);
    expect(check.urlSignature).toBe(check.signature);
    // Signed, not just appended: without the token the canonical request and so the signature change.
    const withoutToken = presignedUrl.replace(/&X-Amz-Security-Token=[^&]*/, '');
    expect(independentSignature(withoutToken, 'test-cluster', SECRET).signature).not.toBe(check.urlSignature);
  });

  it('treats an empty session token as none', async () => {
    const result = await presignCallerIdentity(
      vectorOptions({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: '' } }),
    );
    expect(result.token).toBe(VECTOR_TOKEN);
  });

  it('signs with whole seconds and counts the 14 minutes from them', async () => {
    const result = await presignCallerIdentity(
      vectorOptions({ now: () => new Date('2023-04-28T00:00:00.999Z') }),
    );
    expect(result.token).toBe(VECTOR_TOKEN);
    expect(result.expiration.toISOString()).toBe('2023-04-28T00:14:00.000Z');
  });

  it.each([
    ['aws-global', {}, 'sts.amazonaws.com', 'us-east-1'],
    ['cn-north-1', {}, 'sts.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['us-gov-west-1', { useFips: true }, 'sts.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['us-east-1-fips', {}, 'sts-fips.us-east-1.amazonaws.com', 'us-east-1'],
    ['eu-west-1', { useDualStack: true }, 'sts.eu-west-1.api.aws', 'eu-west-1'],
    [
      'eusc-de-east-1',
      { useFips: true, useDualStack: true },
      'sts-fips.eusc-de-east-1.api.amazonwebservices.eu',
      'eusc-de-east-1',
    ],
  ] as const)('addresses %s %j to %s with scope region %s', async (region, flags, host, signingRegion) => {
    const result = await presignCallerIdentity(vectorOptions({ region, ...flags }));
    expect(result.host).toBe(host);
    expect(result.signingRegion).toBe(signingRegion);
    expect(
      result.presignedUrl.startsWith(`https://${host}/?Action=GetCallerIdentity&Version=2011-06-15&`),
    ).toBe(true);
    expect(result.presignedUrl).toContain(
      `&X-Amz-Credential=${AKID}%2F20230428%2F${signingRegion}%2Fsts%2Faws4_request&`,
    );
    const check = independentSignature(result.presignedUrl, 'test-cluster', SECRET);
    expect(check.urlSignature).toBe(check.signature);
  });

  it('signs an unusual cluster ID verbatim in the header', async () => {
    const clusterId = 'arn:aws:eks:us-west-2:123456789012:cluster/prod_1';
    const { presignedUrl } = await presignCallerIdentity(vectorOptions({ clusterId }));
    expect(presignedUrl).not.toContain('prod_1');
    const check = independentSignature(presignedUrl, clusterId, SECRET);
    expect(check.urlSignature).toBe(check.signature);
  });

  it('requires a cluster ID', async () => {
    expect(await reasonOfAsync(presignCallerIdentity(vectorOptions({ clusterId: '' })))).toBe('usage_error');
    await expect(presignCallerIdentity(vectorOptions({ clusterId: '' }))).rejects.toThrow(
      'a cluster ID is required (-i/--cluster-id), received ""',
    );
  });

  it.each([[{ accessKeyId: '', secretAccessKey: SECRET }], [{ accessKeyId: AKID, secretAccessKey: '' }]])(
    'refuses incomplete credentials %#',
    async (credentials) => {
      expect(await reasonOfAsync(presignCallerIdentity(vectorOptions({ credentials })))).toBe(
        'credentials_not_found',
      );
    },
  );

  it('refuses a region that is not a DNS label, and never echoes the secret', async () => {
    const promise = presignCallerIdentity(vectorOptions({ region: 'evil.example/x' }));
    await expect(promise).rejects.toThrow(/region must be lower-case/);
    try {
      await presignCallerIdentity(vectorOptions({ region: 'evil.example/x' }));
    } catch (error) {
      expect(String(error)).not.toContain(SECRET);
    }
  });

  it('uses the system clock when none is given', async () => {
    const before = Date.now();
    const result = await presignCallerIdentity({
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
      clusterId: 'test-cluster',
      region: 'us-west-2',
    });
    const after = Date.now();
    const lifetime = 14 * 60 * 1000;
    expect(result.expiration.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + lifetime);
    expect(result.expiration.getTime()).toBeLessThanOrEqual(after + lifetime);
  });
});
