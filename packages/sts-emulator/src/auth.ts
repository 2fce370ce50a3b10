import type { CredentialStore, Principal } from './credential-store.js';
import { StsFault } from './responses.js';
import {
  EMPTY_SHA256,
  SIGV4_ALGORITHM,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  hmacHex,
  sha256Hex,
  signingKey,
  stringToSign,
} from './sigv4.js';

/** What the verifier needs from an HTTP request. */
export interface SignedRequest {
  readonly method: string;
  readonly rawPath: string;
  /** Decoded query pairs in wire order. */
  readonly query: readonly (readonly [string, string])[];
  /** Lower-case header name → every value received for it, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

export interface VerifyOptions {
  readonly store: CredentialStore;
  readonly now: Date;
  /** `sts` for STS actions, `ec2` for DescribeInstances. */
  readonly service: string;
  /** Hosts a client may have signed besides the Host header it sent (real AWS endpoints are added). */
  readonly extraSignedHosts?: readonly string[];
}

const SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Partition DNS suffixes (reference §1.4) for the hosts a token may have been signed for. */
const AWS_DOMAINS = [
  'amazonaws.com',
  'api.aws',
  'amazonaws.com.cn',
  'api.amazonwebservices.com.cn',
  'amazonaws.eu',
  'api.amazonwebservices.eu',
  'c2s.ic.gov',
  'sc2s.sgov.gov',
  'cloud.adc-e.uk',
  'csp.hci.ic.gov',
];

interface AuthParams {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly sessionToken: string | undefined;
  readonly presigned: boolean;
}

function incomplete(message: string): StsFault {
  return new StsFault(400, 'IncompleteSignature', message);
}

function firstHeader(headers: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function queryValue(query: SignedRequest['query'], key: string): string | undefined {
  return query.find(([k]) => k === key)?.[1];
}

function parseCredential(
  credential: string,
): Pick<AuthParams, 'accessKeyId' | 'scopeDate' | 'region' | 'service' | 'terminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    throw incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = ''] = parts;
  return { accessKeyId, scopeDate, region, service, terminator };
}

