import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { LineCounter, parse as parseYaml, parseAllDocuments } from 'yaml';
import { fastParseYaml } from './parse-fast-yaml.js';
import { InvalidMapKeyError, fromYaml } from './parse-node.js';
import type { DataNode } from './parse-node.js';

/** The full path of parseAwsAuth: the `yaml` package, YAML 1.1, first document. */
function slowParse(text: string): DataNode | 'error' | 'multi' {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1',
    lineCounter,
    uniqueKeys: false,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) return { kind: 'null' };
  if (docs.length > 1) return 'multi';
  const first = docs[0];
  if (first === undefined) return { kind: 'null' };
  if (first.errors.length > 0) return 'error';
  try {
    return fromYaml(first, lineCounter);
  } catch (err) {
    if (err instanceof InvalidMapKeyError) return 'error';
    throw err;
  }
}

/** The fast path must either bail or build exactly what the full path builds. */
function expectSame(text: string): boolean {
  const fast = fastParseYaml(text);
  if (fast === undefined) return false;
  expect({ text, node: fast }).toStrictEqual({ text, node: slowParse(text) });
  return true;
}

const FIXTURES = new URL('../testdata/aws-auth/', import.meta.url);

describe('fastParseYaml agrees with the yaml package', () => {
  it('takes the fast path for every string value of the reference fixtures but the over-indented one', () => {
    let accepted = 0;
    let total = 0;
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))) {
      const manifest = parseYaml(readFileSync(new URL(file, FIXTURES), 'utf8')) as {
        data: Record<string, unknown>;
      };
      for (const value of Object.values(manifest.data)) {
        if (typeof value !== 'string') continue;
        total += 1;
        if (expectSame(value)) accepted += 1;
      }
    }
    expect(total).toBe(20);
    expect(accepted).toBe(19);
  });

  const accepted: string[] = [
    '- rolearn: arn:aws:iam::1:role/x\n  username: a\n  groups:\n  - g1\n  - g2\n',
    '- rolearn: arn:aws:iam::1:role/x\n  username: a\n  groups:\n      - g1\n      - g2\n- userarn: b\n',
    '  - rolearn: x\n    groups: [a, "b", \'c\']\n  - rolearn: z\n    groups: []\n',
    '# comment\n\n- "rolearn": "arn:aws:iam::1:role/x"\n  "username": "system:node:{{EC2PrivateDNSName}}"\n',
    '- sso:\n    permissionSetName: Admin\n    accountID: "111122223333"\n  username: a\n',
    '- 555555555555\n- "012345678901"\n- 012345678901\n- 0123\n',
    '- rolearn: x\n  username:\n  groups:\n- rolearn: z\n',
    '-   rolearn: x\n    username: a   \n',
    '- rolearn: x\n  # a comment line\n  username: a b  c\n',
    '- rolearn:x\n- arn:aws:iam::1:role/x\n',
  ];
  it.each(accepted)('fast path for %j', (text) => {
    expect(expectSame(text)).toBe(true);
  });

  const bails: string[] = [
    '- rolearn: x\n  username: {{SessionName}}\n',
    '- rolearn: x\n  username: yes\n',
    '- rolearn: x\n  username: 12345\n',
    '- rolearn: x # trailing comment\n',
    '- rolearn: x\n  groups:\n    - a\n     - b\n',
    '- rolearn: x\n  username: a\n    continued\n',
    '- rolearn: &a x\n- rolearn: *a\n',
    '- rolearn: x\n---\n- rolearn: y\n',
    '- rolearn: "a\\"b"\n',
    '- rolearn: x\n\tusername: a\n',
    'rolearn: x\n',
    '[]',
    '- rolearn: x\n  on: a\n',
    '- rolearn: y\n',
    '- rolearn: x\n username: a\n',
    '-\n  rolearn: x\n',
  ];
  it.each(bails)('bails out on %j', (text) => {
    expect(fastParseYaml(text)).toBeUndefined();
  });

  it('property: on generated aws-auth-like text the fast path bails or agrees', () => {
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
      '12.5',
      'a: b',
      'a #b',
      'a#b',
      '{{SessionName}}',
      '[a,b ,c]',
      '- x',
      '.inf',
      'ends:',
      '"a\\nb"',
    );
    const scalar = fc.oneof({ arbitrary: safe, weight: 6 }, { arbitrary: tricky, weight: 1 });
    const key = fc.constantFrom(
      'rolearn',
      'roleARN',
      'username',
      'groups',
      'userid',
      '"rolearn"',
      'yes',
      'sso',
      'a b',
    );
    const indent = fc.integer({ min: 0, max: 5 }).map((n) => ' '.repeat(n));
    const groupBlock = fc.tuple(
      indent,
      fc.array(fc.tuple(fc.integer({ min: -1, max: 1 }), scalar), { maxLength: 3 }),
    );
    const entry = fc.tuple(
      fc.array(fc.tuple(key, scalar, fc.option(groupBlock, { nil: undefined })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.boolean(),
    );
    const doc = fc
      .tuple(indent, fc.array(entry, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([base, entries, comments]) => {
        let text = '';
        for (const [pairs, blank] of entries) {
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
    let fastCount = 0;
    fc.assert(
      fc.property(doc, (text) => {
        if (expectSame(text)) fastCount += 1;
      }),
      { numRuns: 5000 },
    );
    // The generator must exercise the fast path, or this test could not fail.
    expect(fastCount).toBeGreaterThan(150);
  });
});
