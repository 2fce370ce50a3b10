import { AuthError, isAuthError, quote } from '@iam-authenticator/core';
import type { Reason } from '@iam-authenticator/core';
import type { Identity } from '@iam-authenticator/token';
import { stripRolePath } from '@iam-authenticator/token';
import type { BackendName, MappingBackend } from './backends/backend.js';
import type { Ec2DnsResolver } from './ec2-dns-resolver.js';
import { buildMappingIndex, ssoKey } from './mapping-index.js';
import type { IndexHit, MappingIndex } from './mapping-index.js';
import type { MapKey, RoleMapping, UserMapping } from './model.js';
import { needsEc2PrivateDnsName, renderMapping, substituteTemplate } from './template.js';

export interface MatchOptions {
  /** Match `sso:` entries (DESIGN difference 4: on by default; the reference's gate is off). */
  readonly ssoRoleMatch?: boolean;
  /** `server.reservedPrefixConfig`: per backend, username prefixes that deny (checked on the rendered name). */
  readonly reservedPrefixes?: Partial<Record<BackendName, readonly string[]>>;
  /** Needed only when a matched template holds {{EC2PrivateDNSName}}. */
  readonly ec2?: Ec2DnsResolver;
  /** Reserved for time-dependent rules; the trace does not need it today. */
  readonly now?: () => Date;
  /**
   * Keep looking after the winner and list every lower-precedence hit as `not-reached` (for
   * `mapping explain`). Default false: stop at the first hit.
   */
  readonly explain?: boolean;
  /**
   * Record the trace of lookups (default true). The webhook passes false: it logs the outcome, not the
   * trace, and every review would otherwise allocate a step and its text per rule tried.
   */
  readonly trace?: boolean;
}

/** Which rule produced a hit, in the order they are tried inside one backend. */
export type MatchRule =
  | 'role-arn'
  | 'role-arn-without-path'
  | 'role-assumed-role-arn'
  | 'role-sso'
  | 'user-arn'
  | 'user-assumed-role-arn'
  | 'role-userid'
  | 'user-userid'
  | 'account';

export interface TraceStep {
  readonly backend: BackendName;
  readonly rule: MatchRule | 'render' | 'reserved-prefix';
  /**
   * matched: this entry maps the identity. miss: nothing under that key. shadowed: an earlier entry with
   * the same key, overridden by the last one. not-reached: a hit after the winner (explain only).
   * rejected: the entry was found but refused (ARN/userid mismatch, render error, reserved prefix).
   * skipped: the rule is off.
   */
  readonly outcome: 'matched' | 'miss' | 'shadowed' | 'not-reached' | 'rejected' | 'skipped';
  /** The lowercase key that was looked up, when there was one. */
  readonly lookup?: string;
  readonly entry?: { readonly key: MapKey; readonly index: number };
  readonly detail: string;
}

export interface MatchedIdentity {
  readonly username: string;
  readonly groups: string[];
  readonly backend: BackendName;
  readonly rule: MatchRule;
  /** Position of the entry in the backend's current MappingSet list. */
  readonly entry: { readonly key: MapKey; readonly index: number };
}

export type MatchDenyReason = Extract<
  Reason,
  'identity_unmapped' | 'mapping_render_failed' | 'username_reserved'
>;

export interface MatchResult {
  readonly mapped: MatchedIdentity | undefined;
  readonly denyReason?: MatchDenyReason;
  /** Why it was denied, for the log (never contains a token). */
  readonly denyDetail?: string;
  readonly trace: TraceStep[];
}

type Hit =
  | { readonly kind: 'role'; readonly rule: MatchRule; readonly hit: IndexHit<RoleMapping> }
  | { readonly kind: 'user'; readonly rule: MatchRule; readonly hit: IndexHit<UserMapping> }
  | { readonly kind: 'account'; readonly index: number };

interface Probe {
  readonly rule: MatchRule;
  readonly lookup: string;
  readonly found: Hit | undefined;
}

