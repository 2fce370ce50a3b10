import type { Identity } from '@iam-authenticator/token';

/**
 * One object per distinct identity. A kubectl user signs a new token every few minutes with the same
 * credentials, so most identity-cache misses are an identity the server has already answered. Handing
 * back the object it answered then lets the per-identity memos (the mapping result, the answer's text
 * and the bound log fields, all keyed by the object) serve a new token as they serve a cached one.
 *
 * Two identities are the same only when every field is equal, the access key id included, so a memo
 * never answers for an identity whose answer would differ. The most recently seen `maxEntries`
 * identities are kept (least recently seen dropped first); nothing of the token is kept.
 */
export class IdentityInterner {
  private readonly known = new Map<string, Identity>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.known.size;
  }

  intern(identity: Identity): Identity {
    if (this.maxEntries <= 0) return identity;
    const key = `${identity.arn}\0${identity.canonicalArn}\0${identity.accountId}\0${identity.userId}\0${identity.sessionName}\0${identity.accessKeyId}\0${identity.stsEndpoint}\0${identity.principalId}`;
    const existing = this.known.get(key);
    if (existing !== undefined && sameIdentity(existing, identity)) {
      // Re-inserted: Map order = recency order.
      this.known.delete(key);
      this.known.set(key, existing);
      return existing;
    }
    // New, or a key shared by two field lists (only possible with a NUL inside a field): the newer wins.
    this.known.delete(key);
    this.known.set(key, identity);
    if (this.known.size > this.maxEntries) {
      const oldest = this.known.keys().next();
      if (oldest.done !== true) this.known.delete(oldest.value);
    }
    return identity;
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return (
    a.arn === b.arn &&
    a.canonicalArn === b.canonicalArn &&
    a.accountId === b.accountId &&
    a.userId === b.userId &&
    a.sessionName === b.sessionName &&
    a.accessKeyId === b.accessKeyId &&
    a.stsEndpoint === b.stsEndpoint &&
    a.principalId === b.principalId
  );
}
