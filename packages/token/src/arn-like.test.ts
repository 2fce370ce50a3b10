import { AuthError } from '@iam-authenticator/core';
import { arnLike, arnLikeSectionPattern } from './arn-like.js';

const ROLE = 'arn:aws:iam::000000000000:role/some-role';
const WACKY = 'arn:aws:testservice::000000000000:some/wacky-new-[resource]{with}\\metacharacters';

describe('arnLike (reference pkg/arn/arnlike_test.go)', () => {
  it.each([
    ['exact', ROLE, ROLE],
    ['account wildcard resource', ROLE, 'arn:aws:iam::000000000000:*'],
    ['all wildcards', ROLE, 'arn:*:*:*:*:*'],
    ['double star', ROLE, 'arn:aws:iam::000000000000:**'],
    ['star around', ROLE, 'arn:aws:iam::000000000000:*role*'],
    ['prefix star', ROLE, 'arn:aws:iam::000000000000:ro*'],
    ['fourteen ?', ROLE, 'arn:aws:iam::000000000000:??????????????'],
    ['metacharacters literal', WACKY, WACKY],
    ['metacharacters with star', WACKY, 'arn:aws:testservice::000000000000:some/wacky-new-[reso*'],
  ])('matches: %s', (_name, arn, pattern) => {
    expect(arnLike(arn, pattern)).toBe(true);
  });

  it.each([
    ['account differs', ROLE, 'arn:aws:iam::000000000001:role/some-role'],
    [
      'colons in the resource are not section delimiters',
      'arn:aws:testservice::000000000000:some/wacky:resource:with:colon:delims',
      'arn:aws:testservice::**:delims',
    ],
    ['fewer than 14 ? cannot cover 15 chars', ROLE + 'x', 'arn:aws:iam::000000000000:??????????????'],
  ])('does not match: %s', (_name, arn, pattern) => {
    expect(arnLike(arn, pattern)).toBe(false);
  });

  it.each([
    ['pattern with too few sections', ROLE, 'arn:*', 'could not parse arnlike pattern'],
    [
      'input with a bad prefix',
      'nar:aws:iam::000000000000:role/x',
      'arn:*:*:*:*:*',
      'could not parse input arn',
    ],
    ['input with five sections', 'arn:aws:iam::000000000000', 'arn:*:*:*:*:*', 'could not parse input arn'],
  ])('rejects %s', (_name, arn, pattern, message) => {
    let caught: unknown;
    try {
      arnLike(arn, pattern);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthError);
    expect((caught as AuthError).reason).toBe('arn_invalid');
    expect((caught as AuthError).message).toContain(message);
  });

  it.each([
    ['**', '.*.*'],
    ['??', '.?.?'],
    ['abd.EFG', 'abd\\.EFG'],
    ['\\.+()|[]{}^$*?', '\\\\\\.\\+\\(\\)\\|\\[\\]\\{\\}\\^\\$.*.?'],
  ])('quotes %s as %s', (section, expected) => {
    expect(arnLikeSectionPattern(section)).toBe(expected);
  });
});
