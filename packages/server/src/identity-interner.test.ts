import type { Identity } from '@iam-authenticator/token';
import { IdentityInterner } from './identity-interner.js';

const base: Identity = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
  canonicalArn: 'arn:aws:iam::111122223333:role/Dev',
  accountId: '111122223333',
  userId: 'AROAEXAMPLE',
  sessionName: 'alice',
  accessKeyId: 'ASIAEXAMPLE0000001',
  stsEndpoint: 'sts.us-east-1.amazonaws.com',
  principalId: 'AROAEXAMPLE:alice',
};

describe('IdentityInterner', () => {
  it('hands back the first object for an identity with equal fields', () => {
    const interner = new IdentityInterner(10);
    const first = interner.intern({ ...base });
    expect(interner.intern({ ...base })).toBe(first);
    expect(interner.size).toBe(1);
  });

  it('keeps identities apart that differ in any one field', () => {
    // Every field of Identity: a field added later must be compared too.
    const fields = Object.keys(base).sort();
    expect(fields).toEqual([
      'accessKeyId',
      'accountId',
      'arn',
      'canonicalArn',
      'principalId',
      'sessionName',
      'stsEndpoint',
      'userId',
    ]);
    const interner = new IdentityInterner(100);
    const first = interner.intern({ ...base });
    for (const field of fields) {
      const other = { ...base, [field]: `${base[field as keyof Identity]}x` };
      const interned = interner.intern(other);
      expect(interned).toBe(other);
      expect(interned).not.toBe(first);
    }
  });

  it('never merges field lists whose joined text is the same', () => {
    const interner = new IdentityInterner(10);
    const a = interner.intern({ ...base, arn: 'a\0b', canonicalArn: 'c' });
    const b = interner.intern({ ...base, arn: 'a', canonicalArn: 'b\0c' });
    expect(b).not.toBe(a);
    expect(b.arn).toBe('a');
  });

  it('holds at most maxEntries identities, dropping the least recently seen', () => {
    const interner = new IdentityInterner(2);
    const one = interner.intern({ ...base, sessionName: 'one' });
    const two = interner.intern({ ...base, sessionName: 'two' });
    expect(interner.intern({ ...base, sessionName: 'one' })).toBe(one); // one is now the most recent
    interner.intern({ ...base, sessionName: 'three' }); // drops two
    expect(interner.size).toBe(2);
    expect(interner.intern({ ...base, sessionName: 'one' })).toBe(one);
    const twoAgain = { ...base, sessionName: 'two' };
    expect(interner.intern(twoAgain)).toBe(twoAgain);
    expect(twoAgain).not.toBe(two);
  });
});
