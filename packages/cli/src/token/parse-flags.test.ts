import { AuthError } from '@iam-authenticator/core';
import { goBooleans, parseFlags } from './parse-flags.js';
import type { FlagSpec } from './parse-flags.js';

const OPTIONS: FlagSpec = {
  'token-only': { type: 'boolean' },
  'cluster-id': { type: 'string', short: 'i' },
};

describe('goBooleans / parseFlags: the reference flag library takes --flag=true|false for booleans', () => {
  it.each([
    [['--token-only=true'], true],
    [['--token-only=1'], true],
    [['--token-only=T'], true],
    [['--token-only=True'], true],
    [['--token-only=false'], false],
    [['--token-only=0'], false],
    [['--token-only=F'], false],
    [['--token-only'], true],
    [[], undefined],
    [['--token-only', '--token-only=false'], false],
    [['--token-only=false', '--token-only'], true],
  ])('%j → %s', (args, expected) => {
    expect(parseFlags(['-i', 'c', ...args], OPTIONS, 'token')['token-only']).toBe(expected);
  });

  it('reads -i=VALUE as pflag does (the value, not "=VALUE")', () => {
    expect(parseFlags(['-i=c'], OPTIONS, 'token')['cluster-id']).toBe('c');
    expect(parseFlags(['-i=a=b'], OPTIONS, 'token')['cluster-id']).toBe('a=b');
    expect(parseFlags(['-i', '=c'], OPTIONS, 'token')['cluster-id']).toBe('=c');
    expect(() => parseFlags(['-x=c'], OPTIONS, 'token')).toThrow(AuthError);
  });

  it('leaves values Go would refuse, and string flags, to parseArgs', () => {
    expect(() => parseFlags(['--token-only=yes'], OPTIONS, 'token')).toThrow(AuthError);
    expect(() => parseFlags(['--token-only=constructor'], OPTIONS, 'token')).toThrow(
      'token: flag "--token-only" takes no value',
    );
    expect(parseFlags(['--cluster-id=true'], OPTIONS, 'token')['cluster-id']).toBe('true');
    expect(goBooleans(['--cluster-id=false', '--', '--token-only=true'], OPTIONS)).toEqual({
      args: ['--cluster-id=false', '--', '--token-only=true'],
      values: {},
    });
  });
});
