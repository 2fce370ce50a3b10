import { isUtf8 } from 'node:buffer';
import { AuthError } from '@iam-authenticator/core';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** DESIGN.md difference 2: the reference caps at 4096 bytes, too small for large session tokens (aia#1106). */
export const MAX_TOKEN_BYTES = 16 * 1024;

const BASE64URL_UNPADDED = /^[A-Za-z0-9_-]*$/;

/** Why a payload is not strict unpadded base64url, in the order a strict decoder finds it. */
function notStrictBase64url(payload: string): AuthError {
  if (!BASE64URL_UNPADDED.test(payload)) {
    return new AuthError(
      'token_bad_encoding',
      'token payload is not unpadded base64url (characters outside A-Z a-z 0-9 - _)',
    );
  }
  // A length of 1 mod 4 cannot come from any byte string.
  if (payload.length % 4 === 1) {
    return new AuthError('token_bad_encoding', 'token payload has an impossible base64url length');
  }
  // Non-canonical trailing bits (e.g. "QR" vs "QQ") decode to the same bytes: only the canonical form,
  // whose last character leaves the bits past the data zero, is accepted.
  return new AuthError('token_bad_encoding', 'token payload is not canonical base64url');
}

/** `k8s-aws-v1.` + unpadded base64url of the presigned URL text. */
export function encodeToken(presignedUrl: string): string {
  return TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

/** Strict inverse of `encodeToken`. Errors never quote the token. */
export function decodeToken(token: string): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a longer text needs measuring.
  if (token.length > MAX_TOKEN_BYTES / 3 && Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) {
    throw new AuthError('token_too_long', `token is longer than ${MAX_TOKEN_BYTES} bytes`);
  }
  if (!token.startsWith(TOKEN_PREFIX)) {
    throw new AuthError('token_bad_prefix', `token must start with ${JSON.stringify(TOKEN_PREFIX)}`);
  }
  const payload = token.slice(TOKEN_PREFIX.length);
  if (payload.length === 0) {
    throw new AuthError('token_bad_encoding', 'token payload is empty');
  }
  // Node's decoder is lenient (it skips characters outside the alphabet, reads "+" and "/" too, and
  // ignores non-zero trailing bits), so the payload must be exactly what encoding its bytes gives back.
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.toString('base64url') !== payload) throw notStrictBase64url(payload);
  if (!isUtf8(bytes)) {
    throw new AuthError('token_bad_encoding', 'token payload is not valid UTF-8');
  }
  return bytes.toString('utf8');
}
