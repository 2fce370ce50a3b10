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
  it('accepts exactly the payloads that re-encode to themselves, for every last character', () => {
    // The reference rule (decode, re-encode, compare) against our check of the last character's spare bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const stem of ['', 'aHR0', 'aHR0cHM6']) {
      for (const tail of ['A', 'AA', 'AAA', 'aH', 'aHR']) {
        for (const last of alphabet) {
          const payload = `${stem}${tail.slice(0, -1)}${last}`;
          if (payload.length % 4 === 1) continue;
          const canonical = Buffer.from(payload, 'base64url').toString('base64url') === payload;
          const bytes = Buffer.from(payload, 'base64url');
          const utf8 = Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
          const reason = reasonOf(() => decodeToken(TOKEN_PREFIX + payload));
          expect([payload, reason]).toEqual([payload, canonical && utf8 ? 'no error' : 'token_bad_encoding']);
        }
      }
    }
  });
  it('rejects a payload that is not UTF-8 once decoded', () => {
    for (const bytes of [[0xff], [0x68, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const token = TOKEN_PREFIX + Buffer.from(bytes).toString('base64url');
      expect(reasonOf(() => decodeToken(token))).toBe('token_bad_encoding');
    }
    expect(decodeToken(encodeToken('https://é.example/✓'))).toBe('https://é.example/✓');
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
