import { AuthError, quote } from '@iam-authenticator/core';
import { parseStsHost } from './host-allow-list.js';
import type { PartitionId } from './partitions.js';
import { CLUSTER_ID_HEADER, decodeToken } from './token-format.js';

/** The resolved verifier settings (validated once by whoever builds them). */
export interface VerifierConfig {
  /** Only STS hosts of this partition pass (server `--partition`). */
  partition: PartitionId;
  /** Optional region list: when set, only STS hosts of these regions pass. */
  regions?: readonly string[] | undefined;
  /** Injected clock for the freshness window. */
  now: () => Date;
}

/** A token that passed every local check; what the STS client needs to call STS. */
export interface ValidatedToken {
  /** The decoded presigned URL, verbatim. A bearer credential: never log it. */
  presignedUrl: string;
  /** The STS host, verbatim from the URL (no port). */
  host: string;
  /** From `X-Amz-Credential`, the text before the first `/`. */
  accessKeyId: string;
  /** The credential scope's region. */
  signingRegion: string;
  /** `X-Amz-Date`. */
  signedAt: Date;
  /** `signedAt` + 15 minutes: STS refuses a presigned GetCallerIdentity after that, whatever X-Amz-Expires says. */
  expiresAt: Date;
  sessionTokenPresent: boolean;
}

/** STS honours a presigned GetCallerIdentity for 15 minutes after X-Amz-Date (reference §1.3). */
export const PRESIGNED_URL_LIFETIME_MS = 15 * 60 * 1000;
/** DESIGN.md difference 3: the reference has no bound on future dates; we allow the same 15 minutes of skew. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const MAX_EXPIRES_SECONDS = 900;

const SCHEME = 'https://';
/**
 * Lower-cased allow-list of query keys (reference §2.1 #11), in a fixed order: a query's values are
 * kept in a list by this order, and the constants below name their places.
 */
const ALLOWED_ORDER = [
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
] as const;
const ACTION = ALLOWED_ORDER.indexOf('action');
const VERSION = ALLOWED_ORDER.indexOf('version');
const ALGORITHM = ALLOWED_ORDER.indexOf('x-amz-algorithm');
const CREDENTIAL = ALLOWED_ORDER.indexOf('x-amz-credential');
const DATE = ALLOWED_ORDER.indexOf('x-amz-date');
const EXPIRES = ALLOWED_ORDER.indexOf('x-amz-expires');
const SECURITY_TOKEN = ALLOWED_ORDER.indexOf('x-amz-security-token');
const SIGNATURE_KEY = ALLOWED_ORDER.indexOf('x-amz-signature');
const SIGNED_HEADERS = ALLOWED_ORDER.indexOf('x-amz-signedheaders');
export const ALLOWED_KEYS: ReadonlySet<string> = new Set(ALLOWED_ORDER);
/** An allowed key's place in ALLOWED_ORDER. */
const ALLOWED_INDEX: ReadonlyMap<string, number> = new Map(ALLOWED_ORDER.map((key, i) => [key, i]));
/** Printable ASCII without space: everything a presigned URL is made of once percent-encoded. */
const URL_CHARS = /^[\x21-\x7e]*$/;
const HEX_ESCAPES = /%(?![0-9A-Fa-f]{2})/;
const UPPER = /[A-Z]/;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const AMZ_DATE = /^\d{8}T\d{6}Z$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const SCOPE_DATE = /^\d{8}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Every local check of a token before any network call (reference §2.1, stricter per DESIGN.md
 * differences 2 and 3). Throws `AuthError` with a stable reason; messages never contain the token, the
 * URL, the signature or the session token.
 */
