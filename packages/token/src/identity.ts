/**
 * What a verified token proves (reference §2.5). Built by the verifier from STS's GetCallerIdentity
 * answer and the token itself; consumed by the mapping engine and the webhook.
 */
export interface Identity {
  /** The ARN exactly as STS returned it, e.g. arn:aws:sts::111122223333:assumed-role/Dev/alice. */
  readonly arn: string;
  /** Canonical ARN: assumed-role → arn:aws:iam::ACCOUNT:role/ROLE (no path); users, root, federated kept. */
  readonly canonicalArn: string;
  readonly accountId: string;
  /** The user id part (for roles: the part of STS's UserId before the colon). */
  readonly userId: string;
  /** For assumed roles: the session name (part after the colon); otherwise "". */
  readonly sessionName: string;
  /** From the token's X-Amz-Credential, not from STS (reference §6.10). */
  readonly accessKeyId: string;
  /** The STS host the token was signed for. */
  readonly stsEndpoint: string;
  /** STS's UserId verbatim (principal id). */
  readonly principalId: string;
}
