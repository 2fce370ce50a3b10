import { AuthError, REASONS, isAuthError } from '@iam-authenticator/core';
import type { Logger, Reason } from '@iam-authenticator/core';
import type { Identity } from '@iam-authenticator/token';
import { IdentityCache } from './identity-cache.js';
import type { Expiring } from './identity-cache.js';
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
  /** Applied fresh on every review (never cached). */
  readonly map: (identity: Identity) => Promise<MappingOutcome>;
  readonly cache: IdentityCache<Identity>;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly scrubbedAccounts: ReadonlySet<string>;
  readonly now: () => Date;
}

export interface ReviewAnswer {
  readonly status: number;
  readonly body: string;
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
      return 'uknown_user';
    case 'internal_error':
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

/** Turns one token into one TokenReview answer; logs one line; never throws. */
export function createAuthenticator(options: AuthenticatorOptions) {
  const { metrics, logger, cache } = options;
  const answers = new WeakMap<Identity, { key: string; body: string; uid: string }>();

  function finish(
    started: bigint,
    fields: Record<string, unknown>,
    answer: ReviewAnswer,
    level: 'info' | 'warn' | 'error',
    message: string,
  ): ReviewAnswer {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.authenticateLatency.observe({ result: answer.result }, seconds);
    fields['result'] = answer.result;
    fields['latencyMs'] = Math.round(seconds * 1e6) / 1e3;
    logger[level](fields, message);
    return answer;
  }

  function deny(apiVersion: TokenReviewApiVersion | undefined, reason: Reason): ReviewAnswer {
    return {
      status: REASONS[reason].http,
      body: tokenReviewDenied(apiVersion, reason),
      result: resultLabel(reason),
    };
  }

  return async function review(
    token: string,
    apiVersion: TokenReviewApiVersion | undefined,
    context: Record<string, unknown> = {},
  ): Promise<ReviewAnswer> {
    const started = process.hrtime.bigint();
    // One sha256 serves as cache key and, cut to 16 hex, as the logged tokenId (= core's tokenFingerprint).
    const key = IdentityCache.key(token);
    const fields: Record<string, unknown> = { ...context };
    fields['tokenId'] = token === '' ? '' : key.slice(0, 16);
    let identity: Identity;
    try {
      if (token === '') throw new AuthError('token_missing', 'the TokenReview has no spec.token');
      const found = await cache.lookupKey(key, () => options.verify(token));
      identity = found.value;
      fields['cache'] = found.source;
      if (found.source === 'hit') metrics.identityCacheHits.inc();
      else metrics.identityCacheMisses.inc();
    } catch (error) {
      const reason: Reason = isAuthError(error) ? error.reason : 'internal_error';
      const detail = isAuthError(error) ? error.message : 'unexpected verifier failure';
      if (!isAuthError(error)) logger.error({ ...fields, err: describe(error) }, 'verifier fault');
      const level = reason === 'internal_error' ? 'error' : 'warn';
      fields['reason'] = reason;
      fields['detail'] = detail;
      return finish(started, fields, deny(apiVersion, reason), level, 'access denied');
    }
    const scrubbed = options.scrubbedAccounts.has(identity.accountId);
    if (!scrubbed) {
      fields['arn'] = identity.arn;
      fields['accountId'] = identity.accountId;
      fields['accessKeyId'] = identity.accessKeyId;
    }
    fields['stsEndpoint'] = identity.stsEndpoint;
    let outcome: MappingOutcome;
    try {
      outcome = await options.map(identity);
    } catch (error) {
      const reason: Reason = isAuthError(error) ? error.reason : 'internal_error';
      if (!isAuthError(error)) logger.error({ ...fields, err: describe(error) }, 'mapping fault');
      const detail = isAuthError(error) ? error.message : 'unexpected mapping failure';
      fields['reason'] = reason;
      fields['detail'] = detail;
      return finish(
        started,
        fields,
        deny(apiVersion, reason),
        reason === 'internal_error' ? 'error' : 'warn',
        'access denied',
      );
    }
    if (outcome.mapped === undefined) {
      const reason = outcome.denyReason ?? 'identity_unmapped';
      fields['reason'] = reason;
      if (outcome.detail !== undefined) fields['detail'] = outcome.detail;
      return finish(started, fields, deny(apiVersion, reason), 'warn', 'access denied');
    }
    const { username, groups } = outcome.mapped;
    fields['username'] = username;
    fields['groups'] = groups;
    if (outcome.mapped.backend !== undefined) fields['backend'] = outcome.mapped.backend;
    // The answer is a pure function of (identity, username, groups, apiVersion): reuse its text while the
    // identity stays cached and the mapping gives the same result (the mapping itself still runs each time).
    const memoKey = `${apiVersion ?? ''}\u0000${username}\u0000${groups.join('\u0000')}`;
    const memo = answers.get(identity);
    let body: string;
    let uid: string;
    if (memo?.key === memoKey) {
      ({ body, uid } = memo);
    } else {
      const user = buildUser(identity, username, groups, scrubbed);
      body = tokenReviewAllowed(apiVersion, user);
      uid = user.uid;
      answers.set(identity, { key: memoKey, body, uid });
    }
    fields['uid'] = uid;
    return finish(started, fields, { status: 200, body, result: 'success' }, 'info', 'access granted');
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
