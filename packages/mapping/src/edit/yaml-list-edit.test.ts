import { AuthError } from '@iam-authenticator/core';
import { readManifest } from './manifest.js';
import { applyListEdit, readYamlList, renderScalar } from './yaml-list-edit.js';

const ENTRY = { userarn: 'arn:aws:iam::111122223333:user/a', username: 'a' };

describe('applyListEdit append', () => {
  test.each([
    ['absent', undefined, '- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n'],
    ['skippable ""', '""', '- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n'],
    ['empty flow list', '[]\n', '- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n'],
    [
      'comments only',
      '# nobody yet\n',
      '# nobody yet\n- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n',
    ],
    [
      'indented list keeps its indentation',
      '  - userarn: x\n    username: x\n',
      '  - userarn: x\n    username: x\n  - userarn: arn:aws:iam::111122223333:user/a\n    username: a\n',
    ],
    [
      'no final newline',
      '- userarn: x',
      '- userarn: x\n- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n',
    ],
  ])('%s', (_name, text, expected) => {
    expect(applyListEdit(text, { op: 'append', entry: ENTRY })).toBe(expected);
  });

  test('a JSON list is edited through the Document API and keeps its meaning', () => {
    const text = '[{"userarn": "x", "username": "x"}]';
    const out = applyListEdit(text, { op: 'append', entry: ENTRY });
    expect(readYamlList(out)).toEqual([{ userarn: 'x', username: 'x' }, ENTRY]);
  });

  test('values YAML 1.1 would misread are quoted', () => {
    expect(renderScalar('yes')).toBe('"yes"');
    expect(renderScalar('{{SessionName}}')).toBe('"{{SessionName}}"');
    expect(renderScalar('012345678901')).toBe('"012345678901"');
    expect(renderScalar('system:node:{{EC2PrivateDNSName}}')).toBe('system:node:{{EC2PrivateDNSName}}');
    const out = applyListEdit(undefined, {
      op: 'append',
      entry: { userarn: 'x', username: 'on', groups: ['{{SessionName}}'] },
    });
    expect(readYamlList(out)).toEqual([{ userarn: 'x', username: 'on', groups: ['{{SessionName}}'] }]);
  });
});

describe('applyListEdit remove', () => {
  test('removing the only entry of a plain list empties the text; comments stay', () => {
    expect(applyListEdit('- userarn: x\n  username: x\n', { op: 'remove', indexes: [0] })).toBe('');
    expect(applyListEdit('# keep\n- userarn: x\n', { op: 'remove', indexes: [0] })).toBe('# keep\n');
  });

  test('several indexes, any order', () => {
    const text = '- a\n- b # bee\n- c\n- d\n';
    expect(applyListEdit(text, { op: 'remove', indexes: [3, 1] })).toBe('- a\n- c\n');
  });
});

describe('refusals', () => {
  test('a value that is not a list is not edited', () => {
    expect(() => applyListEdit('rolearn: x\n', { op: 'append', entry: ENTRY })).toThrow(AuthError);
  });

  test('manifest data values must be strings; kind must be ConfigMap', () => {
    expect(() => readManifest('kind: ConfigMap\ndata:\n  mapRoles:\n    - rolearn: x\n')).toThrow(
      'data.mapRoles must be a string (is a "|" missing?), received a list',
    );
    expect(() => readManifest('kind: Secret\n')).toThrow(
      'the manifest kind must be "ConfigMap", received "Secret"',
    );
    expect(() => readManifest('kind: [\n')).toThrow(/the manifest is not valid yaml \(line \d\)/);
    expect(readManifest('kind: ConfigMap\nimmutable: true\n').immutable).toBe(true);
  });
});

describe('applyListEdit update', () => {
  const text = [
    '- rolearn: a',
    '  username: a',
    '',
    '# comment about b',
    '- rolearn: b',
    '  username: b',
    '  groups: # the admins',
    '    - gb',
    '  # trailing comment of b',
    '',
    '- rolearn: c',
    '  username: c',
    '# final comment',
    '',
  ].join('\n');

  it('keeps a trailing comment of the edited entry once, however often it is updated', () => {
    let out = text;
    for (const username of ['bb', 'bbb', 'bbbb']) {
      out = applyListEdit(out, { op: 'update', index: 1, set: { username } });
      expect(out).toBe(text.replace('  username: b\n', `  username: ${username}\n`));
    }
  });

  it('keeps the comment of a replaced list (on its own line above the list) and the rest as it was', () => {
    const out = applyListEdit(text, { op: 'update', index: 1, set: { groups: ['gb', 'gc'] } });
    expect(out).toBe(
      text.replace('  groups: # the admins\n    - gb\n', '  groups:\n    # the admins\n    - gb\n    - gc\n'),
    );
  });

  it('writes a new one-line value over the old one alone, quoted when YAML would misread it', () => {
    const quoted = text.replace('  username: b\n', "  username: 'b' # who\n");
    const out = applyListEdit(quoted, { op: 'update', index: 1, set: { username: 'yes' } });
    expect(out).toBe(quoted.replace("'b' # who", '"yes" # who'));
    expect(readYamlList(out)[1]).toMatchObject({ username: 'yes' });
  });
});

describe('flow lists are edited in place, so items keep their spelling', () => {
  const accounts = '["111122223333", 012345678901, \'444455556666\']';

  test('append after the last item', () => {
    const out = applyListEdit(accounts, { op: 'append', entry: '555555555555' });
    expect(out).toBe('["111122223333", 012345678901, \'444455556666\', "555555555555"]');
    expect(readYamlList(out, { textOnly: true })).toEqual([
      '111122223333',
      '012345678901',
      '444455556666',
      '555555555555',
    ]);
  });

  test.each([
    [[0], "[012345678901, '444455556666']"],
    [[1], '["111122223333", \'444455556666\']'],
    [[2], '["111122223333", 012345678901]'],
    [[0, 1], "['444455556666']"],
    [[1, 2], '["111122223333"]'],
    [[0, 2], '[012345678901]'],
    [[2, 0, 1], '[]'],
  ])('remove %j', (indexes, expected) => {
    expect(applyListEdit(`${accounts}\n`, { op: 'remove', indexes })).toBe(`${expected}\n`);
  });

  test('a JSON list of maps gets a JSON entry', () => {
    const text = '[{"userarn": "x", "username": "x"}]';
    const out = applyListEdit(text, { op: 'append', entry: ENTRY });
    expect(out).toBe(`[{"userarn": "x", "username": "x"}, ${JSON.stringify(ENTRY)}]`);
    expect(readYamlList(out)).toEqual([{ userarn: 'x', username: 'x' }, ENTRY]);
    expect(applyListEdit(out, { op: 'remove', indexes: [0] })).toBe(`[${JSON.stringify(ENTRY)}]`);
  });
});
