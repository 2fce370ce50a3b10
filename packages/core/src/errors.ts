/**
 * One error class for the whole project. `reason` is a stable snake_case code: it is the webhook's
 * `status.error`, the metric label and the key of the CLI exit code. Never rename a released reason.
 */
export const REASONS = {
  // token format and local verification (no network)
  token_missing: { http: 200, exit: 3, summary: 'no token in the request' },
  token_too_long: { http: 200, exit: 3, summary: 'token longer than the 16 KiB cap' },
  token_bad_prefix: { http: 200, exit: 3, summary: 'token does not start with k8s-aws-v1.' },
  token_bad_encoding: { http: 200, exit: 3, summary: 'token payload is not strict unpadded base64url' },
  url_invalid: { http: 200, exit: 3, summary: 'token payload is not a valid presigned URL' },
  host_not_allowed: { http: 200, exit: 3, summary: 'STS host outside the allow-list of the partition' },
  query_duplicate_key: { http: 200, exit: 3, summary: 'a query key is repeated (in any letter case)' },
  query_key_not_allowed: { http: 200, exit: 3, summary: 'a query key outside the allow-list' },
  action_invalid: { http: 200, exit: 3, summary: 'Action is not GetCallerIdentity' },
  version_invalid: { http: 200, exit: 3, summary: 'Version is not 2011-06-15' },
  algorithm_invalid: { http: 200, exit: 3, summary: 'X-Amz-Algorithm is not AWS4-HMAC-SHA256' },
  credential_invalid: { http: 200, exit: 3, summary: 'X-Amz-Credential is malformed or not for sts' },
  signed_headers_invalid: { http: 200, exit: 3, summary: 'x-k8s-aws-id is not a signed header' },
  expires_invalid: { http: 200, exit: 3, summary: 'X-Amz-Expires is not an integer in 0..900' },
  date_invalid: { http: 200, exit: 3, summary: 'X-Amz-Date is missing or unparseable' },
  token_expired: { http: 200, exit: 3, summary: 'token older than 15 minutes' },
  token_not_yet_valid: { http: 200, exit: 3, summary: 'token dated more than 15 minutes ahead' },
  // the STS call
  sts_rejected: { http: 200, exit: 4, summary: 'STS refused the token' },
  sts_throttled: { http: 429, exit: 5, summary: 'STS throttled the call' },
  sts_unavailable: { http: 200, exit: 5, summary: 'STS could not be reached or timed out' },
  sts_response_invalid: { http: 200, exit: 5, summary: 'STS answered something unreadable' },
  arn_invalid: { http: 200, exit: 4, summary: 'the caller ARN cannot be canonicalised' },
  // mapping
  identity_unmapped: { http: 200, exit: 6, summary: 'no mapping for the identity' },
  mapping_render_failed: {
    http: 200,
    exit: 6,
    summary: 'a username or group template could not be rendered',
  },
  username_reserved: { http: 200, exit: 6, summary: 'the rendered username has a reserved prefix' },
  mapping_not_synced: {
    http: 503,
    exit: 5,
    summary: 'no mapping yet, and a mapping backend has not loaded its data',
  },
  // the webhook request itself
  request_malformed: { http: 400, exit: 2, summary: 'the TokenReview request is malformed' },
  internal_error: { http: 500, exit: 1, summary: 'an internal fault' },
  // CLI and configuration
  usage_error: { http: 400, exit: 2, summary: 'bad flags or arguments' },
  config_invalid: { http: 500, exit: 2, summary: 'the configuration is invalid' },
  credentials_not_found: { http: 500, exit: 7, summary: 'no AWS credentials found' },
  profile_not_found: { http: 500, exit: 7, summary: 'the AWS profile does not exist' },
  sso_session_expired: { http: 500, exit: 7, summary: 'the SSO session has expired' },
  mfa_required: { http: 500, exit: 7, summary: 'an MFA code is needed but there is no terminal' },
  assume_role_denied: { http: 500, exit: 7, summary: 'AssumeRole was refused' },
  aws_throttled: { http: 500, exit: 5, summary: 'AWS throttled the call' },
  aws_unavailable: { http: 500, exit: 5, summary: 'AWS could not be reached' },
  // aws-auth editing
  mapping_parse_failed: { http: 500, exit: 2, summary: 'the aws-auth data does not parse' },
  mapping_conflict: { http: 500, exit: 3, summary: 'the edit conflicts with an existing entry' },
  mapping_not_found: { http: 500, exit: 4, summary: 'nothing matched the edit' },
  mapping_refused: { http: 500, exit: 3, summary: 'the edit was refused as unsafe' },
  kube_api_error: { http: 500, exit: 5, summary: 'the Kubernetes API call failed' },
  signature_invalid: { http: 200, exit: 3, summary: 'X-Amz-Signature is missing or not 64 hex digits' },
} as const satisfies Record<string, { http: number; exit: number; summary: string }>;

export type Reason = keyof typeof REASONS;

export function isReason(value: string): value is Reason {
  return Object.hasOwn(REASONS, value);
}

const MAX_MESSAGE_CHARS = 200;

/**
 * Marks AuthError instances by a registered symbol rather than by class identity, so `instanceof` also
 * holds for an AuthError made by another copy of this module (the `token` command's bundles each carry
 * one: the cache-hit file and the signing file loaded on a miss).
 */
const AUTH_ERROR = Symbol.for('@iam-authenticator/core.AuthError');

export class AuthError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && AUTH_ERROR in value;
  }

  readonly reason: Reason;
  constructor(reason: Reason, message: string, options?: { cause?: unknown }) {
    super(clip(message), options);
    this.name = 'AuthError';
    this.reason = reason;
  }
  get httpStatus(): number {
    return REASONS[this.reason].http;
  }
  get exitCode(): number {
    return REASONS[this.reason].exit;
  }
}
Object.defineProperty(AuthError.prototype, AUTH_ERROR, { value: true });

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** Cuts a message to the 200 characters STYLE.md allows. */
export function clip(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** Quotes a user value for a message, cut short so a huge value cannot flood a log line. */
export function quote(value: unknown, maxChars = 60): string {
  // JSON.stringify(undefined) is undefined at run time, whatever its declared type says.
  const json = JSON.stringify(value) as string | undefined;
  const text = json === undefined ? String(value) : json;
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 2)}…"`;
}
