import { AuthError, quote } from '@iam-authenticator/core';
import { classifyArn } from './arn.js';
import type { Identity } from './identity.js';
import type { CallerIdentity } from './sts-client.js';
import type { ValidatedToken } from './validate-token.js';

/**
 * The identity a verified token proves (reference §2.5). UserId rules, with §6.9 done right:
 * - user, root, federated-user: the whole UserId;
 * - assumed-role: UserId must be `<role id>:<session>` with exactly one colon and both parts non-empty;
 * - role (STS never answers one, but a fake or future STS might): `<role id>` alone is the user id (the
 *   reference rejects it as "malformed UserID" and its test hides that), `<role id>:<session>` is split.
 * The ARN must name the account STS answered. Errors: arn_invalid, sts_response_invalid.
 */
export function buildIdentity(caller: CallerIdentity, validated: ValidatedToken): Identity {
  const classified = classifyArn(caller.arn);
  if (classified.parsed.accountId !== caller.account) {
    throw new AuthError(
      'sts_response_invalid',
      `sts answered account ${quote(caller.account)} for an arn of account ${quote(classified.parsed.accountId)}`,
    );
  }
  let userId = caller.userId;
  let sessionName = '';
  if (classified.kind === 'assumed-role' || classified.kind === 'role') {
    const parts = caller.userId.split(':');
    const [roleId, session] = parts;
    const splittable = parts.length === 2 && roleId !== '' && session !== '';
    if (splittable && roleId !== undefined && session !== undefined) {
      userId = roleId;
      sessionName = session;
    } else if (classified.kind === 'assumed-role' || parts.length !== 1) {
      throw new AuthError(
        'sts_response_invalid',
        `sts UserId of a ${classified.kind} must look like <role id>:<session>, received ${quote(caller.userId)}`,
      );
    }
  }
  return {
    arn: caller.arn,
    canonicalArn: classified.canonical,
    accountId: caller.account,
    userId,
    sessionName,
    accessKeyId: validated.accessKeyId,
    stsEndpoint: validated.host,
    principalId: caller.userId,
  };
}
