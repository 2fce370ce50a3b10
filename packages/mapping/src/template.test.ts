import { isAuthError } from '@iam-authenticator/core';
import type { Ec2DnsResolver } from './ec2-dns-resolver.js';
import { isInstanceId, renderMapping, substituteTemplate } from './template.js';

const base = { accountId: '123', sessionName: 'jdoe', accessKeyId: '321' };

describe('substituteTemplate (reference TestRenderTemplate vectors)', () => {
  const table: { template: string; sessionName?: string; expected: string }[] = [
    { template: 'a-{{AccountID}}-b', expected: 'a-123-b' },
    { template: 'a-{{AccessKeyID}}-b', expected: 'a-321-b' },
    { template: 'a-{{SessionName}}-b', expected: 'a-jdoe-b' },
    { template: 'a-{{SessionName}}-b', sessionName: 'jdoe@example.com', expected: 'a-jdoe-example.com-b' },
    { template: 'a-{{SessionNameRaw}}-b', sessionName: 'jdoe@example.com', expected: 'a-jdoe@example.com-b' },
    {
      template: 'a-{{AccountID}}-{{SessionName}}-{{SessionNameRaw}}-b',
      sessionName: 'jdoe@example.com',
      expected: 'a-123-jdoe-example.com-jdoe@example.com-b',
    },
    { template: 'a-{{Session}}-{{accountid}}-b', expected: 'a-{{Session}}-{{accountid}}-b' },
    { template: '{{AccountID}}{{AccountID}}', expected: '123123' },
    { template: 'no placeholders', expected: 'no placeholders' },
  ];
  it.each(table)('$template with session $sessionName', ({ template, sessionName, expected }) => {
    expect(
      substituteTemplate(template, { ...base, ...(sessionName === undefined ? {} : { sessionName }) }),
    ).toBe(expected);
  });

  it('keeps the reference order when a value itself holds a placeholder (sequential replacement)', () => {
    expect(substituteTemplate('a-{{SessionName}}-b', { ...base, sessionName: '{{AccessKeyID}}' })).toBe(
      'a-321-b',
    );
    expect(substituteTemplate('a-{{AccessKeyID}}-b', { ...base, accessKeyId: '{{AccountID}}' })).toBe(
      'a-{{AccountID}}-b',
    );
  });

  it('IAM users have no session: session placeholders render empty', () => {
    expect(substituteTemplate('u-{{SessionName}}-{{SessionNameRaw}}', { ...base, sessionName: '' })).toBe(
      'u--',
    );
  });

  it('EC2PrivateDNSName takes the resolved name', () => {
    expect(
      substituteTemplate('n:{{EC2PrivateDNSName}}', { ...base, ec2PrivateDnsName: 'ip-1.ec2.internal' }),
    ).toBe('n:ip-1.ec2.internal');
  });
});

describe('isInstanceId', () => {
  it.each([
    ['i-01234567', true],
    ['i-0123456789abcdef0', true],
    ['i-0123456', false],
    ['i-0123456789', false],
    ['i-0123456789abcdef01', false],
    ['x-01234567', false],
    ['i-0123-567', false],
  ])('%s → %s', (id, ok) => {
    expect(isInstanceId(id)).toBe(ok);
  });
});

describe('renderMapping', () => {
  const resolver = (names: Record<string, string>): Ec2DnsResolver & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      resolve: (id) => {
        asked.push(id);
        const name = names[id];
        return name === undefined
          ? Promise.reject(new Error(`failed to find node ${id}`))
          : Promise.resolve(name);
      },
      close: () => undefined,
    };
  };

  it('looks the DNS name up once for the username and every group', async () => {
    const ec2 = resolver({ 'i-01234567': 'ip-10-1-2-3.ec2.internal' });
    const out = await renderMapping(
      'system:node:{{EC2PrivateDNSName}}',
      ['{{EC2PrivateDNSName}}', 'system:nodes'],
      { ...base, sessionName: 'i-01234567' },
      ec2,
    );
    expect(out).toEqual({
      username: 'system:node:ip-10-1-2-3.ec2.internal',
      groups: ['ip-10-1-2-3.ec2.internal', 'system:nodes'],
    });
    expect(ec2.asked).toEqual(['i-01234567']);
  });

  it('does not call EC2 when no template needs it', async () => {
    const ec2 = resolver({});
    await renderMapping('a', ['b'], { ...base, sessionName: 'i-01234567' }, ec2);
    expect(ec2.asked).toEqual([]);
  });

  const failures: {
    name: string;
    username: string;
    groups: string[];
    session: string;
    ec2?: boolean;
    message: RegExp;
  }[] = [
    {
      name: 'session name is not an instance id (reference vector i-aaaaa)',
      username: 'a-{{EC2PrivateDNSName}}-b',
      groups: [],
      session: 'i-aaaaa',
      ec2: true,
      message:
        /^error rendering username template "a-{{EC2PrivateDNSName}}-b": session name must be an instance id .*received "i-aaaaa"$/,
    },
    {
      name: 'in a group template',
      username: 'u',
      groups: ['g-{{EC2PrivateDNSName}}'],
      session: 'jdoe',
      ec2: true,
      message: /^error rendering group template "g-{{EC2PrivateDNSName}}"/,
    },
    {
      name: 'no resolver configured',
      username: '{{EC2PrivateDNSName}}',
      groups: [],
      session: 'i-01234567',
      message: /no EC2 resolver is configured/,
    },
    {
      name: 'lookup fails',
      username: '{{EC2PrivateDNSName}}',
      groups: [],
      session: 'i-89abcdef',
      ec2: true,
      message: /failed to find node i-89abcdef/,
    },
  ];
  it.each(failures)('$name → mapping_render_failed', async ({ username, groups, session, ec2, message }) => {
    const promise = renderMapping(
      username,
      groups,
      { ...base, sessionName: session },
      ec2 === true ? resolver({}) : undefined,
    );
    const err: unknown = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthError(err) && err.reason).toBe('mapping_render_failed');
    expect((err as Error).message).toMatch(message);
  });
});
