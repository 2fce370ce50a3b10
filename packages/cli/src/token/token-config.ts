import { AuthError, quote } from '@iam-authenticator/core';
import { configBoolean, configString } from './config-file.js';
import { booleanFlag, oneOf, parseFlags, stringFlag } from './parse-flags.js';
import type { FlagSpec, FlagValues } from './parse-flags.js';
import { validateSessionName } from './session-name.js';
import { parseLogLevel } from './stderr-logger.js';
import type { LogFormat, LogLevel } from './stderr-logger.js';

/** Everything `token`/`get-token` needs, merged once (flag > env > config file > default) and frozen. */
export interface TokenConfig {
  readonly command: 'token' | 'get-token';
  readonly clusterId: string;
  /** `--region` (or the config file's `region`); env and profile regions are resolved later. */
  readonly region: string | undefined;
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
  readonly sessionName: string | undefined;
  readonly forwardSessionName: boolean;
  readonly tokenOnly: boolean;
  /** `--cache`: the reference's file cache of the base credentials (reference 1.6). */
  readonly credentialCache: boolean;
  /** `get-token --profile`, else AWS_PROFILE (AWS_DEFAULT_PROFILE is read by the SDK as a fallback). */
  readonly profile: string | undefined;
  readonly tokenCache: boolean;
  readonly forceRefresh: boolean;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  /** Warnings found while merging (e.g. an unknown log format), printed once the logger exists. */
  readonly warnings: readonly string[];
}

export type ConfigReader = (path: string) => Promise<ReadonlyMap<string, unknown>>;
type Env = Readonly<Record<string, string | undefined>>;

/** The aws-cli sets this fixed name for `eks get-token --role-arn` (reference 5). */
export const GET_TOKEN_SESSION_NAME = 'EKSGetTokenAuth';

