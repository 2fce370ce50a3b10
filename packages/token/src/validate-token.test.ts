import { AuthError } from '@iam-authenticator/core';
import fc from 'fast-check';
import { presignCallerIdentity } from './presign.js';
import { MAX_TOKEN_BYTES, TOKEN_PREFIX, encodeToken } from './token-format.js';
import { ALLOWED_KEYS, SDK_SPELLINGS, parseAmzDate, queryPieces, validateToken } from './validate-token.js';
import type { VerifierConfig } from './validate-token.js';

const NOW = new Date('2023-04-28T00:05:00Z');
const AWS: VerifierConfig = { partition: 'aws', now: () => NOW };
const SIGNATURE = 'e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce';
const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKENsecretvalue0123456789';

/** The reference generator's known-answer token (token-and-webhook.md §1.2, TestGetWithSTS). */
const REFERENCE_TOKEN =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ';

type Pairs = [string, string][];

/** A valid query as the generator writes it (already encoded), with the session token. */
function basePairs(date = '20230428T000000Z', region = 'us-west-2'): Pairs {
  return [
    ['Action', 'GetCallerIdentity'],
    ['Version', '2011-06-15'],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `ASIAR2TG44V6AS3ZZE7C%2F${date.slice(0, 8)}%2F${region}%2Fsts%2Faws4_request`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', '60'],
    ['X-Amz-Security-Token', SESSION_TOKEN],
    ['X-Amz-SignedHeaders', 'host%3Bx-k8s-aws-id'],
    ['X-Amz-Signature', SIGNATURE],
  ];
}