export function validateToken(token: string, config: VerifierConfig): ValidatedToken {
  const presignedUrl = decodeToken(token);
  // CVE-2022-2385 first: a forged token with a repeated key is reported as that, whatever else is wrong.
  const pieces = queryPieces(presignedUrl);
  const { host, path, rawQuery } = splitUrl(presignedUrl);
  const hostParts = parseStsHost(host, config);
  if (hostParts === undefined) {
    throw new AuthError(
      'host_not_allowed',
      `sts host ${quote(host)} is not an sts endpoint of partition ${config.partition}${
        config.regions === undefined ? '' : ` in regions ${config.regions.join(',')}`
      }`,
    );
  }
  // After the host, as in the reference (so `https://google.com` is a host refusal).
  if (path !== '/') {
    throw new AuthError(
      'url_invalid',
      `presigned url path must be "/", received ${path === '' ? 'an empty path' : 'another path'}`,
    );
  }
  const query = parseQuery(rawQuery, pieces);

  const action = query[ACTION];
  if (action !== 'GetCallerIdentity') {
    throw new AuthError('action_invalid', `Action must be "GetCallerIdentity", received ${describe(action)}`);
  }
  const version = query[VERSION];
  if (version !== '2011-06-15') {
    throw new AuthError('version_invalid', `Version must be "2011-06-15", received ${describe(version)}`);
  }
  const algorithm = query[ALGORITHM];
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    throw new AuthError(
      'algorithm_invalid',
      `X-Amz-Algorithm must be "AWS4-HMAC-SHA256", received ${describe(algorithm)}`,
    );
  }
  checkSignedHeaders(query[SIGNED_HEADERS]);
  checkExpires(query[EXPIRES]);
  const rawDate = query[DATE];
  const signedAt = parseAmzDate(rawDate);
  const scope = parseCredential(query[CREDENTIAL]);
  // parseAmzDate accepted rawDate as a real UTC date, so its first 8 characters are its day.
  if (scope.date !== rawDate?.slice(0, 8)) {
    throw new AuthError(
      'credential_invalid',
      `X-Amz-Credential date must be the day of X-Amz-Date (${amzDay(signedAt)}), received ${quote(scope.date)}`,
    );
  }
  if (scope.region !== hostParts.region) {
    throw new AuthError(
      'credential_invalid',
      `X-Amz-Credential region must be the host's region ${quote(hostParts.region)}, received ${quote(scope.region)}`,
    );
  }
  const signature = query[SIGNATURE_KEY];
  if (signature === undefined || !SIGNATURE.test(signature)) {
    throw new AuthError(
      'signature_invalid',
      signature === undefined
        ? 'X-Amz-Signature is missing'
        : 'X-Amz-Signature must be 64 lower-case hex digits',
    );
  }
  const sessionToken = query[SECURITY_TOKEN];
  if (sessionToken === '') {
    throw new AuthError('credential_invalid', 'X-Amz-Security-Token is present but empty');
  }

  const now = config.now().getTime();
  const expiresAt = new Date(signedAt.getTime() + PRESIGNED_URL_LIFETIME_MS);
  if (now > expiresAt.getTime()) {
    throw new AuthError(
      'token_expired',
      `token signed at ${signedAt.toISOString()} expired at ${expiresAt.toISOString()} (15 minutes)`,
    );
  }
  if (signedAt.getTime() - now > MAX_CLOCK_SKEW_MS) {
    throw new AuthError(
      'token_not_yet_valid',
      `token signed at ${signedAt.toISOString()} is more than 15 minutes ahead of ${new Date(now).toISOString()}`,
    );
  }
  return {
    presignedUrl,
    host,
    accessKeyId: scope.accessKeyId,
    signingRegion: scope.region,
    signedAt,
    expiresAt,
    sessionTokenPresent: sessionToken !== undefined,
  };
}

/** What a received value may be made of to be shown in a message: no `=`, `&`, `%` or `+`. */
const SHOWABLE = /^[A-Za-z0-9._/;:-]*$/;
const HEX_RUN = /[0-9a-fA-F]{32}/;

/**
 * A received query value (or key) for a message: quoted when it is short and plainly not secret,
 * otherwise only its length. A damaged token (an `&` lost or encoded) merges the next parameter into a
 * value, and that parameter may be the signature or the session token: such a value has an `=` or `%`,
 * or a long hex run, and is never shown.
 */
function describe(value: string | undefined, maxChars = 40): string {
  if (value === undefined) return 'nothing';
  if (value.length <= maxChars && SHOWABLE.test(value) && !HEX_RUN.test(value))
    return quote(value, maxChars + 2);
  return `a value of ${value.length} characters (not shown)`;
}

/**
 * Go-style strict parse of `https://host/?query` by hand: `new URL()` would lower-case and punycode the
 * host, drop `:443`, normalise the path and accept userinfo, all of which change what is accepted
 * (reference §6.5) and would make the host we check differ from the one we dial (D4).
 */
