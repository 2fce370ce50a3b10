import { AuthError, quote } from '@iam-authenticator/core';

/** STS's own rule for RoleSessionName; checked locally so a bad name fails before any AWS call. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;

export function validateSessionName(name: string): string {
  if (!SESSION_NAME_PATTERN.test(name)) {
    throw new AuthError(
      'usage_error',
      `invalid --session-name ${quote(name)}: expected 2 to 64 characters from [A-Za-z0-9_+=,.@-]`,
    );
  }
  return name;
}
