/** `version` as the reference has it: JSON by default, `-o yaml`, `-s/--short`; bad flags are usage errors. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runProcess } from '../support/run-process.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = (args: string[]) =>
  runProcess(process.execPath, [BIN, 'version', ...args], { env: { PATH: process.env.PATH ?? '' } });

it('prints the build information as JSON by default and with -o json', async () => {
  for (const args of [[], ['-o', 'json'], ['--output=json']]) {
    const result = await run(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ Version: VERSION, Commit: 'unknown' });
  }
});

it('prints YAML with -o yaml and only the version with -s/--short', async () => {
  const yaml = await run(['-o', 'yaml']);
  expect(yaml.code).toBe(0);
  expect(parse(yaml.stdout)).toEqual({ Version: VERSION, Commit: 'unknown' });
  for (const flag of ['-s', '--short']) {
    expect(await run([flag])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  }
});

it('refuses another output format or an unknown flag with one line and nothing on stdout', async () => {
  for (const [args, pattern] of [
    [['-o', 'table'], /--output must be json or yaml, received "table"/],
    [['--verbose'], /unknown flag/],
  ] as const) {
    const result = await run([...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  }
});