/** `arn:<p>:iam::<acct>:role/[aws-reserved/sso.amazonaws.com/[<region>/]]AWSReservedSSO_<set>_<16 hex>`, lowercase. */
const SSO_ROLE =
  /^arn:([^:]+):iam::([0-9]{12}):role\/(?:aws-reserved\/sso\.amazonaws\.com\/(?:[^/]+\/)?)?awsreservedsso_(.+)_[0-9a-f]{16}$/;

/**
 * Maps a verified identity through the backends, deterministically (DESIGN difference 4). Inside a
 * backend: exact role ARN → role ARN written with a path → assumed-role ARN written in rolearn → SSO
 * permission set → exact user ARN → assumed-role ARN written in userarn → mapAccounts. The first backend
 * that maps wins; duplicates resolve to the last entry. A render error or a reserved username denies at
 * once, with no fall-through (reference doMapping). Every lookup is O(1) on a per-snapshot index.
 */
export async function matchIdentity(
  identity: Identity,
  backends: readonly MappingBackend[],
  options: MatchOptions = {},
): Promise<MatchResult> {
  const trace: TraceStep[] = [];
  const explain = options.explain === true;
  const tracing = options.trace !== false || explain;
  const sso = options.ssoRoleMatch ?? true;
  const caller = identity.canonicalArn.toLowerCase();
  let winner: { backend: BackendName; found: Hit } | undefined;

  for (const backend of backends) {
    const index = buildMappingIndex(backend.current());
    const rules = index.userIdStrict ? STRICT_RULES : ARN_RULES;
    for (const rule of rules) {
      const probe = runProbe(rule, index, caller, identity, sso);
      if (probe.found === undefined) {
        if (winner === undefined && tracing) {
          trace.push(missStep(backend.name, probe));
        }
        continue;
      }
      if (winner !== undefined) {
        trace.push(
          step(
            backend.name,
            probe,
            'not-reached',
            `also matches, but ${winner.backend} ${describeHit(winner.found)} comes first`,
          ),
        );
        continue;
      }
      const rejection = index.userIdStrict ? strictMismatch(probe.found, caller) : undefined;
      if (rejection !== undefined) {
        trace.push(step(backend.name, probe, 'rejected', rejection));
        continue;
      }
      if (tracing) {
        trace.push(step(backend.name, probe, 'matched', matchDetail(probe)));
        pushShadowed(trace, backend.name, probe);
      }
      winner = { backend: backend.name, found: probe.found };
      if (!explain) break;
    }
    if (winner !== undefined && !explain) break;
  }

  if (winner === undefined) {
    return {
      mapped: undefined,
      denyReason: 'identity_unmapped',
      denyDetail: `no mapping for ${quote(identity.canonicalArn)} in ${backends.map((b) => b.name).join(', ') || 'no backend'}`,
      trace,
    };
  }
  return finish(identity, winner.backend, winner.found, options, trace);
}

async function finish(
  identity: Identity,
  backend: BackendName,
  found: Hit,
  options: MatchOptions,
  trace: TraceStep[],
): Promise<MatchResult> {
  if (found.kind === 'account') {
    // mapAccounts: the canonical ARN as username, no groups, no templates, no reserved check (§2.7).
    return {
      mapped: {
        username: identity.canonicalArn,
        groups: [],
        backend,
        rule: 'account',
        entry: { key: 'mapAccounts', index: found.index },
      },
      trace,
    };
  }
  const entry = {
    key: found.kind === 'role' ? ('mapRoles' as const) : ('mapUsers' as const),
    index: found.hit.index,
  };
  const { username, groups } = found.hit.entry;
  let rendered;
  try {
    // Without {{EC2PrivateDNSName}} rendering is plain substitution: no extra await on the hot path.
    rendered = needsEc2PrivateDnsName(username, groups)
      ? await renderMapping(username, groups, identity, options.ec2)
      : {
          username: substituteTemplate(username, identity),
          groups: groups.map((g) => substituteTemplate(g, identity)),
        };
  } catch (err) {
    const detail = isAuthError(err) ? err.message : `error rendering templates: ${String(err)}`;
    trace.push({ backend, rule: 'render', outcome: 'rejected', entry, detail });
    return { mapped: undefined, denyReason: 'mapping_render_failed', denyDetail: detail, trace };
  }
  const prefixes = options.reservedPrefixes?.[backend] ?? [];
  const reserved = prefixes.find((prefix) => prefix !== '' && rendered.username.startsWith(prefix));
  if (reserved !== undefined) {
    const detail = `username ${quote(rendered.username)} of ${backend} must not begin with ${quote(reserved)} (reserved prefixes: ${prefixes.join(', ')})`;
    trace.push({ backend, rule: 'reserved-prefix', outcome: 'rejected', entry, detail });
    return { mapped: undefined, denyReason: 'username_reserved', denyDetail: detail, trace };
  }
  return {
    mapped: { username: rendered.username, groups: rendered.groups, backend, rule: found.rule, entry },
    trace,
  };
}

