import type { Logger } from '@iam-authenticator/core';
import { endpointFlagsFromEnv, presignCallerIdentity, resolveTokenRegion } from '@iam-authenticator/token';
import type { AwsCredentials } from '@iam-authenticator/token';
import { loadBaseCredentials } from './aws-credentials.js';
import type { BaseCredentialsOptions } from './aws-credentials.js';
import { loadProfileSettings } from './aws-profile.js';
import { credentialCacheFile, withCredentialFileCache } from './credential-file-cache.js';
import { sessionNameFromUserId } from './forwarded-session-name.js';
import { callAssumeRole, callGetCallerIdentity } from './sts-calls.js';
import type { CachedToken } from './token-cache.js';
import type { TokenConfig } from './token-config.js';

export interface MintOptions {
  config: TokenConfig;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
  logger: Logger;
  interactive: boolean;
  stdin: BaseCredentialsOptions['stdin'];
  stderr: BaseCredentialsOptions['stderr'];
}

/**
 * The cache-miss path (reference 1.5): base credentials from the SDK chain (optionally file-cached),
 * optional AssumeRole, then the presigned token. Its expiration is the earlier of the token's 14
 * minutes and the signing credentials' own expiry, so neither kubectl nor our cache keeps a token
 * that dies early.
 */
export async function mintToken(options: MintOptions): Promise<CachedToken> {
  const { config, env, logger } = options;
  const mutableEnv = { ...env };
  const profile = await loadProfileSettings(config.profile, mutableEnv);
  const region = resolveTokenRegion({ flag: config.region, env: mutableEnv, profileRegion: profile.region });
  const endpointFlags = endpointFlagsFromEnv(mutableEnv, profile);
  const stsEndpoint = nonEmpty(env.AWS_ENDPOINT_URL_STS) ?? nonEmpty(env.AWS_ENDPOINT_URL);

  // As the Go SDK's chain (and botocore's): keys in the environment win over AWS_PROFILE; only a
  // profile named by a flag (get-token --profile) goes first.
  const profileFromFlag =
    config.command === 'get-token' &&
    config.profile !== undefined &&
    config.profile !== nonEmpty(env.AWS_PROFILE);
  const loadBase = () =>
    loadBaseCredentials({
      profile: profile.explicit ? profile.name : undefined,
      envFirst: !profileFromFlag,
      region,
      interactive: options.interactive,
      stdin: options.stdin,
      stderr: options.stderr,
      env,
    });
  const base = config.credentialCache
    ? await withCredentialFileCache(
        {
          file: credentialCacheFile(env),
          clusterId: config.clusterId,
          profile: nonEmpty(env.AWS_PROFILE) ?? 'default',
          roleArn: config.roleArn ?? '',
          now: options.now,
          logger,
        },
        loadBase,
      )
    : await loadBase();

  let signing: AwsCredentials = base;
  if (config.roleArn !== undefined) {
    let sessionName = config.sessionName;
    if (config.forwardSessionName) {
      const caller = await callGetCallerIdentity({ credentials: base, region, endpoint: stsEndpoint });
      sessionName = sessionNameFromUserId(caller.userId);
      logger.debug({ forwarded: sessionName !== undefined }, 'forward session name');
    }
    signing = await callAssumeRole({
      credentials: base,
      region,
      endpoint: stsEndpoint,
      roleArn: config.roleArn,
      externalId: config.externalId,
      // The reference leaves the name to SDK v2, which uses aws-go-sdk-<UnixNano>.
      sessionName: sessionName ?? `aws-go-sdk-${options.now().getTime()}000000`,
    });
    logger.debug({ roleArn: config.roleArn }, 'assumed role');
  }

  const presigned = await presignCallerIdentity({
    credentials: signing,
    clusterId: config.clusterId,
    region,
    useFips: endpointFlags.useFips,
    useDualStack: endpointFlags.useDualStack,
    now: options.now,
  });
  logger.debug({ host: presigned.host, region: presigned.signingRegion }, 'token signed');
  const credentialsExpire = signing.expiration?.getTime();
  const expiration =
    credentialsExpire !== undefined && credentialsExpire < presigned.expiration.getTime()
      ? new Date(credentialsExpire)
      : presigned.expiration;
  return { token: presigned.token, expiration };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