function urlOf(pairs: Pairs, base = 'https://sts.us-west-2.amazonaws.com/'): string {
  return `${base}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/** Replaces (or with `undefined` removes) the pair whose key is `key` exactly. */
function withParam(key: string, value: string | undefined, pairs = basePairs()): Pairs {
  const out = pairs.filter(([k]) => k !== key);
  if (value !== undefined) {
    const at = pairs.findIndex(([k]) => k === key);
    out.splice(at < 0 ? out.length : at, 0, [key, value]);
  }
  return out;
}

function tokenOf(pairs: Pairs, base?: string): string {
  return encodeToken(urlOf(pairs, base));
}

function errorOf(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError, got success');
}

type Case = [name: string, token: string, reason: string, config?: VerifierConfig];
/** Every rejection below, collected for the no-secrets-in-messages test. */
const allRejections: Case[] = [];
function rejections(title: string, cases: Case[]): void {
  allRejections.push(...cases);
  describe(title, () => {
    const rows = cases.map(([name, token, reason, config]) => ({ name, token, reason, config }));
    it.each(rows)('$name → $reason', ({ token, reason, config }) => {
      expect(errorOf(() => validateToken(token, config ?? AWS)).reason).toBe(reason);
    });
  });
}

describe('validateToken accepts', () => {
  it("the reference generator's known-answer token (§1.2)", () => {
    expect(validateToken(REFERENCE_TOKEN, AWS)).toEqual({
      presignedUrl: Buffer.from(REFERENCE_TOKEN.slice(TOKEN_PREFIX.length), 'base64url').toString(),
      host: 'sts.us-west-2.amazonaws.com',
      accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
      signingRegion: 'us-west-2',
      signedAt: new Date('2023-04-28T00:00:00Z'),
      expiresAt: new Date('2023-04-28T00:15:00Z'),
      sessionTokenPresent: false,
    });
  });

  it('a token with a session token, keys in any order and any letter case', () => {
    const pairs = basePairs().reverse();
    pairs[0] = ['x-amz-signature', SIGNATURE];
    const validated = validateToken(tokenOf(pairs), AWS);
    expect(validated.sessionTokenPresent).toBe(true);
    expect(validated.accessKeyId).toBe('ASIAR2TG44V6AS3ZZE7C');
  });

  it.each([
    ['plain', { region: 'eu-west-1' }, 'sts.eu-west-1.amazonaws.com'],
    ['FIPS', { region: 'us-east-2', useFips: true }, 'sts-fips.us-east-2.amazonaws.com'],
    ['dual-stack', { region: 'us-west-2', useDualStack: true }, 'sts.us-west-2.api.aws'],
    ['global', { region: 'aws-global' }, 'sts.amazonaws.com'],
  ])('tokens of our own generator: %s', async (_name, endpoint, host) => {
    const { token } = await presignCallerIdentity({
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret', sessionToken: 'st' },
      clusterId: 'my-cluster',
      now: () => NOW,
      ...endpoint,
    });
    const validated = validateToken(token, AWS);
    expect(validated.host).toBe(host);
    expect(validated.sessionTokenPresent).toBe(true);
    expect(validated.expiresAt).toEqual(new Date('2023-04-28T00:20:00Z'));
  });

  it.each([
    ['X-Amz-Expires 0', withParam('X-Amz-Expires', '0')],
    ['X-Amz-Expires 900', withParam('X-Amz-Expires', '900')],
    ['X-Amz-Expires 060 (leading zero, as Go Atoi)', withParam('X-Amz-Expires', '060')],
    ['signed header name in upper case', withParam('X-Amz-SignedHeaders', 'host%3BX-K8S-AWS-ID')],
    ['no session token', withParam('X-Amz-Security-Token', undefined)],
    ['date exactly 15 minutes old', basePairs('20230427T235000Z')],
    ['date exactly 15 minutes ahead', basePairs('20230428T002000Z')],
  ])('%s', (_name, pairs) => {
    expect(validateToken(tokenOf(pairs), AWS).host).toBe('sts.us-west-2.amazonaws.com');
  });

  it('keeps the presigned URL byte for byte', () => {
    const url = urlOf(basePairs());
    expect(validateToken(encodeToken(url), AWS).presignedUrl).toBe(url);
  });
});

rejections('validateToken: reference TestVerifyTokenPreSTSValidations, in our stricter form', [
  [
    '4097 NUL bytes (reference: too large at 4096; we cap at 16 KiB, aia#1106, so the prefix fails)',
    '\0'.repeat(4097),
    'token_bad_prefix',
  ],
  ['more than 16 KiB', TOKEN_PREFIX + 'A'.repeat(MAX_TOKEN_BYTES), 'token_too_long'],
  ['k8s-aws-v2 prefix', 'k8s-aws-v2.asdfasdfa', 'token_bad_prefix'],
  ['base64 decoding error', 'k8s-aws-v1.decodingerror', 'token_bad_encoding'],
  ['missing protocol scheme', encodeToken(':ab:cd.af:/asda'), 'url_invalid'],
  ['http scheme', encodeToken('http://'), 'url_invalid'],
  [
    'google.com (the host is checked before the path, as in the reference)',
    encodeToken('https://google.com'),
    'host_not_allowed',
  ],
  ['google.com with a path', encodeToken('https://google.com/'), 'host_not_allowed'],
  [
    'aws-cn path /abc',
    encodeToken('https://sts.cn-north-1.amazonaws.com.cn/abc'),
    'url_invalid',
    { partition: 'aws-cn', now: () => NOW },
  ],
  ['path /abc', encodeToken('https://sts.amazonaws.com/abc'), 'url_invalid'],
  ['NoInWhiteList key', tokenOf([...basePairs(), ['NoInWhiteList', 'abc']]), 'query_key_not_allowed'],
  [
    'action=get&action=post (reference: multiple values; we: duplicate)',
    encodeToken('https://sts.amazonaws.com/?action=get&action=post'),
    'query_duplicate_key',
  ],
  ['action=NotGetCallerIdenity', tokenOf(withParam('Action', 'NotGetCallerIdenity')), 'action_invalid'],
  [
    'signed headers abc;x-k8s-aws-i;def',
    tokenOf(withParam('X-Amz-SignedHeaders', 'abc%3bx-k8s-aws-i%3bdef')),
    'signed_headers_invalid',
  ],
  ['x-amz-expires=9999999', tokenOf(withParam('X-Amz-Expires', '9999999')), 'expires_invalid'],
  ['x-amz-date=xxxxxxx', tokenOf(withParam('X-Amz-Date', 'xxxxxxx')), 'date_invalid'],
  ['x-amz-date=19900422T010203Z', tokenOf(basePairs('19900422T010203Z')), 'token_expired'],
  ['x-amz-expires=60%gh', tokenOf(withParam('X-Amz-Expires', '60%gh')), 'url_invalid'],
  [
    'CVE-2022-2385: X-Amz-Credential and x-amz-credential=eve',
    tokenOf([...basePairs(), ['x-amz-credential', 'eve']]),
    'query_duplicate_key',
  ],
  [
    'the reference success URL without Version, credential or signature (reference accepts)',
    encodeToken(
      'https://sts.us-east-2.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=20230428T000000Z&x-amz-expires=60',
    ),
    'version_invalid',
  ],
]);

rejections('validateToken: CVE-2022-2385, repeated keys in any letter case, before anything else', [
  [
    'Action twice, the second one AssumeRole',
    tokenOf([...basePairs(), ['action', 'AssumeRole']]),
    'query_duplicate_key',
  ],
  [
    'signed headers twice, one without x-k8s-aws-id',
    tokenOf([['x-amz-signedheaders', 'host'], ...basePairs()]),
    'query_duplicate_key',
  ],
  [
    'exact repeat with the same value',
    tokenOf([...basePairs(), ['Action', 'GetCallerIdentity']]),
    'query_duplicate_key',
  ],
  [
    'percent-encoded key equal to another key',
    tokenOf([...basePairs(), ['X-Amz-%43redential', 'eve']]),
    'query_duplicate_key',
  ],
  [
    'duplicate reported even after a key outside the allow-list',
    tokenOf([['Foo', '1'], ...basePairs(), ['ACTION', 'GetCallerIdentity']]),
    'query_duplicate_key',
  ],
  [
    'duplicate of a key outside the allow-list',
    tokenOf([...basePairs(), ['foo', '1'], ['FOO', '2']]),
    'query_duplicate_key',
  ],
  [
    'percent-encoded allowed key (alone) is not an allowed key',
    tokenOf(withParam('Action', undefined).concat([['%41ction', 'GetCallerIdentity']])),
    'query_key_not_allowed',
  ],
]);

rejections('validateToken: Go-style strict URL (no userinfo, port, fragment, non-/ path)', [
  ['userinfo', tokenOf(basePairs(), 'https://user@sts.us-west-2.amazonaws.com/'), 'url_invalid'],
  ['backslash trick', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com\\@evil.com/'), 'url_invalid'],
  ['port 443', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com:443/'), 'url_invalid'],
  ['other port', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com:8443/'), 'url_invalid'],
  ['IPv6 literal', tokenOf(basePairs(), 'https://[::1]/'), 'url_invalid'],
  ['fragment', encodeToken(urlOf(basePairs()) + '#frag'), 'url_invalid'],
  ['empty path', encodeToken(urlOf(basePairs()).replace('.com/?', '.com?')), 'url_invalid'],
  ['path //', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com//'), 'url_invalid'],
  ['path /./', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com/./'), 'url_invalid'],
  ['upper-case scheme', tokenOf(basePairs(), 'HTTPS://sts.us-west-2.amazonaws.com/'), 'url_invalid'],
  ['no host', tokenOf(basePairs(), 'https:///'), 'url_invalid'],
  ['space', encodeToken(urlOf(basePairs()) + ' '), 'url_invalid'],
  ['control character', encodeToken(urlOf(basePairs()).replace('Version', 'Ver\nsion')), 'url_invalid'],
  ['non-ASCII host', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.cöm/'), 'url_invalid'],
  ['no query', encodeToken('https://sts.us-west-2.amazonaws.com/'), 'action_invalid'],
  ['empty query piece', encodeToken(urlOf(basePairs()).replace('&Version', '&&Version')), 'url_invalid'],
  ['unknown key with an empty value', tokenOf([...basePairs(), ['Foo', '']]), 'query_key_not_allowed'],
  ['bare key', encodeToken(urlOf(basePairs()) + '&Foo'), 'url_invalid'],
  ['; separator', encodeToken(urlOf(basePairs()).replace('&Version', ';Version')), 'url_invalid'],
  ['bad escape in a key', tokenOf([...basePairs(), ['X-%zz', '1']]), 'url_invalid'],
  ['escape of invalid UTF-8', tokenOf(withParam('Version', '%ff')), 'url_invalid'],
]);

rejections('validateToken: host allow-list bound to the partition (DESIGN.md difference 3)', [
  ['upper-case host', tokenOf(basePairs(), 'https://STS.us-west-2.amazonaws.com/'), 'host_not_allowed'],
  ['trailing dot', tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com./'), 'host_not_allowed'],
  ['loopback', tokenOf(basePairs(), 'https://127.0.0.1/'), 'host_not_allowed'],
  [
    'attacker domain',
    tokenOf(basePairs(), 'https://sts.us-west-2.amazonaws.com.evil.io/'),
    'host_not_allowed',
  ],
  [
    'GovCloud host in partition aws (reference accepts)',
    tokenOf(basePairs(undefined, 'us-gov-west-1'), 'https://sts.us-gov-west-1.amazonaws.com/'),
    'host_not_allowed',
  ],
  [
    'commercial host in partition aws-us-gov (reference accepts)',
    tokenOf(basePairs()),
    'host_not_allowed',
    { partition: 'aws-us-gov', now: () => NOW },
  ],
  [
    'region outside the configured list',
    tokenOf(basePairs()),
    'host_not_allowed',
    { partition: 'aws', regions: ['eu-west-1'], now: () => NOW },
  ],
]);

rejections('validateToken: parameter checks (stricter than the reference where noted)', [
  ['Action missing', tokenOf(withParam('Action', undefined)), 'action_invalid'],
  [
    'Action value in another case (value is case-sensitive)',
    tokenOf(withParam('Action', 'getcalleridentity')),
    'action_invalid',
  ],
  ['Action AssumeRole', tokenOf(withParam('Action', 'AssumeRole')), 'action_invalid'],
  ['Version missing (reference does not check)', tokenOf(withParam('Version', undefined)), 'version_invalid'],
  ['Version wrong', tokenOf(withParam('Version', '2012-01-01')), 'version_invalid'],
  [
    'Algorithm missing (reference does not check)',
    tokenOf(withParam('X-Amz-Algorithm', undefined)),
    'algorithm_invalid',
  ],
  ['Algorithm other', tokenOf(withParam('X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256')), 'algorithm_invalid'],
  ['SignedHeaders missing', tokenOf(withParam('X-Amz-SignedHeaders', undefined)), 'signed_headers_invalid'],
  ['SignedHeaders host only', tokenOf(withParam('X-Amz-SignedHeaders', 'host')), 'signed_headers_invalid'],
  [
    'SignedHeaders empty entry',
    tokenOf(withParam('X-Amz-SignedHeaders', 'host%3B%3Bx-k8s-aws-id')),
    'signed_headers_invalid',
  ],
  ['Expires missing', tokenOf(withParam('X-Amz-Expires', undefined)), 'expires_invalid'],
  ['Expires 901', tokenOf(withParam('X-Amz-Expires', '901')), 'expires_invalid'],
  ['Expires -1', tokenOf(withParam('X-Amz-Expires', '-1')), 'expires_invalid'],
  ['Expires +60 (Go Atoi accepts)', tokenOf(withParam('X-Amz-Expires', '%2B60')), 'expires_invalid'],
  ['Expires empty', tokenOf(withParam('X-Amz-Expires', '')), 'expires_invalid'],
  ['Date missing', tokenOf(withParam('X-Amz-Date', undefined)), 'date_invalid'],
  [
    'Date with fractional seconds (Go accepts)',
    tokenOf(withParam('X-Amz-Date', '20230428T000000.5Z')),
    'date_invalid',
  ],
  ['Date 30 February', tokenOf(withParam('X-Amz-Date', '20230230T000000Z')), 'date_invalid'],
  ['Date hour 24', tokenOf(withParam('X-Amz-Date', '20230428T240000Z')), 'date_invalid'],
  ['Date one second too old', tokenOf(basePairs('20230427T234959Z')), 'token_expired'],
  [
    'Date one second too far ahead (reference accepts any future date)',
    tokenOf(basePairs('20230428T002001Z')),
    'token_not_yet_valid',
  ],
  ['Date a year ahead', tokenOf(basePairs('20240428T000000Z')), 'token_not_yet_valid'],
  ['Credential missing', tokenOf(withParam('X-Amz-Credential', undefined)), 'credential_invalid'],
  [
    'Credential service s3 (as the reference test URL; reference does not check)',
    tokenOf(withParam('X-Amz-Credential', 'ASIABCDEFGHIJKLMNOPQ%2F20230428%2Fus-west-2%2Fs3%2Faws4_request')),
    'credential_invalid',
  ],
  [
    'Credential region differs from the host',
    tokenOf(
      withParam('X-Amz-Credential', 'ASIABCDEFGHIJKLMNOPQ%2F20230428%2Fus-east-1%2Fsts%2Faws4_request'),
    ),
    'credential_invalid',
  ],
  [
    'Credential day differs from X-Amz-Date',
    tokenOf(
      withParam('X-Amz-Credential', 'ASIABCDEFGHIJKLMNOPQ%2F20230427%2Fus-west-2%2Fsts%2Faws4_request'),
    ),
    'credential_invalid',
  ],
  [
    'Credential with a lower-case key id',
    tokenOf(
      withParam('X-Amz-Credential', 'asiabcdefghijklmnopq%2F20230428%2Fus-west-2%2Fsts%2Faws4_request'),
    ),
    'credential_invalid',
  ],
  [
    'Credential with an extra part',
    tokenOf(
      withParam('X-Amz-Credential', 'ASIABCDEFGHIJKLMNOPQ%2Fx%2F20230428%2Fus-west-2%2Fsts%2Faws4_request'),
    ),
    'credential_invalid',
  ],
  [
    'Credential terminator other',
    tokenOf(
      withParam('X-Amz-Credential', 'ASIABCDEFGHIJKLMNOPQ%2F20230428%2Fus-west-2%2Fsts%2Faws4_requestx'),
    ),
    'credential_invalid',
  ],
  ['Signature missing', tokenOf(withParam('X-Amz-Signature', undefined)), 'signature_invalid'],
  [
    'Signature upper case',
    tokenOf(withParam('X-Amz-Signature', SIGNATURE.toUpperCase())),
    'signature_invalid',
  ],
  ['Signature short', tokenOf(withParam('X-Amz-Signature', SIGNATURE.slice(1))), 'signature_invalid'],
  ['Security token empty', tokenOf(withParam('X-Amz-Security-Token', '')), 'credential_invalid'],
]);

describe('validateToken messages', () => {
  it('never contain the token, the URL, the signature or the session token, for every rejection', () => {
    expect(allRejections.length).toBeGreaterThan(60);
    for (const [name, token, , config] of allRejections) {
      const { message } = errorOf(() => validateToken(token, config ?? AWS));
      const payload = token.slice(TOKEN_PREFIX.length);
      let url = '';
      try {
        url = Buffer.from(payload, 'base64url').toString();
      } catch {
        // not decodable: nothing to look for
      }
      const leaks = [
        payload.length > 12 ? payload.slice(0, 24) : undefined,
        url.length > 20 ? url : undefined,
        url.length > 20 ? url.slice(0, 40) : undefined,
        SIGNATURE,
        SIGNATURE.slice(0, 16),
        SIGNATURE.toUpperCase().slice(0, 16),
        SESSION_TOKEN.slice(0, 16),
      ].filter((s): s is string => s !== undefined && s !== '');
      for (const leak of leaks) {
        if (message.includes(leak))
          throw new Error(`message of case ${JSON.stringify(name)} leaks: ${message}`);
      }
      expect(message).toMatch(/^[^A-Z]|^X-Amz|^Action|^Version/);
    }
  });

  it('never show a part of the signature or session token of a damaged token (an & lost or encoded)', () => {
    const pairs = basePairs();
    const fragments = (secret: string): string[] =>
      Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12));
    const secrets = [...fragments(SIGNATURE), ...fragments(SESSION_TOKEN)];
    let checked = 0;
    for (let i = 1; i < pairs.length; i++) {
      for (const joiner of ['', '%26']) {
        const url =
          urlOf(pairs.slice(0, i)) +
          joiner +
          pairs
            .slice(i)
            .map(([k, v]) => `${k}=${v}`)
            .join('&');
        const { message } = errorOf(() => validateToken(encodeToken(url), AWS));
        const leak = secrets.find((fragment) => message.includes(fragment));
        if (leak !== undefined)
          throw new Error(`joining before pair ${i} with ${joiner || 'nothing'}: ${message}`);
        checked++;
      }
    }
    expect(checked).toBe(16);
    // The damage is still named: the merged value is described by its length.
    const merged = `${urlOf(withParam('X-Amz-Signature', undefined))}X-Amz-Signature=${SIGNATURE}`;
    expect(errorOf(() => validateToken(encodeToken(merged), AWS)).message).toMatch(
      /^X-Amz-SignedHeaders must include x-k8s-aws-id, received a value of \d+ characters \(not shown\)$/,
    );
  });

  it('report a repeated key (CVE-2022-2385) before anything else that is wrong with the token', () => {
    const repeated = 'Action=GetCallerIdentity&action=GetCallerIdentity';
    for (const url of [
      `https://evil.example/?${repeated}`,
      `https://sts.us-west-2.amazonaws.com/abc?${repeated}`,
      `https://sts.us-west-2.amazonaws.com?${repeated}`,
      `http://sts.us-west-2.amazonaws.com/?${repeated}`,
      `https://user@sts.us-west-2.amazonaws.com:443/?${repeated}`,
      `https://sts.us-west-2.amazonaws.com/?bad%zz=1&${repeated}`,
      `https://sts.us-west-2.amazonaws.com/?nokey&Foo=1&${repeated}`,
      `https://sts.us-west-2.amazonaws.com/?%41ction=x&${repeated.split('&')[1] ?? ''}`,
      `https://sts.us-west-2.amazonaws.com/?${repeated}#fragment`,
    ]) {
      expect([url, errorOf(() => validateToken(encodeToken(url), AWS)).reason]).toEqual([
        url,
        'query_duplicate_key',
      ]);
    }
  });

  it('say what was expected and what was received', () => {
    expect(errorOf(() => validateToken(tokenOf(withParam('Version', '2012-01-01')), AWS)).message).toBe(
      'Version must be "2011-06-15", received "2012-01-01"',
    );
    expect(
      errorOf(() => validateToken(tokenOf(basePairs(), 'https://sts.eu-west-1.evil/'), AWS)).message,
    ).toBe('sts host "sts.eu-west-1.evil" is not an sts endpoint of partition aws');
  });
});

