import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** The user's home directory: `$HOME` when set, else the OS's (as the AWS SDK and kubectl find it). */
export function homeOf(env: Env): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

/** The shared AWS config and credentials files: the env variables when set, else under `~/.aws`. */
export function sharedFilePaths(env: Env): { configFilepath: string; filepath: string } {
  const home = homeOf(env);
  return {
    configFilepath: nonEmpty(env.AWS_CONFIG_FILE) ?? join(home, '.aws', 'config'),
    filepath: nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ?? join(home, '.aws', 'credentials'),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
