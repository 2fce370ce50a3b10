import { readManifest, writeManifestData } from './manifest.js';

/** kubectl's `get -o yaml` writes `|-` for a value without a final newline; this file has one of each. */
const MANIFEST = [
  '# managed by hand',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: aws-auth   # the name',
  '  namespace: kube-system',
  'data:',
  '  mapRoles: |-  # roles',
  '    - rolearn: arn:aws:iam::555555555555:role/a   # role a',
  '      username: a',
  '  mapUsers: |',
  '    - userarn: arn:aws:iam::555555555555:user/u',
  '      username: u',
  '  other:   "x"    # spacing',
  '',
].join('\n');

const ROLE_B = '- rolearn: arn:aws:iam::555555555555:role/b\n  username: b\n';

describe('writeManifestData', () => {
  it('rewrites a |- value in place, with | when the new value ends in a newline', () => {
    const before = readManifest(MANIFEST).data;
    const mapRoles = `${before['mapRoles'] ?? ''}\n${ROLE_B}`;
    const out = writeManifestData(MANIFEST, before, { ...before, mapRoles });
    expect(out).toBe(
      MANIFEST.replace('  mapRoles: |-  # roles\n', '  mapRoles: |  # roles\n').replace(
        '      username: a\n',
        '      username: a\n    - rolearn: arn:aws:iam::555555555555:role/b\n      username: b\n',
      ),
    );
    expect(readManifest(out).data).toEqual({ ...before, mapRoles });
  });

  it('keeps |- for a value without a final newline, and | for one with it', () => {
    const before = readManifest(MANIFEST).data;
    const after = {
      ...before,
      mapRoles: (before['mapRoles'] ?? '').replace('username: a', 'username: aa'),
      mapUsers: (before['mapUsers'] ?? '').replace('username: u', 'username: uu'),
    };
    const out = writeManifestData(MANIFEST, before, after);
    expect(out).toBe(
      MANIFEST.replace('username: a\n', 'username: aa\n').replace('username: u\n', 'username: uu\n'),
    );
    expect(readManifest(out).data).toEqual(after);
  });

  it('writes |- over | when the new value has no final newline', () => {
    const before = readManifest(MANIFEST).data;
    const after = { ...before, mapUsers: (before['mapUsers'] ?? '').trimEnd() };
    const out = writeManifestData(MANIFEST, before, after);
    expect(out).toBe(MANIFEST.replace('  mapUsers: |\n', '  mapUsers: |-\n'));
    expect(readManifest(out).data).toEqual(after);
  });
});
