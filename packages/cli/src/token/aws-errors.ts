import { AuthError, isAuthError, quote } from '@iam-authenticator/core';

/** The sources of the SDK's default chain, named in the credentials_not_found message. */
export const CREDENTIAL_SOURCES =
  'env AWS_ACCESS_KEY_ID, ~/.aws config and credentials (sso, credential_process, role_arn), web identity, container, instance metadata';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidIdentityToken',
  'IDPRejectedClaim',
  'RegionDisabledException',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

function fieldOf(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

function errorCode(error: unknown): string {
  const code = fieldOf(error, 'Code') ?? fieldOf(error, 'code') ?? fieldOf(error, 'name');
  return typeof code === 'string' ? code : 'Error';
}

function httpStatus(error: unknown): number | undefined {
  const metadata = fieldOf(error, '$metadata');
  const status = fieldOf(metadata, 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

function isNetworkError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; depth += 1) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string' && NETWORK.has(code)) return true;
    if (fieldOf(current, 'name') === 'TimeoutError') return true;
    current = fieldOf(current, 'cause');
  }
  return false;
}

/**
 * Turns an AWS SDK failure into one AuthError with a reason from the table. SDK messages are not
 * copied wholesale (a credential_process error may echo its output); only codes and our own words.
 */
export function classifyAwsError(error: unknown, operation: string): AuthError {
  if (isAuthError(error)) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : '';
  if (THROTTLING.has(code) || httpStatus(error) === 429) {
    return new AuthError('aws_throttled', `${operation} was throttled by AWS (${code}): try again shortly`, {
      cause: error,
    });
  }
  if (/sso session .*(has )?expired|token is expired|aws sso login/i.test(message)) {
    return new AuthError(
      'sso_session_expired',
      'the AWS SSO session has expired or is invalid: run `aws sso login` (with --profile if you use one) and retry',
      { cause: error },
    );
  }
  if (DENIED.has(code) || httpStatus(error) === 403) {
    return new AuthError(
      operation === 'AssumeRole' ? 'assume_role_denied' : 'credentials_not_found',
      `${operation} was refused by STS (${code})`,
      { cause: error },
    );
  }
  if (isNetworkError(error)) {
    return new AuthError(
      'aws_unavailable',
      `${operation}: AWS could not be reached (${networkCode(error)})`,
      {
        cause: error,
      },
    );
  }
  if (code === 'ValidationError') {
    return new AuthError('usage_error', `${operation} rejected a parameter: ${firstSentence(message)}`, {
      cause: error,
    });
  }
  return new AuthError('aws_unavailable', `${operation} failed: ${quote(code)} ${firstSentence(message)}`, {
    cause: error,
  });
}

function networkCode(error: unknown): string {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; depth += 1) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string') return code;
    current = fieldOf(current, 'cause');
  }
  return 'timeout';
}

function firstSentence(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}
