import { createInterface } from 'node:readline';
import type { TextSink } from '../io.js';
import { AuthError, isAuthError, quote } from '@iam-authenticator/core';
import type { AwsCredentials } from '@iam-authenticator/token';
import { CREDENTIAL_SOURCES, classifyAwsError } from './aws-errors.js';

export const MFA_PROMPT = 'Assume Role MFA token code: ';

export interface BaseCredentialsOptions {
  /** Profile to use when one was named (AWS_PROFILE, AWS_DEFAULT_PROFILE, --profile). */
  profile: string | undefined;
  /** Keys in the environment win over a profile named by AWS_PROFILE (not over `--profile`). */
  envFirst?: boolean;
  /** Region for the STS/SSO calls the chain itself makes (profile assume-role, web identity). */
  region: string;
  /** Whether a person can answer the MFA prompt (kubectl's interactive mode, else stdin is a TTY). */
  interactive: boolean;
  stdin: NodeJS.ReadableStream;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The chain's first link (the SDK's fromEnv) without loading the SDK: the keys in the environment,
 * used only when no profile was named, exactly as the SDK does.
 */
function envCredentials(env: Readonly<Record<string, string | undefined>>): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (
    accessKeyId === undefined ||
    accessKeyId === '' ||
    secretAccessKey === undefined ||
    secretAccessKey === ''
  ) {
    return undefined;
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  const expires = expiration === undefined || expiration === '' ? undefined : new Date(expiration);
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: sessionToken === undefined || sessionToken === '' ? undefined : sessionToken,
    expiration: expires === undefined || Number.isNaN(expires.getTime()) ? undefined : expires,
  };
}

/**
 * The AWS SDK v3 default chain (env, shared files with SSO/credential_process/assume-role, web identity,
 * container, IMDS), imported on first use so a token-cache hit never loads it.
 */
export async function loadBaseCredentials(options: BaseCredentialsOptions): Promise<AwsCredentials> {
  const fromEnv =
    options.profile === undefined || options.envFirst === true ? envCredentials(options.env) : undefined;
  if (fromEnv !== undefined) return fromEnv;
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const provider = fromNodeProviderChain({
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    // Silent, as the SDK's default logger: without one it would print a 9-line warning on stderr when
    // keys and a profile are both set, a case our chain rule covers (keys win over AWS_PROFILE, a
    // --profile flag wins over keys; README).
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    clientConfig: { region: options.region },
    mfaCodeProvider: (serial: string) => promptMfaCode(serial, options),
  });
  try {
    const identity = await provider();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken,
      expiration: identity.expiration,
    };
  } catch (error) {
    throw classifyChainError(error, options.profile);
  }
}

function classifyChainError(error: unknown, profile: string | undefined): AuthError {
  if (isAuthError(error)) return error;
  const message = error instanceof Error ? error.message : '';
  const name = error instanceof Error ? error.name : '';
  if (/could not load credentials from any providers/i.test(message)) {
    // With a profile named, only that profile was tried (the SDK hides why it failed, e.g. a
    // credential_process that exited non-zero): name it and how to see the reason.
    if (profile !== undefined) {
      return new AuthError(
        'credentials_not_found',
        `aws profile ${quote(profile)} gave no credentials (its keys, sso, credential_process or role_arn failed or are missing); aws sts get-caller-identity --profile ${profile} shows why`,
        { cause: error },
      );
    }
    return new AuthError('credentials_not_found', `no AWS credentials found; tried ${CREDENTIAL_SOURCES}`, {
      cause: error,
    });
  }
  if (/could not resolve credentials using profile/i.test(message)) {
    return new AuthError(
      'credentials_not_found',
      `aws profile ${quote(profile ?? 'default')} has no usable credentials (keys, sso, credential_process, role_arn or web identity)`,
      { cause: error },
    );
  }
  if (name === 'CredentialsProviderError' && !/sso|expired/i.test(message)) {
    return new AuthError(
      'credentials_not_found',
      `aws credentials could not be loaded: ${message.split('\n')[0] ?? ''}`,
      { cause: error },
    );
  }
  return classifyAwsError(error, 'loading AWS credentials');
}

/**
 * The reference's StdinStderrTokenProvider: prompt on stderr, one line from the terminal. Without a
 * terminal nobody can answer, so it fails at once instead of hanging kubectl.
 */
async function promptMfaCode(serial: string, options: BaseCredentialsOptions): Promise<string> {
  if (!options.interactive) {
    throw new AuthError(
      'mfa_required',
      `the AWS profile needs an MFA code for ${quote(serial, 100)} but no terminal is attached: run the command in a terminal (kubectl interactiveMode IfAvailable) or use cached credentials`,
    );
  }
  options.stderr.write(MFA_PROMPT);
  const lines = createInterface({ input: options.stdin, terminal: false });
  try {
    for await (const line of lines) return line.trim();
  } finally {
    lines.close();
  }
  throw new AuthError('mfa_required', 'no MFA code was entered (the terminal closed)');
}
