import { isAuthError } from '@iam-authenticator/core';
import { sessionNameFromUserId } from './forwarded-session-name.js';
import { validateSessionName } from './session-name.js';

describe('validateSessionName', () => {
  it.each(['ab', 'alice@example.com', 'a_b+c=d,e.f@g-h', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(validateSessionName(name)).toBe(name);
  });

  it.each(['', 'a', 'x'.repeat(65), 'has space', 'slash/no', 'colon:no', 'ümlaut', 'tab\tno'])(
    'rejects %j with a usage error naming the rule',
    (name) => {
      let caught: unknown;
      try {
        validateSessionName(name);
      } catch (error) {
        caught = error;
      }
      expect(isAuthError(caught) && caught.reason).toBe('usage_error');
      expect((caught as Error).message).toMatch(/invalid --session-name .*expected 2 to 64 characters/);
    },
  );
});

describe('sessionNameFromUserId', () => {
  it.each([
    ['AROAEXAMPLE:alice', 'alice'],
    ['AIDAEXAMPLE', undefined],
    ['AROAEXAMPLE:a:b', undefined],
    ['AROAEXAMPLE:', undefined],
  ])('%s gives %s', (userId, expected) => {
    expect(sessionNameFromUserId(userId)).toBe(expected);
  });
});
