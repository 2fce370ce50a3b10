import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import type { MapKey } from './model.js';
import { parseAwsAuth, parseAwsAuthData } from './parse-aws-auth.js';
import { decodeAccounts, decodeRoles, decodeUsers } from './parse-entries.js';
import { fastParseYaml } from './parse-fast-yaml.js';

const DECODERS = { mapRoles: decodeRoles, mapUsers: decodeUsers, mapAccounts: decodeAccounts } as const;

/** Whether parseAwsAuth reads this key's text with js-yaml (clean input) rather than the `yaml` package. */
function takesFastPath(key: MapKey, text: string): boolean {
  const node = fastParseYaml(text);
  if (node === undefined) return false;
  const result = DECODERS[key](node, 'yaml');
  return result.issues.length === 0 && !result.failed;
}

/** The fast path on and off must give the same ParseResult: entries, issues (with lines) and failed keys. */
function expectSame(data: Record<string, string>): void {
  expect({ data, result: parseAwsAuth(data) }).toStrictEqual({
    data,
    result: parseAwsAuthData(data, false),
  });
}

const FIXTURES = new URL('../testdata/aws-auth/', import.meta.url);

describe('the js-yaml fast path of parseAwsAuth agrees with the yaml package', () => {
  it('gives the same result on every reference fixture, and reads the clean ones with js-yaml', () => {
    let fast = 0;
    let total = 0;
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))) {
      const manifest = parseYaml(readFileSync(new URL(file, FIXTURES), 'utf8')) as {
        data: Record<string, unknown>;
      };
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(manifest.data)) {
        if (typeof value !== 'string') continue;
        data[key] = value;
        total += 1;
        if (key in DECODERS && takesFastPath(key as MapKey, value)) fast += 1;
      }
      expectSame(data);
    }
    expect(total).toBe(20);
    expect(fast).toBe(FIXTURE_FAST_COUNT);
  });

  const fastCases: [MapKey, string][] = [
    ['mapRoles', '- rolearn: arn:aws:iam::1:role/x\n  username: a\n  groups:\n  - g1\n  - g2\n'],
    ['mapRoles', '- rolearn: arn:aws:iam::1:role/x\n  username: a\n  groups:\n      - g1\n      - g2\n'],
    ['mapRoles', '  - rolearn: x\n    groups: [a, "b", \'c\']\n  - rolearn: z\n    groups: []\n'],
    [
      'mapRoles',
      '# c\n\n- "rolearn": "arn:aws:iam::1:role/x"\n  "username": "system:node:{{EC2PrivateDNSName}}"\n',
    ],
    ['mapRoles', '- sso:\n    permissionSetName: Admin\n    accountID: "111122223333"\n  username: a\n'],
    ['mapRoles', '- rolearn: x\n  username:\n  groups:\n- rolearn: z\n'],
    ['mapRoles', '- rolearn: x # trailing comment\n  username: "a\\"b"\n'],
    ['mapRoles', '- rolearn: &a x\n  username: *a\n'],
    ['mapRoles', '- rolearn: x\r\n  username: a\r\n'],
    ['mapRoles', '- rolearn: x\n  username: ~\n  groups: null\n'],
    ['mapUsers', '- userarn: arn:aws:iam::1:user/u\n  username: u\n  groups: [system:masters]\n'],
    ['mapAccounts', '- 555555555555\n- "012345678901"\n- 012345678901\n'],
  ];
  it.each(fastCases)('%s %j: js-yaml, same result', (key, text) => {
    expect(takesFastPath(key, text)).toBe(true);
    expectSame({ [key]: text });
  });

  const fullPathCases: [MapKey, string][] = [
    ['mapRoles', '- rolearn: x\n  username: {{SessionName}}\n'],
    ['mapRoles', '- rolearn: x\n  username: yes\n'],
    ['mapRoles', '- rolearn: x\n  username: 12345\n'],
    ['mapRoles', '- rolearn: x\n  username: 2001-12-14\n'],
    ['mapRoles', '- rolearn: x\n  username: 1.5\n'],
    ['mapRoles', '- rolearn: x\n  groups:\n    - a\n     - b\n'],
    ['mapRoles', '- rolearn: x\n---\n- rolearn: y\n'],
    ['mapRoles', '- rolearn: x\n  rolearn: y\n'],
    ['mapRoles', '- rolearn: x\n  roleARN: y\n'],
    ['mapRoles', '- rolearn: x\n\tusername: a\n'],
    ['mapRoles', '%YAML 1.2\n---\n- rolearn: x\n  username: 0o12\n'],
    ['mapRoles', '- [rolearn]: x\n'],
    ['mapRoles', '- ? [rolearn]\n  : x\n'],
    ['mapRoles', '- rolearn: x\n  <<: {username: a}\n'],
    ['mapRoles', 'rolearn: x\n'],
    ['mapRoles', '- rolearn: y\n- rolearn: y\n'],
    ['mapRoles', '- rolearn: x\n username: a\n'],
    ['mapRoles', '- rolearn: x\n  on: a\n'],
    ['mapRoles', '- rolearn: "x\n'],
    ['mapRoles', '- rolearn: x\n  username: !!int 1\n'],
    ['mapRoles', '- sso:\n    permissionSetName: Admin\n    accountID: 111122223333\n'],
    ['mapRoles', '- &a [*a]\n'],
    ['mapRoles', '- &a\n  rolearn: x\n  groups: *a\n'],
    ['mapRoles', '- &a {rolearn: x, groups: [*a]}\n'],
    ['mapAccounts', '- 0123\n- 555555555555\n'],
    ['mapAccounts', '- 0x1F\n'],
    ['mapAccounts', '- \n- 555555555555\n'],
    ['mapAccounts', '- 5555_5555_5555\n'],
  ];
  it.each(fullPathCases)('%s %j: the yaml package, same result', (key, text) => {
    expect(takesFastPath(key, text)).toBe(false);
    expectSame({ [key]: text });
  });

  it('keeps leading zeros of unquoted account ids on the fast path', () => {
    const data = { mapAccounts: '- 012345678901\n- "000000000001"\n' };
    expect(takesFastPath('mapAccounts', data.mapAccounts)).toBe(true);
    expect(parseAwsAuth(data).mappings.mapAccounts).toStrictEqual(['012345678901', '000000000001']);
  });

  it('property: on generated aws-auth-like text both paths give the same result', () => {
    const safe = fc.constantFrom(
      'arn:aws:iam::111122223333:role/x',
      'system:node:{{EC2PrivateDNSName}}',
      'x{{SessionName}}',
      '"quoted value"',
      "'single'",
      '""',
      'a b',
      'a:b',
      'a - b',
      '[a, b]',
      '[]',
      '/path',
      '_x',
      '',
    );
    const tricky = fc.constantFrom(
      'yes',
      'No',
      'on',
      '~',
      'null',
      '0123',
      '555555555555',
      '012345678901',
      '12.5',
      '1e3',
      '0x1F',
      '1_000',
      '1:30',
      '2001-12-14',
      '<<',
      'a: b',
      'a #b',
      'a#b',
      '{{SessionName}}',
      '{a: b}',
      '[a,b ,c]',
      '[[a]]',
      '- x',
      '.inf',
      'ends:',
      '"a\\nb"',
      '"a\\x41\\u00e9"',
      '"a\\qb"',
      "'it''s'",
      '&anchor v',
      '*anchor',
      '!!str 12',
      '!tag v',
      '? x',
      '|',
      '>-',
      '"multi',
      'line"',
    );
    const scalar = fc.oneof({ arbitrary: safe, weight: 12 }, { arbitrary: tricky, weight: 1 });
    const oddKey = fc.constantFrom('roleARN', '"rolearn"', 'yes', 'sso', 'a b', '[rolearn]', '1', 'rolearn');
    const indent = fc.integer({ min: 0, max: 5 }).map((n) => ' '.repeat(n));
    const groupBlock = fc.tuple(
      fc.oneof({ arbitrary: indent, weight: 1 }, { arbitrary: fc.constant(''), weight: 3 }),
      fc.array(
        fc.tuple(
          fc.oneof(
            { arbitrary: fc.integer({ min: -1, max: 1 }), weight: 1 },
            { arbitrary: fc.constant(0), weight: 6 },
          ),
          scalar,
        ),
        { maxLength: 3 },
      ),
    );
    type Pair = [string, string, [string, [number, string][]] | undefined];
    const pair: fc.Arbitrary<Pair> = fc.oneof(
      {
        arbitrary: fc.tuple(fc.constantFrom('username', 'userid'), scalar, fc.constant(undefined)),
        weight: 6,
      },
      { arbitrary: fc.tuple(fc.constant('groups'), fc.constant(''), groupBlock), weight: 3 },
      { arbitrary: fc.tuple(oddKey, scalar, fc.option(groupBlock, { nil: undefined })), weight: 1 },
    );
    const entry = (arnKey: string): fc.Arbitrary<[Pair[], boolean]> =>
      fc.tuple(
        fc
          .tuple(safe, fc.array(pair, { maxLength: 3 }))
          .map(([arn, rest]): Pair[] => [[arnKey, arn, undefined], ...rest]),
        fc.boolean(),
      );
    const entries = (arnKey: string): fc.Arbitrary<string> =>
      fc
        .tuple(indent, fc.array(entry(arnKey), { minLength: 1, maxLength: 4 }), fc.boolean())
        .map(([base, list, comments]) => {
          let text = '';
          for (const [pairs, blank] of list) {
            pairs.forEach(([k, v, block], i) => {
              const prefix = i === 0 ? `${base}- ` : `${base}  `;
              if (block === undefined) {
                text += `${prefix}${k}: ${v}`.trimEnd() + '\n';
                return;
              }
              text += `${prefix}${k}:\n`;
              const [extra, items] = block;
              for (const [shift, item] of items) {
                const pad = base.length + 2 + extra.length + shift;
                text += `${' '.repeat(Math.max(0, pad))}- ${item}`.trimEnd() + '\n';
              }
            });
            if (blank) text += '\n';
            if (comments) text += `${base}# note\n`;
          }
          return text;
        });
    const account = fc.oneof(
      {
        arbitrary: fc.constantFrom('555555555555', '012345678901', '"012345678901"', "'111122223333'"),
        weight: 6,
      },
      { arbitrary: scalar, weight: 1 },
    );
    const accounts = fc
      .array(account, { minLength: 1, maxLength: 5 })
      .map((items) => items.map((item) => `- ${item}`.trimEnd()).join('\n') + '\n');
    const data = fc
      .tuple(
        fc.constantFrom<['mapRoles' | 'mapUsers', string]>(['mapRoles', 'rolearn'], ['mapUsers', 'userarn']),
        fc.oneof(
          { arbitrary: fc.constant(''), weight: 8 },
          { arbitrary: fc.constantFrom('---\n', '\n---\n- rolearn: other\n', '...\n'), weight: 1 },
        ),
        fc.boolean(),
      )
      .chain(([[mapKey, arnKey], docs, crlf]) =>
        fc.tuple(entries(arnKey), accounts).map(([text, accountText]) => {
          const eol = (t: string): string => (crlf ? t.replaceAll('\n', '\r\n') : t);
          return { mapKey, awsAuth: { [mapKey]: eol(text + docs), mapAccounts: eol(accountText) } };
        }),
      );
    let fastCount = 0;
    let fullCount = 0;
    fc.assert(
      fc.property(data, ({ mapKey, awsAuth }) => {
        expectSame(awsAuth);
        for (const key of [mapKey, 'mapAccounts'] as const) {
          const text = awsAuth[key];
          if (text !== undefined && takesFastPath(key, text)) fastCount += 1;
          else fullCount += 1;
        }
      }),
      { numRuns: 5000 },
    );
    // The generator must exercise both paths, or this test could not fail.
    expect(fastCount).toBeGreaterThan(2000);
    expect(fullCount).toBeGreaterThan(2000);
  });
});

/** Reference fixtures whose string values are clean enough for the fast path (checked above). */
const FIXTURE_FAST_COUNT = 13;
