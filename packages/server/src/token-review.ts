/** TokenReview wire shapes (authentication.k8s.io v1 and v1beta1; their JSON is the same). */

export const TOKEN_REVIEW_API_VERSIONS = [
  'authentication.k8s.io/v1',
  'authentication.k8s.io/v1beta1',
] as const;
export type TokenReviewApiVersion = (typeof TOKEN_REVIEW_API_VERSIONS)[number];

export interface TokenReviewRequest {
  /** Undefined when the request carried no TypeMeta (the reference ignores it; so do we then). */
  readonly apiVersion?: TokenReviewApiVersion;
  readonly token: string;
}

export interface ReviewedUser {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export type ParsedReview = { ok: true; review: TokenReviewRequest } | { ok: false; message: string };

/** What a received kind or apiVersion may look like to be quoted in an answer and a log line. */
const SHOWABLE = /^[A-Za-z0-9./-]{1,60}$/;

/**
 * A received TypeMeta value for a message: quoted when it is a short, plain name; otherwise only its
 * type or length. The body is the client's text and may hold a token in any field (STYLE: messages
 * never carry a token and stay short).
 */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value !== 'string')
    return `a ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value}`;
  if (SHOWABLE.test(value) && !value.startsWith('k8s-aws-v1.')) return JSON.stringify(value);
  return `a string of ${value.length} characters (not shown)`;
}

/**
 * Parses a TokenReview body. The token may be empty (a denial, not a malformed request), but the body
 * must be one JSON object whose TypeMeta, when present, names a TokenReview version we answer.
 */
export function parseTokenReview(body: string): ParsedReview {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, message: 'expected a request body to be a TokenReview' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'expected a request body to be a TokenReview' };
  }
  const object = value as Record<string, unknown>;
  const { apiVersion, kind, spec } = object;
  if (apiVersion !== undefined || kind !== undefined) {
    if (kind !== 'TokenReview') {
      return {
        ok: false,
        message: `expected kind "TokenReview", received ${shown(kind)}`,
      };
    }
    if (
      typeof apiVersion !== 'string' ||
      !(TOKEN_REVIEW_API_VERSIONS as readonly string[]).includes(apiVersion)
    ) {
      return {
        ok: false,
        message: `expected apiVersion ${TOKEN_REVIEW_API_VERSIONS.join(' or ')}, received ${shown(apiVersion)}`,
      };
    }
  }
  if (spec !== undefined && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) {
    return { ok: false, message: 'expected spec to be an object' };
  }
  const token = spec === undefined ? undefined : (spec as Record<string, unknown>)['token'];
  if (token !== undefined && typeof token !== 'string') {
    return { ok: false, message: 'expected spec.token to be a string' };
  }
  return {
    ok: true,
    review:
      typeof apiVersion === 'string'
        ? { apiVersion: apiVersion as TokenReviewApiVersion, token: token ?? '' }
        : { token: token ?? '' },
  };
}

function typeMeta(apiVersion: TokenReviewApiVersion | undefined): string {
  return apiVersion === undefined ? '' : `"apiVersion":${JSON.stringify(apiVersion)},"kind":"TokenReview",`;
}

/** Success body (DESIGN: echo TypeMeta; user as the reference §3.3 emits it). */
export function tokenReviewAllowed(
  apiVersion: TokenReviewApiVersion | undefined,
  user: ReviewedUser,
): string {
  const userJson: Record<string, unknown> = { username: user.username, uid: user.uid };
  if (user.groups.length > 0) userJson['groups'] = user.groups;
  if (user.extra !== undefined) userJson['extra'] = user.extra;
  return `{${typeMeta(apiVersion)}"metadata":{},"spec":{},"status":{"authenticated":true,"user":${JSON.stringify(userJson)}}}`;
}

/** Denial body: `authenticated:false` and the stable reason code, never the token or the URL. */
export function tokenReviewDenied(apiVersion: TokenReviewApiVersion | undefined, reason: string): string {
  return `{${typeMeta(apiVersion)}"metadata":{},"spec":{},"status":{"authenticated":false,"user":{},"error":${JSON.stringify(reason)}}}`;
}