describe('parseAmzDate', () => {
  /** What a Date round trip accepts: the instant whose UTC fields read back as written. */
  function byRoundTrip(text: string): number | undefined {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match === null) return undefined;
    const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    const same =
      date.getUTCFullYear() === y &&
      date.getUTCMonth() === mo - 1 &&
      date.getUTCDate() === d &&
      date.getUTCHours() === h &&
      date.getUTCMinutes() === mi &&
      date.getUTCSeconds() === s;
    return same ? date.getTime() : undefined;
  }

  it('accepts exactly the dates whose fields survive a Date round trip', () => {
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    const years = [0, 1, 99, 100, 1600, 1700, 1900, 1970, 2000, 2023, 2024, 2100, 2400, 9999];
    const times = ['000000', '235959', '240000', '236000', '235960', '120000', '995999'];
    let checked = 0;
    for (const year of years) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          for (const time of times) {
            const text = `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}T${time}Z`;
            const expected = byRoundTrip(text);
            let got: number | undefined;
            try {
              got = parseAmzDate(text).getTime();
            } catch (error) {
              expect(error).toBeInstanceOf(AuthError);
              expect((error as AuthError).reason).toBe('date_invalid');
            }
            if (got !== expected) throw new Error(`${text}: expected ${expected}, received ${got}`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(years.length * 14 * 33 * times.length);
  });

  it('refuses anything but yyyymmddTHHMMSSZ', () => {
    for (const text of [
      undefined,
      '',
      '20230428T000000',
      '20230428T000000z',
      '2023-04-28T00:00:00Z',
      '20230428T000000.5Z',
      '२०२३0428T000000Z',
    ]) {
      expect(() => parseAmzDate(text)).toThrow(/X-Amz-Date must look like/);
    }
  });
});

describe('SDK_SPELLINGS', () => {
  it('maps nine spellings, each to an allowed key that it lower-cases to', () => {
    expect(SDK_SPELLINGS.size).toBe(9);
    expect(new Set(SDK_SPELLINGS.values())).toEqual(ALLOWED_KEYS);
    for (const [spelling, key] of SDK_SPELLINGS) expect(spelling.toLowerCase()).toBe(key);
  });
  it('are the spellings the query walk takes as they are, and only those', () => {
    const places = [...ALLOWED_KEYS];
    for (const [spelling, key] of SDK_SPELLINGS) {
      const place = places.indexOf(key);
      expect(queryPieces(`https://h/?${spelling}=1&${key}x=2`).map((p) => [p.key, p.sdk, p.index])).toEqual([
        [key, true, place],
        [`${key}x`, false, -1],
      ]);
      expect(queryPieces(`https://h/?${key}=1`).map((p) => [p.key, p.sdk, p.index])).toEqual([
        [key, false, place],
      ]);
      // Same length, one letter off (the walk tells spellings apart by length first).
      const near = `${spelling.slice(0, -1)}_`;
      expect(queryPieces(`https://h/?${near}=1`).map((p) => [p.key, p.sdk])).toEqual([
        [near.toLowerCase(), false],
      ]);
    }
  });
});

describe('queryPieces', () => {
  /** The same pieces the plain way: split the query (`?` to `#`) on `&`, each at its first `=`. */
  function byStringSplit(url: string): { rawKey: string; rawValue: string | undefined }[] {
    const start = url.indexOf('?');
    if (start < 0) return [];
    const hash = url.indexOf('#', start);
    return url
      .slice(start + 1, hash < 0 ? url.length : hash)
      .split('&')
      .map((piece) => {
        const eq = piece.indexOf('=');
        return eq < 0
          ? { rawKey: piece, rawValue: undefined }
          : { rawKey: piece.slice(0, eq), rawValue: piece.slice(eq + 1) };
      });
  }

  it('cuts any query as split("&") does, or finds a repeated key', () => {
    const part = fc.constantFrom(
      '&',
      '=',
      '?',
      '#',
      ';',
      'a',
      'A',
      '%41',
      '%',
      'Action',
      'x-amz-date',
      'X-Amz-Date',
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 24 }), (parts) => {
        const url = `https://sts.amazonaws.com/${parts.join('')}`;
        const expected = byStringSplit(url);
        let got: ReturnType<typeof queryPieces> | AuthError;
        try {
          got = queryPieces(url);
        } catch (error) {
          got = error as AuthError;
        }
        // Keys as compared: decoded when their escapes are well-formed, lower-cased (ASCII only here).
        const keys = expected.map(({ rawKey }) => {
          try {
            return decodeURIComponent(rawKey).toLowerCase();
          } catch {
            return rawKey.toLowerCase();
          }
        });
        const repeated = new Set(keys).size < keys.length;
        if (got instanceof AuthError) {
          expect([got.reason, repeated]).toEqual(['query_duplicate_key', true]);
        } else {
          expect(repeated).toBe(false);
          expect(got.map(({ rawKey, rawValue }) => ({ rawKey, rawValue }))).toEqual(expected);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finds each piece\'s own "=" when earlier pieces have none', () => {
    expect(queryPieces('https://h/?a&&b&c=1&d=').map(({ rawKey, rawValue }) => [rawKey, rawValue])).toEqual([
      ['a', undefined],
      ['', undefined],
      ['b', undefined],
      ['c', '1'],
      ['d', ''],
    ]);
    expect(
      errorOf(() =>
        validateToken(
          encodeToken(`https://sts.amazonaws.com/?Action&${urlOf(basePairs()).split('?')[1]}`),
          AWS,
        ),
      ).reason,
    ).toBe('query_duplicate_key');
  });
});
