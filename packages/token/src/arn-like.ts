import { AuthError, quote } from '@iam-authenticator/core';
import { parseArn } from './arn.js';
import type { ParsedArn } from './arn.js';

/**
 * IAM-policy-style `ArnLike` (reference §2.7 `arnlike.go`): each of the six sections of `pattern` must
 * match the same section of `arn` in full, `*` matching any run of characters and `?` at most one.
 * Both must be ARNs (`AuthError('arn_invalid')` otherwise).
 */
export function arnLike(arn: string, pattern: string): boolean {
  const input = parseSections(arn, 'input arn');
  const wanted = parseSections(pattern, 'arnlike pattern');
  return SECTION_KEYS.every((key) => compileSection(wanted[key]).test(input[key]));
}

const SECTION_KEYS = ['partition', 'service', 'region', 'accountId', 'resource'] as const;

function parseSections(value: string, what: string): ParsedArn {
  try {
    return parseArn(value);
  } catch (error) {
    throw new AuthError('arn_invalid', `could not parse ${what} ${quote(value)}`, { cause: error });
  }
}

/** Wildcards to a regular expression; `\.+()|[]{}^$` match literally. `?` is `.?` as in the reference. */
export function arnLikeSectionPattern(section: string): string {
  let out = '';
  for (const char of section) {
    if (char === '*') out += '.*';
    else if (char === '?') out += '.?';
    else if ('\\.+()|[]{}^$'.includes(char)) out += `\\${char}`;
    else out += char;
  }
  return out;
}

function compileSection(section: string): RegExp {
  return new RegExp(`^${arnLikeSectionPattern(section)}$`);
}
