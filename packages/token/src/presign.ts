import { AuthError } from '@iam-authenticator/core';
import { resolveStsEndpoint } from './endpoints.js';
import { CLUSTER_ID_HEADER, encodeToken } from './token-format.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials; it becomes the signed `X-Amz-Security-Token` query parameter. */
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export interface PresignOptions {
  /** Credentials that sign the token (after any AssumeRole). */
  credentials: AwsCredentials;
  /** Value of the signed `x-k8s-aws-id` header; required. */
  clusterId: string;
  /** Region of the STS endpoint and of the signature (see `resolveStsEndpoint`). */
  region: string;
  /** Default false. */
  useFips?: boolean | undefined;
  /** Default false. */
  useDualStack?: boolean | undefined;
  /** Signing clock. Default: the system clock. */
  now?: (() => Date) | undefined;
}

export interface PresignedToken {
  /** `k8s-aws-v1.` + base64url of `presignedUrl`. */
  token: string;
  /** A bearer credential for 15 minutes: never log it. */
  presignedUrl: string;
  /** Signing time (whole seconds) + 14 minutes, what kubectl is told. */
  expiration: Date;
  host: string;
  signingRegion: string;
}

/** The value the reference sends; STS ignores it (a presigned GetCallerIdentity lives 15 min), and servers ≤ 0.3.0 require ≤ 60. */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** STS's 15-minute validity minus the reference's one-minute cushion. */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;

const OPERATION_QUERY = { Action: 'GetCallerIdentity', Version: '2011-06-15' } as const;
const SIGNATURE_PARAM = 'X-Amz-Signature';

/**
 * Go's `url.QueryEscape`: everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded (upper-case hex) and
 * a space becomes `+`. `encodeURIComponent` leaves `!'()*` alone, so those are escaped after it.
 */
function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's `url.Values.Encode` (keys sorted by byte order) with the signature appended last, as the Go signer does. */
function encodeQuery(query: Record<string, string>): string {
  const signature = query[SIGNATURE_PARAM];
  const pairs = Object.keys(query)
    .filter((key) => key !== SIGNATURE_PARAM)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${goQueryEscape(key)}=${goQueryEscape(query[key] ?? '')}`);
  if (signature !== undefined) pairs.push(`${SIGNATURE_PARAM}=${goQueryEscape(signature)}`);
  return pairs.join('&');
}

/**
 * Presigns `GET https://<sts host>/?Action=GetCallerIdentity&Version=2011-06-15` with the cluster ID
 * header signed in, byte for byte as the reference's generator (token-and-webhook.md §1.2). The signer
 * is imported on first use, so loading this module (e.g. on a token-cache hit) costs nothing.
 */
export async function presignCallerIdentity(options: PresignOptions): Promise<PresignedToken> {
  if (options.clusterId === '') {
    throw new AuthError('usage_error', 'a cluster ID is required (-i/--cluster-id), received ""');
  }
  const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
  if (accessKeyId === '' || secretAccessKey === '') {
    throw new AuthError(
      'credentials_not_found',
      'the AWS credentials lack an access key ID or a secret access key',
    );
  }
  const endpoint = resolveStsEndpoint({
    region: options.region,
    useFips: options.useFips,
    useDualStack: options.useDualStack,
  });
  const now = options.now ?? (() => new Date());
  // X-Amz-Date has whole seconds; the expiration is counted from the time actually signed.
  const signingDate = new Date(Math.floor(now().getTime() / 1000) * 1000);

  const [{ SignatureV4 }, { Hash }, { HttpRequest }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@smithy/hash-node'),
    import('@smithy/protocol-http'),
  ]);
  const signer = new SignatureV4({
    service: 'sts',
    region: endpoint.signingRegion,
    sha256: Hash.bind(null, 'sha256'),
    credentials:
      sessionToken === undefined || sessionToken === ''
        ? { accessKeyId, secretAccessKey }
        : { accessKeyId, secretAccessKey, sessionToken },
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: endpoint.host,
    path: '/',
    query: { ...OPERATION_QUERY },
    headers: { host: endpoint.host, [CLUSTER_ID_HEADER]: options.clusterId },
  });
  const signed = await signer.presign(request, {
    signingDate,
    expiresIn: PRESIGN_EXPIRES_SECONDS,
    signingRegion: endpoint.signingRegion,
    signingService: 'sts',
  });

  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    if (typeof value !== 'string') {
      throw new AuthError('internal_error', `the signer produced a non-string query value for ${key}`);
    }
    query[key] = value;
  }
  const presignedUrl = `https://${endpoint.host}/?${encodeQuery(query)}`;
  return {
    token: encodeToken(presignedUrl),
    presignedUrl,
    expiration: new Date(signingDate.getTime() + TOKEN_LIFETIME_MS),
    host: endpoint.host,
    signingRegion: endpoint.signingRegion,
  };
}