function splitUrl(url: string): { host: string; path: string; rawQuery: string } {
  if (!URL_CHARS.test(url)) {
    throw new AuthError('url_invalid', 'presigned url contains spaces, control or non-ASCII characters');
  }
  if (!url.startsWith(SCHEME)) {
    const colon = url.indexOf(':');
    const scheme = colon > 0 && colon <= 10 ? url.slice(0, colon) : '';
    throw new AuthError('url_invalid', `presigned url scheme must be "https", received ${quote(scheme)}`);
  }
  if (url.includes('#')) {
    throw new AuthError('url_invalid', 'presigned url must not have a fragment');
  }
  const rest = url.slice(SCHEME.length);
  const authorityEnd = firstIndexOf(rest, ['/', '?']);
  const authority = rest.slice(0, authorityEnd);
  if (authority.includes('@')) {
    throw new AuthError('url_invalid', 'presigned url must not carry userinfo');
  }
  if (authority.includes(':') || authority.includes('[')) {
    throw new AuthError('url_invalid', 'presigned url must not name a port');
  }
  if (authority === '') {
    throw new AuthError('url_invalid', 'presigned url has no host');
  }
  const pathAndQuery = rest.slice(authorityEnd);
  const queryStart = pathAndQuery.indexOf('?');
  return {
    host: authority,
    path: queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart),
    rawQuery: queryStart < 0 ? '' : pathAndQuery.slice(queryStart + 1),
  };
}

function firstIndexOf(text: string, chars: readonly string[]): number {
  let best = text.length;
  for (const char of chars) {
    const at = text.indexOf(char);
    if (at >= 0 && at < best) best = at;
  }
  return best;
}

/**
 * The nine allowed keys as the AWS SDKs spell them, to their lower-case names: a key spelled so is
 * allowed and decodes to itself, so it skips decoding and lower-casing. Exported for its test.
 */
export const SDK_SPELLINGS: ReadonlyMap<string, string> = new Map(
  [
    'Action',
    'Version',
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-Security-Token',
    'X-Amz-Signature',
    'X-Amz-SignedHeaders',
  ].map((spelling) => [spelling, spelling.toLowerCase()]),
);

/** The place in ALLOWED_ORDER of the key that `rawKey` spells as the AWS SDKs do (`SDK_SPELLINGS`), else -1. */
function sdkIndex(rawKey: string): number {
  // Told apart by length first, then compared with the one or two spellings of that length: a key sliced
  // from the query is a new string, so a map lookup would hash it and a plain switch would compare it
  // with up to nine names.
  switch (rawKey.length) {
    case 6:
      return rawKey === 'Action' ? ACTION : -1;
    case 7:
      return rawKey === 'Version' ? VERSION : -1;
    case 10:
      return rawKey === 'X-Amz-Date' ? DATE : -1;
    case 13:
      return rawKey === 'X-Amz-Expires' ? EXPIRES : -1;
    case 15:
      if (rawKey === 'X-Amz-Signature') return SIGNATURE_KEY;
      return rawKey === 'X-Amz-Algorithm' ? ALGORITHM : -1;
    case 16:
      return rawKey === 'X-Amz-Credential' ? CREDENTIAL : -1;
    case 19:
      return rawKey === 'X-Amz-SignedHeaders' ? SIGNED_HEADERS : -1;
    case 20:
      return rawKey === 'X-Amz-Security-Token' ? SECURITY_TOKEN : -1;
    default:
      return -1;
  }
}

/** A query key that is not an SDK spelling, as compared: percent-decoded and lower-cased. */
function decodedKey(rawKey: string): string {
  return asciiLower(percentDecode(rawKey, 'key'));
}

/** One `&`-separated piece of the query: its text up to and after the first `=`, and its compared key. */
export interface QueryPiece {
  /** The whole piece when it has no `=`. */
  readonly rawKey: string;
  /** `undefined` when the piece has no `=`. */
  readonly rawValue: string | undefined;
  /**
   * The key as compared: an SDK spelling's allowed key, else `decodedKey(rawKey)`, or `undefined` when
   * its escapes are malformed (parseQuery then refuses it).
   */
  readonly key: string | undefined;
  /** The raw key is one of the SDK spellings. */
  readonly sdk: boolean;
  /** The place in ALLOWED_ORDER of the key as compared, -1 for a key outside the allow-list. */
  readonly index: number;
}

/**
 * Cuts the URL's query (from the first `?` to a `#`) into its pieces, as `split('&')` gives them (empty
 * ones included), and refuses a repeated key. CVE-2022-2385: keys that differ only in letter case are
 * separate parameters for STS but were one for the reference, so the checked value could differ from
 * the signed one. Every key is compared case-insensitively (after percent-decoding) and any repeat is
 * refused before any other check of the token, so such a forgery always shows as `query_duplicate_key`.
 * A key with malformed escapes is compared as written here and refused by parseQuery. Exported for its
 * test.
 */
