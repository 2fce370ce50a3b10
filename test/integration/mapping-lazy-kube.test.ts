/**
 * `mapping … --file` and the other local commands start without @kubernetes/client-node (≈ 0.6 s to load):
 * the built CLI runs with a module hook that refuses that package, so a command that loads it fails.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, runProcess } from '../support/index.js';

const FIXTURE = new URL('../../../packages/mapping/testdata/aws-auth/aws-auth.yaml', import.meta.url);
const REFUSED = '@kubernetes/client-node was loaded';

describe('mapping commands load the Kubernetes client only for a cluster', () => {
  let dir: string;
  let register: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lazy-kube-'));
    await writeFile(
      join(dir, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
  if (specifier === '@kubernetes/client-node') throw new Error(${JSON.stringify(REFUSED)});
  return next(specifier, context);
}
`,
    );
    register = join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
    );
    await writeFile(join(dir, 'aws-auth.yaml'), await readFile(FIXTURE, 'utf8'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) =>
    runProcess(process.execPath, ['--import', register, CLI_BIN, ...args], {
      env: { ...process.env, KUBECONFIG: join(dir, 'no-such-kubeconfig') },
    });

  // `lint` exits 1: the reference fixture has warnings.
  it.each([
    [['mapping', 'get', '-o', 'json'], 0],
    [['mapping', 'lint'], 1],
    [['mapping', 'export', '--format', 'json'], 0],
    [['mapping', 'create', '--arn', 'arn:aws:iam::111122223333:user/zed', '--username', 'zed', '--yes'], 0],
    [['mapping', 'history'], 0],
  ])('%j with --file', async (args, code) => {
    const res = await cli([...args, '--file', join(dir, 'aws-auth.yaml')]);
    expect(res.stderr).not.toContain(REFUSED);
    expect(res.code).toBe(code);
  });

  it('the same command against a cluster does load it (so the hook above would catch a regression)', async () => {
    const res = await cli(['mapping', 'get']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(REFUSED);
  });
});
