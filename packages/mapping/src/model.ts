/** The aws-auth model shared by every backend, the matcher and the edit tools (reference: identity-mapping.md). */

export type MapKey = 'mapRoles' | 'mapUsers' | 'mapAccounts';

/** `sso:` selector of a mapRoles entry: matches arn:<partition>:iam::<accountID>:role/AWSReservedSSO_<permissionSetName>_<16 hex>. */
export interface SsoSelector {
  readonly permissionSetName: string;
  readonly accountID: string;
  readonly partition?: string;
}

export interface RoleMapping {
  /** As written (may carry a path or be an assumed-role ARN; the matcher canonicalises). */
  readonly rolearn?: string;
  readonly sso?: SsoSelector;
  readonly username: string;
  readonly groups: readonly string[];
  /** DynamicFile `userIDStrict` cross-check. */
  readonly userid?: string;
}

export interface UserMapping {
  readonly userarn: string;
  readonly username: string;
  readonly groups: readonly string[];
  readonly userid?: string;
}

export interface MappingSet {
  readonly mapRoles: readonly RoleMapping[];
  readonly mapUsers: readonly UserMapping[];
  /** Account IDs kept as text: leading zeros survive. */
  readonly mapAccounts: readonly string[];
  /**
   * DynamicFile `userIDStrict` mode (identity-mapping.md §2.3): entries are looked up by `userid` (the STS
   * principal id) instead of by ARN, and a mapping ARN must equal the caller's after path stripping.
   */
  readonly userIdStrict?: boolean;
}

export interface ParseIssue {
  /** The data key (`mapRoles`, …) or a path inside it. */
  readonly key: string;
  /** Index of the entry inside the key's list, when the issue is about one entry. */
  readonly index?: number;
  /** 1-based line inside the key's YAML text, when known. */
  readonly line?: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface ParseResult {
  readonly mappings: MappingSet;
  readonly issues: readonly ParseIssue[];
  /** Keys whose whole text failed to parse (as opposed to single dropped entries). */
  readonly failedKeys: readonly MapKey[];
}

export const EMPTY_MAPPINGS: MappingSet = Object.freeze({ mapRoles: [], mapUsers: [], mapAccounts: [] });
