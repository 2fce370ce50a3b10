import { AuthError } from '@iam-authenticator/core';
import { buildIdentity } from '@iam-authenticator/token';
import type { CallerIdentity, ValidatedToken } from '@iam-authenticator/token';
import { IdentityInterner } from './identity-interner.js';

const caller: CallerIdentity = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
  account: '111122223333',
  userId: 'AROAEXAMPLE:alice',
};
const validated: ValidatedToken = {
  presignedUrl: 'https://sts.us-east-1.amazonaws.com/?not-read',
  host: 'sts.us-east-1.amazonaws.com',
  accessKeyId: 'ASIAEXAMPLE0000001',
  signingRegion: 'us-east-1',
  signedAt: new Date('2026-12-06T00:00:00Z'),
  expiresAt: new Date('2026-12-06T00:15:00Z'),
  sessionTokenPresent: true,
};

describe('IdentityInterner', () => {
  it('builds the identity once and hands back that object for the same inputs', () => {
    const interner = new IdentityInterner(10);
    const first = interner.identityOf({ ...caller }, { ...validated });
    expect(first).toEqual(buildIdentity(caller, validated));
    const later = { ...validated, signedAt: new Date(), presignedUrl: 'https://other/?x' };
    expect(interner.identityOf({ ...caller }, later)).toBe(first);
    expect(interner.size).toBe(1);
  });

  it('gives its own identity to inputs that differ in any one field buildIdentity reads', () => {
    const interner = new IdentityInterner(100);
    const first = interner.identityOf(caller, validated);
    const variants: [CallerIdentity, ValidatedToken][] = [
      [{ ...caller, arn: 'arn:aws:sts::111122223333:assumed-role/Ops/alice' }, validated],
      [{ ...caller, userId: 'AROAEXAMPLE:bob' }, validated],
      [
        { ...caller, arn: 'arn:aws:sts::444455556666:assumed-role/Dev/alice', account: '444455556666' },
        validated,
      ],
      [caller, { ...validated, accessKeyId: 'ASIAEXAMPLE0000002' }],
      [caller, { ...validated, host: 'sts.eu-west-1.amazonaws.com' }],
    ];
    for (const [c, v] of variants) {
      const identity = interner.identityOf(c, v);
      expect(identity).not.toBe(first);
      expect(identity).toEqual(buildIdentity(c, v));
    }
  });

  it('never merges inputs whose joined text is the same', () => {
    const interner = new IdentityInterner(10);
    const a = interner.identityOf(caller, { ...validated, accessKeyId: 'A\0B', host: 'h' });
    const b = interner.identityOf(caller, { ...validated, accessKeyId: 'A', host: 'B\0h' });
    expect(b).not.toBe(a);
    expect(b.stsEndpoint).toBe('B\0h');
  });

  it('keeps nothing for an answer that names no valid identity', () => {
    const interner = new IdentityInterner(10);
    const wrongAccount = { ...caller, account: '444455556666' };
    for (let i = 0; i < 2; i++) {
      expect(() => interner.identityOf(wrongAccount, validated)).toThrow(AuthError);
    }
    expect(interner.size).toBe(0);
  });

  it('holds at most maxEntries identities, dropping the least recently seen', () => {
    const interner = new IdentityInterner(2);
    const session = (name: string): CallerIdentity => ({
      ...caller,
      arn: `arn:aws:sts::111122223333:assumed-role/Dev/${name}`,
      userId: `AROAEXAMPLE:${name}`,
    });
    const one = interner.identityOf(session('one'), validated);
    const two = interner.identityOf(session('two'), validated);
    expect(interner.identityOf(session('one'), validated)).toBe(one); // one is now the most recent
    interner.identityOf(session('three'), validated); // drops two
    expect(interner.size).toBe(2);
    expect(interner.identityOf(session('one'), validated)).toBe(one);
    expect(interner.identityOf(session('two'), validated)).not.toBe(two);
  });
});
