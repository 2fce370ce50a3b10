import { classifyArn, stripRolePath } from '@iam-authenticator/token';
import type { MappingSet, RoleMapping, UserMapping } from './model.js';

/** One indexed entry: the winner for its key (the last entry) and the earlier entries it shadows. */
export interface IndexHit<T> {
  readonly entry: T;
  /** Position in the MappingSet's list. */
  readonly index: number;
  /** Earlier entries with the same key, in list order; the last entry wins (identity-mapping.md §2.4). */
  readonly shadowed: readonly number[];
}

/**
 * O(1) lookup tables for one MappingSet snapshot. Keys are lowercase: IAM names are unique
 * case-insensitively, and the reference compares with EqualFold.
 */
export interface MappingIndex {
  /** `rolearn` exactly as written. */
  readonly roleExact: ReadonlyMap<string, IndexHit<RoleMapping>>;
  /** `rolearn` written with an IAM path, keyed without it (aia#268: role/team/x matches role/x). */
  readonly rolePathless: ReadonlyMap<string, IndexHit<RoleMapping>>;
  /** `rolearn` written as an STS assumed-role ARN, keyed by its canonical role ARN (aia#328). */
  readonly roleCanonical: ReadonlyMap<string, IndexHit<RoleMapping>>;
  /** `sso:` entries keyed `<partition>:<account>:<permission set>`. */
  readonly sso: ReadonlyMap<string, IndexHit<RoleMapping>>;
  readonly userExact: ReadonlyMap<string, IndexHit<UserMapping>>;
  /** `userarn` written as an assumed-role ARN, keyed by its canonical form. */
  readonly userCanonical: ReadonlyMap<string, IndexHit<UserMapping>>;
  /** userIDStrict mode: entries keyed by their exact, case-sensitive `userid`. */
  readonly roleByUserId: ReadonlyMap<string, IndexHit<RoleMapping>>;
  readonly userByUserId: ReadonlyMap<string, IndexHit<UserMapping>>;
  /** Account id → its (last) position in mapAccounts. */
  readonly accounts: ReadonlyMap<string, number>;
  readonly userIdStrict: boolean;
}

const cache = new WeakMap<MappingSet, MappingIndex>();

/** The index of a snapshot, built once and cached for as long as the snapshot object lives. */
export function buildMappingIndex(set: MappingSet): MappingIndex {
  const cached = cache.get(set);
  if (cached !== undefined) return cached;
  const index = createIndex(set);
  cache.set(set, index);
  return index;
}

/** The key of an SSO selector; a missing partition means `aws`. */
export function ssoKey(partition: string | undefined, accountId: string, permissionSetName: string): string {
  const p = partition === undefined || partition === '' ? 'aws' : partition;
  return `${p}:${accountId}:${permissionSetName}`.toLowerCase();
}

class Table<T> extends Map<string, IndexHit<T>> {
  put(key: string, entry: T, index: number): void {
    const previous = this.get(key);
    const shadowed = previous === undefined ? [] : [...previous.shadowed, previous.index];
    this.set(key, { entry, index, shadowed });
  }
}

function createIndex(set: MappingSet): MappingIndex {
  const roleExact = new Table<RoleMapping>();
  const rolePathless = new Table<RoleMapping>();
  const roleCanonical = new Table<RoleMapping>();
  const sso = new Table<RoleMapping>();
  const userExact = new Table<UserMapping>();
  const userCanonical = new Table<UserMapping>();
  const roleByUserId = new Table<RoleMapping>();
  const userByUserId = new Table<UserMapping>();
  const accounts = new Map<string, number>();

  set.mapRoles.forEach((role, i) => {
    if (role.userid !== undefined && role.userid !== '') roleByUserId.put(role.userid, role, i);
    if (role.sso !== undefined) {
      sso.put(ssoKey(role.sso.partition, role.sso.accountID, role.sso.permissionSetName), role, i);
    }
    const arn = role.rolearn;
    if (arn === undefined || arn === '') return;
    const lower = arn.toLowerCase();
    roleExact.put(lower, role, i);
    const alt = alternateKeys(lower);
    if (alt.pathless !== undefined) rolePathless.put(alt.pathless, role, i);
    if (alt.canonical !== undefined) roleCanonical.put(alt.canonical, role, i);
  });
  set.mapUsers.forEach((user, i) => {
    if (user.userid !== undefined && user.userid !== '') userByUserId.put(user.userid, user, i);
    if (user.userarn === '') return;
    const lower = user.userarn.toLowerCase();
    userExact.put(lower, user, i);
    const alt = alternateKeys(lower);
    if (alt.canonical !== undefined) userCanonical.put(alt.canonical, user, i);
  });
  set.mapAccounts.forEach((account, i) => accounts.set(account, i));
  return {
    roleExact,
    rolePathless,
    roleCanonical,
    sso,
    userExact,
    userCanonical,
    roleByUserId,
    userByUserId,
    accounts,
    userIdStrict: set.userIdStrict === true,
  };
}

/** The other forms under which a written ARN can match: without its role path, or canonicalised. */
function alternateKeys(lowerArn: string): { pathless?: string; canonical?: string } {
  let classified;
  try {
    classified = classifyArn(lowerArn);
  } catch {
    // Not an identity ARN: it can still match exactly (the reference never validates it).
    return {};
  }
  if (classified.kind === 'assumed-role') return { canonical: classified.canonical };
  if (classified.kind === 'role') {
    const stripped = stripRolePath(lowerArn);
    if (stripped !== lowerArn) return { pathless: stripped };
  }
  return {};
}
