import { AuthError, REASONS, clip, isAuthError, isReason, quote } from './errors.js';

describe('AuthError', () => {
  it('carries a stable reason with its http status and exit code from the one table', () => {
    const error = new AuthError('sts_throttled', 'sts throttled the call');
    expect(error.reason).toBe('sts_throttled');
    expect(error.httpStatus).toBe(429);
    expect(error.exitCode).toBe(REASONS.sts_throttled.exit);
  });
  it('cuts messages to 200 characters', () => {
    expect(new AuthError('internal_error', 'x'.repeat(500)).message).toHaveLength(200);
    expect(clip('short')).toBe('short');
  });
  it('knows its reasons and nothing else', () => {
    expect(isReason('identity_unmapped')).toBe(true);
    expect(isReason('toString')).toBe(false);
  });
  it('quotes values and cuts long ones', () => {
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('y'.repeat(100)).length).toBeLessThanOrEqual(60);
  });
  it('uses snake_case reason codes only', () => {
    for (const reason of Object.keys(REASONS)) expect(reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});

describe('AuthError across module copies', () => {
  it('is recognised by a brand, not by class identity', () => {
    // What a second bundled copy of this module would build: another class with the same brand.
    const brand = Symbol.for('@iam-authenticator/core.AuthError');
    class CopiedAuthError extends Error {}
    Object.defineProperty(CopiedAuthError.prototype, brand, { value: true });
    const foreign = new CopiedAuthError('from another copy');
    expect(foreign instanceof AuthError).toBe(true);
    expect(isAuthError(foreign)).toBe(true);
    expect(new Error('plain') instanceof AuthError).toBe(false);
    expect(isAuthError({ reason: 'internal_error' })).toBe(false);
    expect(isAuthError(null)).toBe(false);
    expect(new AuthError('internal_error', 'x') instanceof Error).toBe(true);
  });
});
