import { AuthError, quote } from '@iam-authenticator/core';

/**
 * The root `-c/--config` file (reference: viper, any format; YAML covers JSON too). Keys are matched
 * case-insensitively as viper does, so the map is keyed by lower-cased names. `yaml` is imported only
 * here, so a token run without `-c` never loads it; nor node:fs/promises, which loads a third of
 * Node's stream and readline code (measurable on every kubectl call).
 */
export async function readConfigFile(path: string): Promise<ReadonlyMap<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AuthError(
      'config_invalid',
      `cannot read config file ${quote(path)}: ${typeof code === 'string' ? code : 'read failed'}`,
    );
  }
  const { parseYaml } = await import('./yaml-text.js');
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    throw new AuthError('config_invalid', `config file ${quote(path)} is not YAML or JSON: ${message}`);
  }
  if (document === null || document === undefined) return new Map();
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new AuthError(
      'config_invalid',
      `config file ${quote(path)}: expected a mapping of keys, received ${Array.isArray(document) ? 'a list' : typeof document}`,
    );
  }
  const keys = new Map<string, unknown>();
  for (const [key, value] of Object.entries(document)) keys.set(key.toLowerCase(), value);
  return keys;
}

export function configString(
  config: ReadonlyMap<string, unknown>,
  key: string,
  path: string,
): string | undefined {
  const value = config.get(key.toLowerCase());
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new AuthError(
    'config_invalid',
    `config file ${quote(path)}: ${key} must be a string, received ${typeof value}`,
  );
}

export function configBoolean(
  config: ReadonlyMap<string, unknown>,
  key: string,
  path: string,
): boolean | undefined {
  const value = config.get(key.toLowerCase());
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new AuthError(
    'config_invalid',
    `config file ${quote(path)}: ${key} must be true or false, received ${quote(value)}`,
  );
}
