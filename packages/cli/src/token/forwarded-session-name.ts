/**
 * `--forward-session-name`: the session part of a GetCallerIdentity UserId (`AROA…:session`).
 * Only an id with exactly one `:` has a session part (reference 1.5); anything else gives none.
 */
export function sessionNameFromUserId(userId: string): string | undefined {
  const parts = userId.split(':');
  return parts.length === 2 && parts[1] !== undefined && parts[1] !== '' ? parts[1] : undefined;
}
