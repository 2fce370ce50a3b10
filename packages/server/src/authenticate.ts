import { REASONS, isAuthError } from '@iam-authenticator/core';
import type { Logger, Reason } from '@iam-authenticator/core';
import type { Identity } from '@iam-authenticator/token';
import { IdentityCache } from './identity-cache.js';
import type { CacheLookup, Expiring } from './identity-cache.js';
import type { ReviewResult, ServerMetrics } from './metrics.js';
import { tokenReviewAllowed, tokenReviewDenied } from './token-review.js';
import type { ReviewedUser, TokenReviewApiVersion } from './token-review.js';

/** What the mapping step answers for one identity. */
export interface MappingOutcome {
  readonly mapped?: {
    readonly username: string;
    readonly groups: readonly string[];
    readonly backend?: string;
  };
  readonly denyReason?: Reason;
  /** A short explanation for the log (never shown to the client). */
  readonly detail?: string;
}

export interface AuthenticatorOptions {
  /** Local validation + STS call; resolves with the identity and the token's own expiry. */
  readonly verify: (token: string) => Promise<Expiring<Identity>>;
  /**
   * Applied on every review; may answer synchronously. Its result must follow the mapping backends at
   * once (the pipeline reuses a result only while every backend still serves the same snapshot).
   * `known`: this identity object was reviewed before, so a result kept for it is likely to be used again.
   */
  readonly map: (identity: Identity, known: boolean) => MappingOutcome | Promise<MappingOutcome>;
  readonly cache: IdentityCache<Identity>;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly scrubbedAccounts: ReadonlySet<string>;
  readonly now: () => Date;
}

export interface ReviewAnswer {
  readonly status: number;
  readonly body: string;
  /** `body` as UTF-8, when kept encoded (a kept answer is written without encoding it again). */
  readonly bytes?: Buffer;
  readonly result: ReviewResult;
}

const PRINCIPAL_ID_EXTRA = 'sigs.k8s.io/aws-iam-authenticator/principalId';

/** The reference's histogram label for each of our reasons. */
export function resultLabel(reason: Reason): ReviewResult {
  switch (reason) {
    case 'request_malformed':
      return 'malformed_request';
    case 'sts_rejected':
    case 'sts_unavailable':
    case 'sts_response_invalid':
      return 'sts_error';
    case 'sts_throttled':
      return 'sts_throttling';
    case 'identity_unmapped':
    case 'mapping_render_failed':
    case 'username_reserved':
    case 'mapping_not_synced':
      return 'uknown_user';
    case 'internal_error':
    case 'config_invalid':
      return 'internal_error';
    default:
      return 'invalid_token';
  }
}

export function buildUser(
  identity: Identity,
  username: string,
  groups: readonly string[],
  scrubbed: boolean,
): ReviewedUser {
  if (scrubbed) return { username, uid: `aws-iam-authenticator:administrative:${username}`, groups };
  return {
    username,
    uid: `aws-iam-authenticator:${identity.accountId}:${identity.userId}`,
    groups,
    extra: {
      accessKeyId: [identity.accessKeyId],
      arn: [identity.arn],
      canonicalArn: [identity.canonicalArn],
      principalId: [identity.userId],
      sessionName: [identity.sessionName],
      [PRINCIPAL_ID_EXTRA]: [identity.userId],
    },
  };
}

/**
 * What is reused, per cached identity, while the mapping gives the same user: the answer's text and
 * child loggers with the identity, mapping and cache fields already bound (pino serialises bindings
 * once), so a cache hit formats only the per-review fields.
 */
interface Granted {
  readonly apiVersion: TokenReviewApiVersion | undefined;
  readonly username: string;
  readonly groups: readonly string[];
  readonly backend: string | undefined;
  readonly body: string;
  readonly bytes: Buffer;
  readonly log: Logger;
  /** `log` with the cache source bound too, made on first use: a review formats only its own fields. */
  readonly bySource: { [source in CacheLookup<Identity>['source']]?: Logger };
}

/** The kept child logger of `kept` for reviews answered from `source`. */
function sourceLog(kept: Granted, source: CacheLookup<Identity>['source']): Logger {
  let log = kept.bySource[source];
  if (log === undefined) {
    log = kept.log.child({ cache: source });
    kept.bySource[source] = log;
  }
  return log;
}

const sameGroups = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((group, i) => group === b[i]);

