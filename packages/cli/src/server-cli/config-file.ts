import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { AuthError } from '@iam-authenticator/core';

/** Reads a reference config file (viper: YAML or JSON; JSON is YAML). */
export async function readConfigFile(path: string | undefined): Promise<unknown> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `cannot read config file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    return (parse(text) as unknown) ?? {};
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `config file ${JSON.stringify(path)} is not valid YAML: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : ''}`,
    );
  }
}
