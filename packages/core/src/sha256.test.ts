import { createHash } from 'node:crypto';
import { tokenFingerprint } from './logger.js';
import { sha256Hex } from './sha256.js';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it("equals node:crypto's digest for block edges, long and non-ASCII inputs", () => {
    const inputs = [55, 56, 63, 64, 65, 119, 120, 1500, 4096].map((n) => 'k'.repeat(n));
    inputs.push('é✓ 😀 mixed UTF-8 ' + 'ü'.repeat(70), JSON.stringify({ env: { HOME: '/home/ä' } }));
    for (const input of inputs) {
      expect(sha256Hex(input)).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
    }
  });
  it('gives the log fingerprint: the first 16 hex characters', () => {
    const token = `k8s-aws-v1.${'A'.repeat(900)}`;
    expect(tokenFingerprint(token)).toBe(createHash('sha256').update(token).digest('hex').slice(0, 16));
    expect(tokenFingerprint(token)).toHaveLength(16);
  });
});
