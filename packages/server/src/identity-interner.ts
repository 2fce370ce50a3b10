import { RecencyMap } from '@iam-authenticator/core';
import { buildIdentity } from '@iam-authenticator/token';
import type { CallerIdentity, Identity, ValidatedToken } from '@iam-authenticator/token';

/** What an identity is built from: STS's answer and two fields of the token. */
interface Source {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
  readonly accessKeyId: string;
  readonly host: string;
  readonly identity: Identity;
}

/**
 * One object per distinct identity. A kubectl user signs a new token every few minutes with the same
 * credentials, so most identity-cache misses are an identity the server has already answered. Handing
 * back the object it answered then lets the per-identity memos (the mapping result, the answer's text
 * and the bound log fields, all keyed by the object) serve a new token as they serve a cached one.
 *
 * An identity is a pure function of STS's Arn, Account and UserId and of the token's access key id and
 * STS host (`buildIdentity`), so equal inputs give the same object and any other input its own. At most
 * `maxEntries` identities are kept, the least recently seen dropped first (core's RecencyMap); nothing
 * of the token itself is kept.
 */
export class IdentityInterner {
  private readonly known: RecencyMap<string, Source>;

  constructor(maxEntries: number) {
    this.known = new RecencyMap(maxEntries);
  }

  get size(): number {
    return this.known.size;
  }

  /** `buildIdentity(caller, validated)`, or the object it gave for the same inputs before. */
  identityOf(caller: CallerIdentity, validated: ValidatedToken): Identity {
    const { arn, account, userId } = caller;
    const { accessKeyId, host } = validated;
    const key = `${arn}\0${account}\0${userId}\0${accessKeyId}\0${host}`;
    const existing = this.known.get(key);
    // The fields are compared too: a NUL inside a field could make two input lists join alike.
    if (
      existing !== undefined &&
      existing.arn === arn &&
      existing.account === account &&
      existing.userId === userId &&
      existing.accessKeyId === accessKeyId &&
      existing.host === host
    ) {
      return existing.identity;
    }
    // Throws for an STS answer that names no valid identity; nothing is kept then.
    const identity = buildIdentity(caller, validated);
    this.known.set(key, { arn, account, userId, accessKeyId, host, identity });
    return identity;
  }
}