function extractAuth(request: SignedRequest): AuthParams {
  const authorization = firstHeader(request.headers, 'authorization');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const algorithm = space === -1 ? authorization : authorization.slice(0, space);
    if (algorithm !== SIGV4_ALGORITHM) {
      throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
    }
    const fields = new Map<string, string>();
    for (const item of authorization.slice(space + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const amzDate = firstHeader(request.headers, 'x-amz-date');
    const missing = [
      credential === undefined ? "'Credential'" : '',
      signedHeaders === undefined ? "'SignedHeaders'" : '',
      signature === undefined ? "'Signature'" : '',
      amzDate === undefined ? "'X-Amz-Date'" : '',
    ].filter((name) => name !== '');
    if (
      credential === undefined ||
      signedHeaders === undefined ||
      signature === undefined ||
      amzDate === undefined
    ) {
      throw incomplete(`Authorization header requires ${missing.join(', ')} parameter(s).`);
    }
    return {
      ...parseCredential(credential),
      signedHeaders: signedHeaders.split(';'),
      signature,
      amzDate,
      sessionToken: firstHeader(request.headers, 'x-amz-security-token'),
      presigned: false,
    };
  }
  const algorithm = queryValue(request.query, 'X-Amz-Algorithm');
  if (algorithm === undefined) {
    throw new StsFault(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  if (algorithm !== SIGV4_ALGORITHM) {
    throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const credential = queryValue(request.query, 'X-Amz-Credential');
  const signedHeaders = queryValue(request.query, 'X-Amz-SignedHeaders');
  const signature = queryValue(request.query, 'X-Amz-Signature');
  const amzDate = queryValue(request.query, 'X-Amz-Date');
  if (
    credential === undefined ||
    signedHeaders === undefined ||
    signature === undefined ||
    amzDate === undefined
  ) {
    throw incomplete(
      'AWS query-string parameters must include X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-SignedHeaders and X-Amz-Date.',
    );
  }
  return {
    ...parseCredential(credential),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    sessionToken: queryValue(request.query, 'X-Amz-Security-Token'),
    presigned: true,
  };
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(amzDate: string): Date {
  const fields = (AMZ_DATE.exec(amzDate) ?? []).slice(1).map(Number);
  const [year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN] = fields;
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(time)) {
    throw incomplete(
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return new Date(time);
}

/** The hosts a client may have signed: what it sent, then the real AWS endpoints for the scope. */
function candidateHosts(request: SignedRequest, auth: AuthParams, extra: readonly string[]): string[] {
  const hosts: string[] = [];
  const sent = firstHeader(request.headers, 'host');
  if (sent !== undefined) hosts.push(sent);
  hosts.push(...extra);
  for (const prefix of [auth.service, `${auth.service}-fips`]) {
    for (const domain of AWS_DOMAINS) hosts.push(`${prefix}.${auth.region}.${domain}`);
  }
  if (auth.region === 'us-east-1') hosts.push(`${auth.service}.amazonaws.com`);
  return [...new Set(hosts)];
}

const AWS_HOST =
  /^([a-z0-9-]+)\.(?:([a-z0-9-]+)\.)?(amazonaws\.com|api\.aws|amazonaws\.com\.cn|api\.amazonwebservices\.com\.cn|amazonaws\.eu|api\.amazonwebservices\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** A request signed for a real AWS host must be scoped to that host's region and service. */
function checkHostScope(host: string, auth: AuthParams): void {
  const match = AWS_HOST.exec(host.toLowerCase());
  if (match === null) return;
  const [, label = '', hostRegion] = match;
  const region = hostRegion ?? 'us-east-1';
  if (region !== auth.region) {
    throw new StsFault(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region. `);
  }
  if (label.replace(/-fips$/, '') !== auth.service) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${label.replace(/-fips$/, '')}'. `,
    );
  }
}

/**
 * Verifies a SigV4-signed request (presigned query or Authorization header) and returns who signed
 * it. Every failure is the StsFault real STS would answer.
 */
export function verifySignedRequest(request: SignedRequest, options: VerifyOptions): Principal {
  const auth = extractAuth(request);
  const date = parseAmzDate(auth.amzDate);
  if (auth.terminator !== 'aws4_request') {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'. `,
    );
  }
  if (auth.service !== options.service) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${options.service}'. `,
    );
  }
  if (auth.scopeDate !== auth.amzDate.slice(0, 8)) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  const secret = options.store.lookup(auth.accessKeyId);
  if (secret === undefined || secret.sessionToken !== auth.sessionToken) {
    throw new StsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  if (secret.expiration !== undefined && secret.expiration.getTime() <= options.now.getTime()) {
    throw new StsFault(403, 'ExpiredToken', 'The security token included in the request is expired');
  }
  const nowMs = options.now.getTime();
  if (date.getTime() < nowMs - SKEW_MS) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(new Date(nowMs - SKEW_MS))} (${formatAmzDate(options.now)} - 15 min.)`,
    );
  }
  if (date.getTime() > nowMs + SKEW_MS) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(new Date(nowMs + SKEW_MS))} (${formatAmzDate(options.now)} + 15 min.)`,
    );
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new StsFault(
      403,
      'SignatureDoesNotMatch',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const query = auth.presigned ? request.query.filter(([key]) => key !== 'X-Amz-Signature') : request.query;
  const contentSha = firstHeader(request.headers, 'x-amz-content-sha256');
  const payloadHash = contentSha ?? (request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body));
  const key = signingKey(secret.secretAccessKey, auth.scopeDate, auth.region, auth.service);
  const scope = `${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request`;
  const uri = canonicalUri(request.rawPath);
  const canonicalQuery = canonicalQueryString(query);
  for (const host of candidateHosts(request, auth, options.extraSignedHosts ?? [])) {
    const headers = new Map(request.headers);
    headers.set('host', [host]);
    const canonical = canonicalRequest({
      method: request.method,
      canonicalUri: uri,
      canonicalQuery,
      headers,
      signedHeaders: auth.signedHeaders,
      payloadHash,
    });
    if (hmacHex(key, stringToSign(auth.amzDate, scope, canonical)) === auth.signature.toLowerCase()) {
      checkHostScope(host, auth);
      return secret.principal;
    }
  }
  throw new StsFault(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
}
