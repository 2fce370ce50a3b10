import { AuthError, quote } from '@iam-authenticator/core';
import { canonicalizeArn } from '@iam-authenticator/token';
import type { MappingSet, ParseIssue, ParseResult } from '../model.js';
import type { MappingBackend } from './backend.js';
import { createStaticBackend } from './static-backend.js';

/** A start-up error that names every bad mapping; `issues` holds them all, the message as many as fit. */
export class MappingConfigError extends AuthError {
  readonly issues: readonly ParseIssue[];
  constructor(source: string, issues: readonly ParseIssue[]) {
    const listed = issues.map(formatIssue).join('; ');
    super(
      'config_invalid',
      `${source} has ${issues.length} invalid mapping entr${issues.length === 1 ? 'y' : 'ies'}: ${listed}`,
    );
    this.name = 'MappingConfigError';
    this.issues = issues;
  }
}

/** `mapRoles[2] (line 7): message` */
export function formatIssue(issue: ParseIssue): string {
  const where = issue.index === undefined ? issue.key : `${issue.key}[${issue.index}]`;
  return `${where}${issue.line === undefined ? '' : ` (line ${issue.line})`}: ${issue.message}`;
}

/**
 * MountedFile rules (identity-mapping.md §2.2): every invalid entry, and every ARN that cannot be
 * canonicalised, stops the server. Returns the mappings when all is well; otherwise throws
 * MappingConfigError (reason `config_invalid`) listing every problem. Warnings do not fail.
 */
export function assertMappingsValid(result: ParseResult, source = 'the server config'): MappingSet {
  const problems: ParseIssue[] = result.issues.filter((issue) => issue.severity === 'error');
  // The entry index of a parse issue counts source entries, dropped ones included; the mappings here
  // no longer have the dropped ones, so these issues name the ARN instead of an index.
  const checkArn = (key: 'mapRoles' | 'mapUsers', field: string, arn: string): void => {
    try {
      canonicalizeArn(arn);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      problems.push({
        key,
        severity: 'error',
        message: `${field} ${quote(arn)} cannot be canonicalised: ${detail}`,
      });
    }
  };
  for (const role of result.mappings.mapRoles) {
    if (role.rolearn !== undefined) checkArn('mapRoles', 'rolearn', role.rolearn);
  }
  for (const user of result.mappings.mapUsers) checkArn('mapUsers', 'userarn', user.userarn);
  if (problems.length > 0) throw new MappingConfigError(source, problems);
  return result.mappings;
}

function isParseResult(value: ParseResult | MappingSet): value is ParseResult {
  return 'mappings' in value && 'issues' in value;
}

/**
 * The MountedFile backend: the `server.mapRoles` / `mapUsers` / `mapAccounts` of the config file, read
 * once (no reload). Given a ParseResult, it validates at construction and throws MappingConfigError.
 */
export function createMountedFileBackend(mappings: ParseResult | MappingSet): MappingBackend {
  const set: MappingSet = Object.freeze(isParseResult(mappings) ? assertMappingsValid(mappings) : mappings);
  return createStaticBackend('MountedFile', set, isParseResult(mappings) ? mappings.issues : []);
}