export function queryPieces(url: string): QueryPiece[] {
  const start = url.indexOf('?');
  if (start < 0) return [];
  let end = url.indexOf('#', start);
  if (end < 0) end = url.length;
  const pieces: QueryPiece[] = [];
  // Repeats of the nine allowed keys are found by a bit each; any other key needs a set, made once one
  // turns up (a real token has none).
  let seenAllowed = 0;
  let seenOther: Set<string> | undefined;
  // The first `=` at or after `at`, searched again only once passed: pieces without one (`&&&…`) must
  // not make every search run to the end of a 16 KiB token.
  let eq = -1;
  for (let at = start + 1; at <= end;) {
    let next = url.indexOf('&', at);
    if (next < 0 || next > end) next = end;
    if (eq < at) {
      eq = url.indexOf('=', at);
      if (eq < 0) eq = url.length;
    }
    const hasValue = eq < next;
    const rawKey = url.slice(at, hasValue ? eq : next);
    const rawValue = hasValue ? url.slice(eq + 1, next) : undefined;
    at = next + 1;
    const sdk = sdkIndex(rawKey);
    let key: string | undefined;
    if (sdk >= 0) key = ALLOWED_ORDER[sdk];
    else {
      try {
        key = decodedKey(rawKey);
      } catch {
        // Left undefined: compared as written below, refused by parseQuery.
      }
    }
    const compared = key ?? asciiLower(rawKey);
    const index = sdk >= 0 ? sdk : (ALLOWED_INDEX.get(compared) ?? -1);
    let repeated: boolean;
    if (index >= 0) {
      repeated = (seenAllowed & (1 << index)) !== 0;
      seenAllowed |= 1 << index;
    } else {
      seenOther ??= new Set<string>();
      repeated = seenOther.has(compared);
      seenOther.add(compared);
    }
    if (repeated) {
      // Allowed keys are quoted as their canonical name; anything else might be attacker text.
      throw new AuthError(
        'query_duplicate_key',
        `query parameter ${index >= 0 ? quote(compared) : 'with a key outside the allow-list'} appears more than once (in any letter case)`,
      );
    }
    pieces.push({ rawKey, rawValue, key, sdk: sdk >= 0, index });
  }
  return pieces;
}

/**
 * Reads the query's pieces (their keys already known to be distinct, by queryPieces): every piece must
 * be `key=value` with well-formed escapes, and every raw key one of the nine allowed names. Returns the
 * decoded values by their key's place in ALLOWED_ORDER.
 */
function parseQuery(rawQuery: string, pieces: readonly QueryPiece[]): (string | undefined)[] {
  if (rawQuery === '') {
    throw new AuthError('action_invalid', 'Action must be "GetCallerIdentity", received no query');
  }
  const values: (string | undefined)[] = ALLOWED_ORDER.map(() => undefined);
  const semicolon = rawQuery.includes(';');
  // The allow-list is checked only once the whole query is known to hold no repeated key.
  let notAllowed: string | undefined;
  for (const { rawKey, rawValue, key, sdk, index } of pieces) {
    if (rawValue === undefined || rawKey === '') {
      throw new AuthError('url_invalid', 'presigned url query has an empty key or a key without "="');
    }
    if (semicolon && (rawKey.includes(';') || rawValue.includes(';'))) {
      throw new AuthError('url_invalid', 'presigned url query must not contain ";"');
    }
    // A key whose escapes are malformed: decoding it again throws the error that says why.
    if (key === undefined) decodedKey(rawKey);
    // The raw key must be allowed: an SDK spelling is; a percent-encoded name is not.
    if (notAllowed === undefined && !sdk && !ALLOWED_KEYS.has(asciiLower(rawKey))) {
      notAllowed = rawKey;
    }
    // Every value is decoded, kept or not: a malformed one is refused before a key outside the list.
    const value = percentDecode(rawValue, 'value');
    if (index >= 0) values[index] = value;
  }
  if (notAllowed !== undefined) {
    throw new AuthError(
      'query_key_not_allowed',
      `query parameter ${describe(notAllowed)} is not one of ${ALLOWED_ORDER.join(', ')}`,
    );
  }
  return values;
}

