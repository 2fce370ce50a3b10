import { pinoLineToText, textLine } from './log-text.js';

describe('textLine', () => {
  it('writes time, level and msg first, then the fields; strings quoted, others as JSON, undefined left out', () => {
    expect(
      textLine('2026-12-06T16:00:00.000Z', 'info', 'access granted', {
        username: 'admin',
        groups: ['system:masters'],
        latencyMs: 0.25,
        client: undefined,
      }),
    ).toBe(
      'time="2026-12-06T16:00:00.000Z" level=info msg="access granted" username="admin" groups=["system:masters"] latencyMs=0.25\n',
    );
  });

  it('escapes quotes and newlines, so one entry stays one line', () => {
    expect(textLine('t', 'warning', 'a "b"\nc', { detail: 'x\ny' })).toBe(
      'time="t" level=warning msg="a \\"b\\"\\nc" detail="x\\ny"\n',
    );
  });

  it('cuts strings at maxChars when asked (the token command), not otherwise', () => {
    const long = 'x'.repeat(300);
    expect(textLine('t', 'info', 'm', { detail: long }, 200)).toContain(`detail="${'x'.repeat(197)}…"`);
    expect(textLine('t', 'info', 'm', { detail: long })).toContain(`detail="${long}"`);
  });
});

describe('pinoLineToText', () => {
  it.each([
    [10, 'trace'],
    [20, 'debug'],
    [30, 'info'],
    [40, 'warning'],
    [50, 'error'],
    [60, 'fatal'],
  ])('names pino level %i as logrus %s and the epoch time as ISO-8601', (level, name) => {
    const json = `${JSON.stringify({ level, time: Date.UTC(2026, 11, 6, 16), component: 'iam-authenticator', reason: 'token_expired', msg: 'access denied' })}\n`;
    expect(pinoLineToText(json)).toBe(
      `time="2026-12-06T16:00:00.000Z" level=${name} msg="access denied" component="iam-authenticator" reason="token_expired"\n`,
    );
  });

  it('passes on a line that is not JSON as it was written', () => {
    expect(pinoLineToText('not json\n')).toBe('not json\n');
  });
});
