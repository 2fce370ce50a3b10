import { stat } from 'node:fs/promises';
import { AuthError, quote } from '@iam-authenticator/core';
import { sharedFilePaths } from './aws-paths.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ProfileSettings {
  readonly name: string;
  /** Whether the profile was asked for (AWS_PROFILE, --profile) rather than the implicit `default`. */
  readonly explicit: boolean;
  readonly region: string | undefined;
  readonly use_fips_endpoint: string | undefined;
  readonly use_dualstack_endpoint: string | undefined;
}

/**
 * Reads the active profile from the shared config/credentials files (loaded only on a cache miss).
 * A profile that was asked for by name and exists in neither file is an error here, before the SDK
 * chain would fall through to IMDS and report something vaguer.
 */
export async function loadProfileSettings(profile: string | undefined, env: Env): Promise<ProfileSettings> {
  const name = profile ?? nonEmpty(env.AWS_DEFAULT_PROFILE) ?? 'default';
  const explicit = profile !== undefined || nonEmpty(env.AWS_DEFAULT_PROFILE) !== undefined;
  const paths = sharedFilePaths(env);
  const none = {
    name,
    explicit,
    region: undefined,
    use_fips_endpoint: undefined,
    use_dualstack_endpoint: undefined,
  };
  // No shared files at all (containers, CI with env keys): skip loading the SDK's INI parser.
  if (!explicit && !(await hasContent(paths.configFilepath)) && !(await hasContent(paths.filepath)))
    return none;
  const { loadSharedConfigFiles } = await import('@smithy/shared-ini-file-loader');
  const files = await loadSharedConfigFiles({ ...paths, ignoreCache: true });
  const section = files.configFile[name];
  if (explicit && section === undefined && files.credentialsFile[name] === undefined) {
    throw new AuthError(
      'profile_not_found',
      `aws profile ${quote(name)} not found: expected a [profile ${name}] section in ${quote(paths.configFilepath, 120)} or [${name}] in ${quote(paths.filepath, 120)}`,
    );
  }
  return {
    name,
    explicit,
    region: nonEmpty(section?.region),
    use_fips_endpoint: nonEmpty(section?.use_fips_endpoint),
    use_dualstack_endpoint: nonEmpty(section?.use_dualstack_endpoint),
  };
}

async function hasContent(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && (!info.isFile() || info.size > 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