function asciiLower(text: string): string {
  if (!UPPER.test(text)) return text;
  return ASCII.test(text) ? text.toLowerCase() : text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** `application/x-www-form-urlencoded` decoding as Go's `url.ParseQuery`: `+` is a space, `%XX` must be valid. */
function percentDecode(text: string, what: 'key' | 'value'): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!text.includes('%')) return spaced;
  if (HEX_ESCAPES.test(text)) {
    throw new AuthError('url_invalid', `presigned url query ${what} has a malformed percent escape`);
  }
  try {
    // With every escape well-formed, this throws only for bytes that are not UTF-8 (including overlong
    // forms and encoded surrogates), as the byte-wise decode and round trip it stands for.
    return decodeURIComponent(spaced);
  } catch {
    throw new AuthError('url_invalid', `presigned url query ${what} is not valid UTF-8 once decoded`);
  }
}

function checkSignedHeaders(value: string | undefined): void {
  if (value === undefined) {
    throw new AuthError('signed_headers_invalid', 'X-Amz-SignedHeaders is missing');
  }
  // The `;`-separated names walked in place (no split): an empty one is refused as soon as it is met,
  // and only a list without one can lack the cluster id header.
  let signsClusterId = false;
  for (let at = 0; ;) {
    let end = value.indexOf(';', at);
    if (end < 0) end = value.length;
    if (end === at) {
      throw new AuthError('signed_headers_invalid', 'X-Amz-SignedHeaders has an empty entry');
    }
    if (
      !signsClusterId &&
      end - at === CLUSTER_ID_HEADER.length &&
      asciiLower(value.slice(at, end)) === CLUSTER_ID_HEADER
    ) {
      signsClusterId = true;
    }
    if (end === value.length) break;
    at = end + 1;
  }
  if (!signsClusterId) {
    throw new AuthError(
      'signed_headers_invalid',
      `X-Amz-SignedHeaders must include ${CLUSTER_ID_HEADER}, received ${describe(value, 80)}`,
    );
  }
}

function checkExpires(value: string | undefined): void {
  // Digits only: the reference's Atoi also took "+60"; nothing real sends a sign.
  if (value === undefined || !/^\d{1,4}$/.test(value) || Number(value) > MAX_EXPIRES_SECONDS) {
    throw new AuthError(
      'expires_invalid',
      `X-Amz-Expires must be an integer in 0..${MAX_EXPIRES_SECONDS}, received ${describe(value)}`,
    );
  }
}

/**
 * `yyyymmddTHHMMSSZ`, a real calendar instant (no fractional seconds, unlike Go's parser). Years before
 * 0100 are refused, as `Date.UTC` would read them as 19xx. Exported for its exhaustive test.
 */
export function parseAmzDate(value: string | undefined): Date {
  if (value === undefined || !AMZ_DATE.test(value)) {
    throw new AuthError(
      'date_invalid',
      `X-Amz-Date must look like 20060102T150405Z, received ${describe(value)}`,
    );
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 4, 2);
  const day = digits(value, 6, 2);
  const hour = digits(value, 9, 2);
  const minute = digits(value, 11, 2);
  const second = digits(value, 13, 2);
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new AuthError('date_invalid', `X-Amz-Date is not a real date, received ${describe(value)}`);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** The number written by the ASCII digits at `value[at, at + count)` (already known to be digits). */
function digits(value: string, at: number, count: number): number {
  let number = 0;
  for (let i = at; i < at + count; i++) number = number * 10 + value.charCodeAt(i) - 48;
  return number;
}

/** Proleptic Gregorian, as Date. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function amzDay(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

/** `<access key id>/<yyyymmdd>/<region>/sts/aws4_request`. */
function parseCredential(value: string | undefined): {
  accessKeyId: string;
  date: string;
  region: string;
} {
  const parts = value?.split('/');
  const [accessKeyId, date, region, service, terminator] = parts ?? [];
  if (
    parts?.length !== 5 ||
    accessKeyId === undefined ||
    date === undefined ||
    region === undefined ||
    !ACCESS_KEY_ID.test(accessKeyId) ||
    !SCOPE_DATE.test(date) ||
    !/^[a-z0-9-]+$/.test(region) ||
    service !== 'sts' ||
    terminator !== 'aws4_request'
  ) {
    throw new AuthError(
      'credential_invalid',
      `X-Amz-Credential must look like <access key id>/<yyyymmdd>/<region>/sts/aws4_request, received ${describe(value, 80)}`,
    );
  }
  return { accessKeyId, date, region };
}
