import { createHash, createHmac } from 'node:crypto';

/**
 * Our own SigV4 canonicalisation (AWS "Create a canonical request"), written without
 * @smithy/signature-v4 so that a bug shared with the signer cannot hide in the tests.
 */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function uriEncode(value: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (!encodeSlash && ch === '/')) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Thrown for a query string that cannot be decoded; the caller turns it into a 400. */
export class MalformedQueryError extends Error {}

function decodeComponent(text: string): string {
  try {
    // Servers decode `+` as a space (Go's url.Values.Encode writes spaces as `+`).
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new MalformedQueryError('malformed percent-encoding in the query string');
  }
}

/** Splits a raw query (no leading `?`) into decoded key/value pairs, keeping order and repeats. */
export function parseRawQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1
        ? [decodeComponent(part), '']
        : [decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))];
    });
}

/** Canonical query string: pairs encoded, sorted by encoded key then encoded value. */
export function canonicalQueryString(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * Canonical URI for every service but S3: the path normalised (dot segments and empty segments
 * removed) and each segment URI-encoded once more on top of its wire encoding.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = rawPath.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.map((segment) => uriEncode(segment)).join('/')}${trailing}`;
}

/** Header value as SigV4 canonicalises it: trimmed, inner runs of spaces collapsed. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Lower-case header name → the value(s) as received; several values are joined with `,`. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** Lower-case names, in the order given by SignedHeaders (already sorted by a correct signer). */
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  const headerLines = parts.signedHeaders.map((name) => {
    const values = parts.headers.get(name) ?? [];
    return `${name}:${values.map(canonicalHeaderValue).join(',')}\n`;
  });
  return [
    parts.method,
    parts.canonicalUri,
    parts.canonicalQuery,
    headerLines.join(''),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}