/** Turns one token into one TokenReview answer; logs one line; never throws. */
export function createAuthenticator(options: AuthenticatorOptions) {
  const { metrics, logger, cache } = options;
  const granted = new WeakMap<Identity, Granted>();
  // Identity objects reviewed at least once: the identity cache hands back the same object for a cached
  // token, and the pipeline's interner for a new token of an identity already answered.
  const reviewed = new WeakSet<Identity>();
  // One prom-client labelled child per result, made once: no label object per review.
  const latency = new Map<ReviewResult, { observe(seconds: number): void }>();
  const observe = (result: ReviewResult, seconds: number): void => {
    let child = latency.get(result);
    if (child === undefined) {
      child = metrics.authenticateLatency.labels({ result });
      latency.set(result, child);
    }
    child.observe(seconds);
  };

  function deny(
    started: number,
    fields: Record<string, unknown>,
    apiVersion: TokenReviewApiVersion | undefined,
    reason: Reason,
    detail: string | undefined,
  ): ReviewAnswer {
    const result = resultLabel(reason);
    const elapsed = performance.now() - started;
    observe(result, elapsed / 1000);
    fields['reason'] = reason;
    if (detail !== undefined) fields['detail'] = detail;
    fields['result'] = result;
    fields['latencyMs'] = Math.round(elapsed * 1000) / 1000;
    logger[reason === 'internal_error' ? 'error' : 'warn'](fields, 'access denied');
    return { status: REASONS[reason].http, body: tokenReviewDenied(apiVersion, reason), result };
  }

  /** The identity and mapping fields of a review's log line (bound once per Granted). */
  function identityFields(identity: Identity, scrubbed: boolean): Record<string, unknown> {
    return scrubbed
      ? { stsEndpoint: identity.stsEndpoint }
      : {
          arn: identity.arn,
          accountId: identity.accountId,
          accessKeyId: identity.accessKeyId,
          stsEndpoint: identity.stsEndpoint,
        };
  }

  /** The log fields of a denial once the identity is known. */
  function deniedFields(
    identity: Identity,
    client: string | undefined,
    tokenId: string,
    source: CacheLookup<Identity>['source'],
  ): Record<string, unknown> {
    const scrubbed = options.scrubbedAccounts.has(identity.accountId);
    return { client, tokenId, cache: source, ...identityFields(identity, scrubbed) };
  }

  /** A verifier or mapping failure: its own reason, or internal_error (logged as a fault) for a foreign error. */
  function fail(
    started: number,
    fields: Record<string, unknown>,
    apiVersion: TokenReviewApiVersion | undefined,
    error: unknown,
    stage: 'verifier' | 'mapping',
  ): ReviewAnswer {
    if (isAuthError(error)) return deny(started, fields, apiVersion, error.reason, error.message);
    logger.error({ ...fields, err: describe(error) }, `${stage} fault`);
    return deny(started, fields, apiVersion, 'internal_error', `unexpected ${stage} failure`);
  }

  /** The kept answer of an identity, if the mapping still gives the same user for this apiVersion. */
  function keptAnswer(
    identity: Identity,
    apiVersion: TokenReviewApiVersion | undefined,
    mapped: NonNullable<MappingOutcome['mapped']>,
  ): Granted | undefined {
    const memo = granted.get(identity);
    return memo !== undefined &&
      memo.apiVersion === apiVersion &&
      memo.username === mapped.username &&
      memo.backend === mapped.backend &&
      sameGroups(memo.groups, mapped.groups)
      ? memo
      : undefined;
  }

  /**
   * Builds the answer (a pure function of identity, username, groups and apiVersion) and logs it. It is
   * kept, with a child logger holding the identity and mapping fields, from the second review of an
   * identity on: an identity seen once keeps nothing.
   */
  function grant(
    identity: Identity,
    apiVersion: TokenReviewApiVersion | undefined,
    mapped: NonNullable<MappingOutcome['mapped']>,
    keep: boolean,
    source: CacheLookup<Identity>['source'],
    review: Record<string, unknown>,
  ): string {
    const { username, groups, backend } = mapped;
    const scrubbed = options.scrubbedAccounts.has(identity.accountId);
    const user = buildUser(identity, username, groups, scrubbed);
    const body = tokenReviewAllowed(apiVersion, user);
    const bound: Record<string, unknown> = identityFields(identity, scrubbed);
    bound['username'] = username;
    bound['groups'] = groups;
    if (backend !== undefined) bound['backend'] = backend;
    bound['uid'] = user.uid;
    bound['result'] = 'success';
    if (!keep) {
      bound['cache'] = source;
      logger.info(Object.assign(bound, review), 'access granted');
      return body;
    }
    const kept: Granted = {
      apiVersion,
      username,
      groups: [...groups],
      backend,
      body,
      bytes: Buffer.from(body, 'utf8'),
      log: logger.child(bound),
      bySource: {},
    };
    granted.set(identity, kept);
    sourceLog(kept, source).info(review, 'access granted');
    return body;
  }

  /** The answer for a verified identity: mapped (synchronously when the mapping allows), logged, built. */
  function answerFor(
    identity: Identity,
    source: CacheLookup<Identity>['source'],
    started: number,
    apiVersion: TokenReviewApiVersion | undefined,
    client: string | undefined,
    tokenId: string,
  ): ReviewAnswer | Promise<ReviewAnswer> {
    const known = reviewed.has(identity);
    if (!known) reviewed.add(identity);
    const mappingFailed = (error: unknown): ReviewAnswer =>
      fail(started, deniedFields(identity, client, tokenId, source), apiVersion, error, 'mapping');
    let mapping: MappingOutcome | Promise<MappingOutcome>;
    try {
      mapping = options.map(identity, known);
    } catch (error) {
      return mappingFailed(error);
    }
    const answer = (outcome: MappingOutcome): ReviewAnswer => {
      if (outcome.mapped === undefined) {
        const fields = deniedFields(identity, client, tokenId, source);
        return deny(started, fields, apiVersion, outcome.denyReason ?? 'identity_unmapped', outcome.detail);
      }
      const elapsed = performance.now() - started;
      observe('success', elapsed / 1000);
      const fields = { client, tokenId, latencyMs: Math.round(elapsed * 1000) / 1000 };
      const kept = keptAnswer(identity, apiVersion, outcome.mapped);
      if (kept !== undefined) {
        sourceLog(kept, source).info(fields, 'access granted');
        return { status: 200, body: kept.body, bytes: kept.bytes, result: 'success' };
      }
      const body = grant(identity, apiVersion, outcome.mapped, known, source, fields);
      return { status: 200, body, result: 'success' };
    };
    return mapping instanceof Promise ? mapping.then(answer, mappingFailed) : answer(mapping);
  }

  /** An identity-cache miss: verifies the token (or joins the verification in flight), then answers. */
  function verifyThenAnswer(
    token: string,
    key: string,
    started: number,
    apiVersion: TokenReviewApiVersion | undefined,
    client: string | undefined,
    tokenId: string,
  ): Promise<ReviewAnswer> {
    metrics.identityCacheMisses.inc(); // every review not answered from the cache, whatever comes of it
    return cache
      .load(key, () => options.verify(token))
      .then(
        (lookup) => answerFor(lookup.value, lookup.source, started, apiVersion, client, tokenId),
        (error: unknown) => fail(started, { client, tokenId }, apiVersion, error, 'verifier'),
      );
  }

  /**
   * One review. A cache hit whose mapping result is kept is answered synchronously (no promise, no
   * microtask); everything else resolves later. Never throws or rejects.
   */
  return function review(
    token: string,
    apiVersion: TokenReviewApiVersion | undefined,
    client?: string,
  ): ReviewAnswer | Promise<ReviewAnswer> {
    const started = performance.now();
    if (token === '') {
      return deny(
        started,
        { client, tokenId: '' },
        apiVersion,
        'token_missing',
        'the TokenReview has no spec.token',
      );
    }
    // One sha256 serves as cache key and, cut to 16 hex, as the logged tokenId (= core's tokenFingerprint).
    const key = IdentityCache.key(token);
    const tokenId = key.slice(0, 16);
    const cached = cache.get(key);
    if (cached === undefined) return verifyThenAnswer(token, key, started, apiVersion, client, tokenId);
    metrics.identityCacheHits.inc();
    return answerFor(cached, 'hit', started, apiVersion, client, tokenId);
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/**
 * An error summary for logs: the class and code only. Foreign errors (fetch, TLS) may quote the URL they
 * were given, which would be the presigned URL, so their messages are never logged.
 */
export function describe(error: unknown): string {
  if (isAuthError(error)) return `${error.name}(${error.reason}): ${error.message}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return 'non-error thrown';
}