const ARN_RULES: readonly MatchRule[] = [
  'role-arn',
  'role-arn-without-path',
  'role-assumed-role-arn',
  'role-sso',
  'user-arn',
  'user-assumed-role-arn',
  'account',
];
const STRICT_RULES: readonly MatchRule[] = ['role-userid', 'user-userid', 'account'];

/** One O(1) lookup; rules are run lazily, so a hit on the first one costs a single Map.get. */
function runProbe(
  rule: MatchRule,
  index: MappingIndex,
  caller: string,
  identity: Identity,
  sso: boolean,
): Probe {
  switch (rule) {
    case 'role-arn':
      return roleProbe(rule, index.roleExact, caller);
    case 'role-arn-without-path':
      return roleProbe(rule, index.rolePathless, caller);
    case 'role-assumed-role-arn':
      return roleProbe(rule, index.roleCanonical, caller);
    case 'role-sso': {
      if (!sso) return { rule, lookup: '', found: undefined };
      const m = SSO_ROLE.exec(caller);
      if (m === null) return { rule, lookup: '-', found: undefined };
      return roleProbe(rule, index.sso, ssoKey(m[1], m[2] ?? '', m[3] ?? ''));
    }
    case 'user-arn':
      return userProbe(rule, index.userExact, caller);
    case 'user-assumed-role-arn':
      return userProbe(rule, index.userCanonical, caller);
    case 'role-userid':
      return roleProbe(rule, index.roleByUserId, identity.userId);
    case 'user-userid':
      return userProbe(rule, index.userByUserId, identity.userId);
    case 'account': {
      const at = index.accounts.get(identity.accountId);
      return {
        rule,
        lookup: identity.accountId,
        found: at === undefined ? undefined : { kind: 'account', index: at },
      };
    }
  }
}

function roleProbe(rule: MatchRule, table: ReadonlyMap<string, IndexHit<RoleMapping>>, key: string): Probe {
  const hit = table.get(key);
  return { rule, lookup: key, found: hit === undefined ? undefined : { kind: 'role', rule, hit } };
}

function userProbe(rule: MatchRule, table: ReadonlyMap<string, IndexHit<UserMapping>>, key: string): Probe {
  const hit = table.get(key);
  return { rule, lookup: key, found: hit === undefined ? undefined : { kind: 'user', rule, hit } };
}

/** userIDStrict: a userid hit whose ARN (path stripped) is not the caller's is refused (reference ErrIDAndARNMismatch). */
function strictMismatch(found: Hit, caller: string): string | undefined {
  if (found.kind === 'account') return undefined;
  const arn = found.kind === 'role' ? found.hit.entry.rolearn : found.hit.entry.userarn;
  if (arn === undefined || arn === '') return undefined;
  let stripped: string;
  try {
    stripped = stripRolePath(arn.toLowerCase());
  } catch {
    return `ARN does not match User ID: the entry's arn ${quote(arn)} is not an ARN`;
  }
  return stripped === caller
    ? undefined
    : `ARN does not match User ID: the entry's arn ${quote(arn)} is not the caller's`;
}