const ROOT_FLAGS = {
  config: { type: 'string', short: 'c' },
  'log-format': { type: 'string', short: 'l' },
  'log-verbosity': { type: 'string', short: 'v' },
  'feature-gates': { type: 'string' },
  'no-token-cache': { type: 'boolean' },
  'force-refresh': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const TOKEN_FLAGS = {
  ...ROOT_FLAGS,
  'cluster-id': { type: 'string', short: 'i' },
  'cluster-name': { type: 'string' },
  region: { type: 'string' },
  role: { type: 'string', short: 'r' },
  'role-arn': { type: 'string' },
  'external-id': { type: 'string', short: 'e' },
  'session-name': { type: 'string', short: 's' },
  'forward-session-name': { type: 'boolean' },
  'token-only': { type: 'boolean' },
  cache: { type: 'boolean' },
} as const satisfies FlagSpec;

export const GET_TOKEN_FLAGS = {
  'cluster-name': { type: 'string' },
  'cluster-id': { type: 'string' },
  'role-arn': { type: 'string' },
  // argparse accepts a unique prefix; `update-kubeconfig` writes `--role`.
  role: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  output: { type: 'string' },
  'no-token-cache': { type: 'boolean' },
  'force-refresh': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const TOKEN_USAGE = `usage: iam-authenticator token -i CLUSTER_ID [flags]

  -i, --cluster-id string     cluster ID (also --cluster-name; env KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID)
      --region string         region of the STS endpoint that signs the token
  -r, --role string           role ARN to assume before signing (also --role-arn; env DEFAULT_ROLE)
  -e, --external-id string    external ID for AssumeRole
  -s, --session-name string   session name for AssumeRole
      --forward-session-name  reuse the caller's session name for AssumeRole
      --token-only            print only the token
      --cache                 cache the base AWS credentials on disk
      --no-token-cache        neither read nor write the token cache (env IAM_AUTHENTICATOR_TOKEN_CACHE=off)
      --force-refresh         sign a new token even if a cached one is still valid
  -c, --config string         config file (keys clusterID, region, role, externalID, sessionName, ...)
  -l, --log-format string     text or json (default text)
  -v, --log-verbosity string  panic|fatal|error|warning|info|debug|trace (default info)
`;

export const GET_TOKEN_USAGE = `usage: iam-authenticator get-token (--cluster-name NAME | --cluster-id ID) [flags]

  --cluster-name string   EKS cluster name
  --cluster-id string     EKS cluster ID (Outposts local clusters)
  --role-arn string       role ARN to assume before signing
  --region string         region of the STS endpoint
  --profile string        AWS profile
  --output json           output format (only json)
  --no-token-cache        neither read nor write the token cache
  --force-refresh         sign a new token even if a cached one is still valid
`;

/** Returns undefined when `--help` was asked for. */
export async function resolveTokenConfig(
  args: readonly string[],
  env: Env,
  readConfig: ConfigReader,
): Promise<TokenConfig | undefined> {
  const flags = parseFlags(args, TOKEN_FLAGS, 'token');
  if (flags.help === true) return undefined;
  const configPath = stringFlag(flags, 'config');
  const file = configPath === undefined ? new Map<string, unknown>() : await readConfig(configPath);
  const path = configPath ?? '';
  const str = (flagValue: string | undefined, envName: string | undefined, key: string) =>
    nonEmpty(flagValue) ??
    (envName === undefined ? undefined : nonEmpty(env[envName])) ??
    nonEmpty(configString(file, key, path));
  const bool = (name: string, key: string) =>
    booleanFlag(flags, name) ?? configBoolean(file, key, path) ?? false;

  const clusterId = str(
    oneOf(flags, ['cluster-id', 'cluster-name']),
    'KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID',
    'clusterID',
  );
  if (clusterId === undefined) {
    throw new AuthError(
      'usage_error',
      'cluster ID not specified: expected -i/--cluster-id, KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID or clusterID in the config file',
    );
  }
  const sessionName = str(stringFlag(flags, 'session-name'), undefined, 'sessionName');
  const forwardSessionName = bool('forward-session-name', 'forwardSessionName');
  if (forwardSessionName && sessionName !== undefined) {
    throw new AuthError(
      'usage_error',
      'cannot specify both --forward-session-name and --session-name: give one',
    );
  }
  const common = commonSettings(flags, env);
  return Object.freeze({
    command: 'token',
    clusterId,
    region: str(stringFlag(flags, 'region'), undefined, 'region'),
    roleArn: str(oneOf(flags, ['role', 'role-arn']), 'DEFAULT_ROLE', 'role'),
    externalId: str(stringFlag(flags, 'external-id'), undefined, 'externalID'),
    sessionName: sessionName === undefined ? undefined : validateSessionName(sessionName),
    forwardSessionName,
    tokenOnly: bool('token-only', 'tokenOnly'),
    credentialCache: bool('cache', 'cache'),
    profile: nonEmpty(env.AWS_PROFILE),
    ...common,
    logLevel: parseLogLevel(
      stringFlag(flags, 'log-verbosity') ?? nonEmpty(env.AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY) ?? 'info',
    ),
    ...logFormat(stringFlag(flags, 'log-format')),
  });
}

/** `aws eks get-token` flags (reference 5) on the same machinery. */
export function resolveGetTokenConfig(args: readonly string[], env: Env): TokenConfig | undefined {
  const flags = parseFlags(args, GET_TOKEN_FLAGS, 'get-token');
  if (flags.help === true) return undefined;
  const name = nonEmpty(stringFlag(flags, 'cluster-name'));
  const id = nonEmpty(stringFlag(flags, 'cluster-id'));
  if (name !== undefined && id !== undefined) {
    throw new AuthError('usage_error', 'get-token: --cluster-name and --cluster-id are mutually exclusive');
  }
  const clusterId = name ?? id;
  if (clusterId === undefined) {
    throw new AuthError(
      'usage_error',
      'get-token: either parameter --cluster-name or --cluster-id must be specified',
    );
  }
  const output = stringFlag(flags, 'output');
  if (output !== undefined && output !== 'json') {
    throw new AuthError(
      'usage_error',
      `get-token: --output ${quote(output)} is not supported: expected json (kubectl reads JSON)`,
    );
  }
  const roleArn = nonEmpty(oneOf(flags, ['role-arn', 'role']));
  return Object.freeze({
    command: 'get-token',
    clusterId,
    region: nonEmpty(stringFlag(flags, 'region')),
    roleArn,
    externalId: undefined,
    sessionName: roleArn === undefined ? undefined : GET_TOKEN_SESSION_NAME,
    forwardSessionName: false,
    tokenOnly: false,
    credentialCache: false,
    profile: nonEmpty(stringFlag(flags, 'profile')) ?? nonEmpty(env.AWS_PROFILE),
    ...commonSettings(flags, env),
    logLevel: parseLogLevel(nonEmpty(env.AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY) ?? 'info'),
    logFormat: 'text',
    warnings: [],
  });
}

function commonSettings(flags: FlagValues, env: Env) {
  const cacheEnv = env.IAM_AUTHENTICATOR_TOKEN_CACHE?.toLowerCase();
  const envOff = cacheEnv === 'off' || cacheEnv === 'false' || cacheEnv === '0';
  return {
    tokenCache: flags['no-token-cache'] !== true && !envOff,
    forceRefresh: flags['force-refresh'] === true,
  };
}

function logFormat(value: string | undefined): { logFormat: LogFormat; warnings: string[] } {
  if (value === undefined || value === 'text' || value === 'json') {
    return { logFormat: value ?? 'text', warnings: [] };
  }
  // The reference warns and falls back to text rather than failing.
  return {
    logFormat: 'text',
    warnings: [`unknown log format ${quote(value)}: expected text or json, using text`],
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
