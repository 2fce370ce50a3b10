import type { MapKey, ParseIssue, ParseResult } from './model.js';
import { decodeAccounts, decodeRoles, decodeUsers } from './parse-entries.js';
import type { KeyDecodeResult } from './parse-entries.js';
import { fromValue } from './parse-node.js';

/**
 * Reads the `server.mapRoles` / `mapUsers` / `mapAccounts` values of the server config file
 * (MountedFile, identity-mapping.md §2.2), already parsed from YAML by the config loader, through the
 * same model and validation as aws-auth. Numbers are taken as text (the reference's viper is weakly
 * typed); an account id that lost its leading zeros that way is flagged. Lines are not known here.
 */
export function parseMappingsConfig(value: {
  mapRoles?: unknown;
  mapUsers?: unknown;
  mapAccounts?: unknown;
}): ParseResult {
  const issues: ParseIssue[] = [];
  const failedKeys: MapKey[] = [];
  const take = <T>(
    key: MapKey,
    raw: unknown,
    decode: typeof decodeRoles | typeof decodeUsers | typeof decodeAccounts,
  ): T[] => {
    if (raw === undefined || raw === null) return [];
    const result = decode(fromValue(raw), 'config') as KeyDecodeResult<T>;
    issues.push(...result.issues);
    if (result.failed) failedKeys.push(key);
    return result.entries;
  };
  return {
    mappings: {
      mapRoles: take('mapRoles', value.mapRoles, decodeRoles),
      mapUsers: take('mapUsers', value.mapUsers, decodeUsers),
      mapAccounts: take('mapAccounts', value.mapAccounts, decodeAccounts),
    },
    issues,
    failedKeys,
  };
}
