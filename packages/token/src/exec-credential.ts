import { AuthError, quote } from '@iam-authenticator/core';

export const EXEC_API_V1 = 'client.authentication.k8s.io/v1';
export const EXEC_API_V1BETA1 = 'client.authentication.k8s.io/v1beta1';
export const EXEC_API_V1ALPHA1 = 'client.authentication.k8s.io/v1alpha1';

export interface ExecApiNegotiation {
  /** apiVersion to answer with; kubectl rejects any other than the one it asked for. */
  apiVersion: string;
  /** `spec.interactive` of the request: whether kubectl passed its terminal on. */
  interactive: boolean;
  /** One line for stderr when the request was odd but could be answered. */
  warning?: string;
}

const DEFAULT_ANSWER = EXEC_API_V1BETA1;
const KNOWN_VERSIONS: readonly string[] = [EXEC_API_V1, EXEC_API_V1BETA1, EXEC_API_V1ALPHA1];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads `KUBERNETES_EXEC_INFO` (set by client-go on every run) to pick the ExecCredential apiVersion.
 * Absent or empty: v1beta1, the reference's default. Unreadable: v1beta1 with a warning (as `aws eks
 * get-token`). A version we do not know is an error here, where the reference copied it unchecked and
 * kubectl then failed with a less clear message.
 */
export function negotiateExecApiVersion(execInfo: string | undefined): ExecApiNegotiation {
  if (execInfo === undefined || execInfo.trim() === '') {
    return { apiVersion: DEFAULT_ANSWER, interactive: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(execInfo);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    return {
      apiVersion: DEFAULT_ANSWER,
      interactive: false,
      warning: `KUBERNETES_EXEC_INFO is not a JSON object, answering with ${DEFAULT_ANSWER}; this is likely a bug in the kubernetes client`,
    };
  }
  const spec = parsed['spec'];
  const interactive = isRecord(spec) && spec['interactive'] === true;
  const apiVersion = parsed['apiVersion'];
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    return {
      apiVersion: DEFAULT_ANSWER,
      interactive,
      warning: `KUBERNETES_EXEC_INFO names no apiVersion, answering with ${DEFAULT_ANSWER}`,
    };
  }
  if (!KNOWN_VERSIONS.includes(apiVersion)) {
    throw new AuthError(
      'usage_error',
      `KUBERNETES_EXEC_INFO asks for apiVersion ${quote(apiVersion)}, expected ${EXEC_API_V1} or ${EXEC_API_V1BETA1}`,
    );
  }
  if (apiVersion === EXEC_API_V1ALPHA1) {
    return {
      apiVersion,
      interactive,
      warning: `the kubeconfig user entry uses the deprecated ${EXEC_API_V1ALPHA1}; set ${EXEC_API_V1BETA1} or ${EXEC_API_V1} in its exec section`,
    };
  }
  return { apiVersion, interactive };
}

/** metav1.Time's JSON form: UTC RFC 3339 with whole seconds (fractions are dropped, not rounded). */
export function formatExpirationTimestamp(expiration: Date): string {
  const ms = expiration.getTime();
  if (!Number.isFinite(ms)) {
    throw new AuthError('internal_error', 'the token expiration is not a valid date');
  }
  const iso = expiration.toISOString();
  // Years outside 0000..9999 give the extended `+YYYYYY` form, which RFC 3339 does not allow.
  if (!/^\d{4}-/.test(iso)) {
    throw new AuthError('internal_error', `the token expiration ${quote(iso)} is outside years 0000..9999`);
  }
  return `${iso.slice(0, 19)}Z`;
}

export interface ExecCredentialOptions {
  /** From `negotiateExecApiVersion`. */
  apiVersion: string;
  token: string;
  expiration: Date;
}

/**
 * The ExecCredential printed on stdout: compact JSON in the reference's field order, then a newline
 * (token-and-webhook.md §1.7). The same shape serves v1, v1beta1 and v1alpha1.
 */
export function formatExecCredential(options: ExecCredentialOptions): string {
  const credential = {
    kind: 'ExecCredential',
    apiVersion: options.apiVersion,
    // Always false, as the reference prints it (clients ignore it; the request's own value is not echoed).
    spec: { interactive: false },
    status: {
      expirationTimestamp: formatExpirationTimestamp(options.expiration),
      token: options.token,
    },
  };
  return `${JSON.stringify(credential)}\n`;
}