// Trace steps are built as plain literals (no spreads): they sit on the per-request hot path.
function missStep(backend: BackendName, probe: Probe): TraceStep {
  if (probe.lookup === '')
    return { backend, rule: probe.rule, outcome: 'skipped', detail: missDetail(probe) };
  if (probe.lookup === '-') return { backend, rule: probe.rule, outcome: 'miss', detail: missDetail(probe) };
  return { backend, rule: probe.rule, outcome: 'miss', lookup: probe.lookup, detail: missDetail(probe) };
}

/** A step about a hit (every hit has a lookup key and an entry). */
function step(backend: BackendName, probe: Probe, outcome: TraceStep['outcome'], detail: string): TraceStep {
  const found = probe.found;
  const entry =
    found === undefined || found.kind === 'account'
      ? { key: 'mapAccounts' as const, index: found?.kind === 'account' ? found.index : -1 }
      : {
          key: found.kind === 'role' ? ('mapRoles' as const) : ('mapUsers' as const),
          index: found.hit.index,
        };
  return { backend, rule: probe.rule, outcome, lookup: probe.lookup, entry, detail };
}

function pushShadowed(trace: TraceStep[], backend: BackendName, probe: Probe): void {
  const found = probe.found;
  if (found === undefined || found.kind === 'account') return;
  const key: MapKey = found.kind === 'role' ? 'mapRoles' : 'mapUsers';
  for (const index of found.hit.shadowed) {
    trace.push({
      backend,
      rule: probe.rule,
      outcome: 'shadowed',
      lookup: probe.lookup,
      entry: { key, index },
      detail: `same key as ${key}[${found.hit.index}], which comes later and wins`,
    });
  }
}

function describeHit(found: Hit): string {
  if (found.kind === 'account') return `mapAccounts[${found.index}]`;
  return `${found.kind === 'role' ? 'mapRoles' : 'mapUsers'}[${found.hit.index}]`;
}

const RULE_TEXT: Record<MatchRule, string> = {
  'role-arn': 'rolearn equals the canonical ARN (case-insensitive)',
  'role-arn-without-path': 'rolearn equals the canonical ARN once its IAM path is removed',
  'role-assumed-role-arn': 'rolearn is an assumed-role ARN whose canonical role ARN equals the caller',
  'role-sso': 'sso permission set, account and partition match the AWSReservedSSO role',
  'user-arn': 'userarn equals the canonical ARN (case-insensitive)',
  'user-assumed-role-arn': 'userarn is an assumed-role ARN whose canonical role ARN equals the caller',
  'role-userid': 'userid equals the caller user id (userIDStrict)',
  'user-userid': 'userid equals the caller user id (userIDStrict)',
  account: 'the account is listed in mapAccounts',
};

function matchDetail(probe: Probe): string {
  return RULE_TEXT[probe.rule];
}

function missDetail(probe: Probe): string {
  if (probe.lookup === '') return 'sso role matching is off';
  if (probe.lookup === '-') return 'the caller is not an AWSReservedSSO_<set>_<16 hex> role';
  switch (probe.rule) {
    case 'role-arn':
      return 'no mapRoles entry with this rolearn';
    case 'role-arn-without-path':
      return 'no mapRoles entry whose rolearn has a path and this name';
    case 'role-assumed-role-arn':
      return 'no mapRoles entry with an assumed-role ARN of this role';
    case 'role-sso':
      return 'no sso entry for this permission set, account and partition';
    case 'user-arn':
      return 'no mapUsers entry with this userarn';
    case 'user-assumed-role-arn':
      return 'no mapUsers entry with an assumed-role ARN of this role';
    case 'role-userid':
      return 'no mapRoles entry with this userid';
    case 'user-userid':
      return 'no mapUsers entry with this userid';
    case 'account':
      return 'the account is not in mapAccounts';
  }
}

/** Throws the denial as an AuthError (for callers that prefer exceptions). */
export function denialError(result: MatchResult): AuthError | undefined {
  if (result.mapped !== undefined || result.denyReason === undefined) return undefined;
  return new AuthError(result.denyReason, result.denyDetail ?? result.denyReason);
}
