import { MAX_TOKEN_BYTES, TOKEN_PREFIX, decodeToken, encodeToken } from './token-format.js';
import { reasonOf } from './reason-of.test-support.js';

const URL_TEXT = 'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15';

describe('token format', () => {
  it('round-trips and uses the unpadded URL alphabet', () => {
    const token = encodeToken(`${URL_TEXT}&x=??>>`);
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.slice(TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeToken(token)).toBe(`${URL_TEXT}&x=??>>`);
  });
  it.each([
    ['wrong prefix', 'k8s-aws-v2.' + Buffer.from(URL_TEXT).toString('base64url'), 'token_bad_prefix'],
    ['padding', encodeToken('ab') + '==', 'token_bad_encoding'],
    ['standard alphabet', TOKEN_PREFIX + Buffer.from('??>>??').toString('base64'), 'token_bad_encoding'],
    ['newline inside', TOKEN_PREFIX + 'aHR0\ncHM6', 'token_bad_encoding'],
    ['empty payload', TOKEN_PREFIX, 'token_bad_encoding'],
    ['impossible length', TOKEN_PREFIX + 'aHR0c', 'token_bad_encoding'],
    ['non-canonical tail bits', TOKEN_PREFIX + 'QR', 'token_bad_encoding'],
    ['too long', TOKEN_PREFIX + 'A'.repeat(MAX_TOKEN_BYTES), 'token_too_long'],
  ])('rejects %s', (_name, token, reason) => {
    expect(reasonOf(() => decodeToken(token))).toBe(reason);
  });
  it('never quotes the token in its errors', () => {
    const secret = 'k8s-aws-v1.' + 'Zm9vYmFy'.repeat(4) + '=';
    let message = 'no error';
    try {
      decodeToken(secret);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/base64url/);
    expect(message).not.toContain('Zm9vYmFy');
  });
});
