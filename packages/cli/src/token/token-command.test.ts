import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../main.js';
import type { CliIo } from '../io.js';
import { computeCacheKey } from './cache-key.js';
import { credentialCacheFile } from './credential-file-cache.js';
import { cacheFilePath, tokenCacheDir } from './token-cache.js';
import { ensureCacheDir, writeCachedToken } from './token-cache-write.js';
import { readConfigFile } from './config-file.js';
import { resolveGetTokenConfig, resolveTokenConfig } from './token-config.js';

const NOW = new Date('2024-05-01T10:00:00.750Z');
const TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20v';
const EXPIRATION = new Date('2024-05-01T10:14:00.500Z');

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

async function runCli(args: string[], env: Record<string, string | undefined>) {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: new PassThrough(),
    env,
    now: () => new Date(NOW),
    cwd: process.cwd(),
  };
  const code = await main(args, io);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function seed(args: string[], env: Record<string, string | undefined>, command: 'token' | 'get-token') {
  const config =
    command === 'token'
      ? await resolveTokenConfig(args, env, readConfigFile)
      : resolveGetTokenConfig(args, env);
  if (config === undefined) throw new Error('no config');
  const dir = tokenCacheDir(env);
  await ensureCacheDir(dir);
  await writeCachedToken(cacheFilePath(dir, computeCacheKey(config, env)), {
    token: TOKEN,
    expiration: EXPIRATION,
  });
}

describe('token command on a cache hit (no AWS call possible: no credentials in env)', () => {
  let env: Record<string, string | undefined>;
  beforeEach(() => {
    env = { HOME: mkdtempSync(join(tmpdir(), 'token-cmd-')), AWS_EC2_METADATA_DISABLED: 'true' };
  });

  it('prints a v1beta1 ExecCredential by default', async () => {
    await seed(['-i', 'c1'], env, 'token');
    const result = await runCli(['token', '-i', 'c1'], env);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false},"status":{"expirationTimestamp":"2024-05-01T10:14:00Z","token":"${TOKEN}"}}\n`,
    });
  });

  it('answers with the apiVersion KUBERNETES_EXEC_INFO asks for', async () => {
    await seed(['-i', 'c1'], env, 'token');
    const info =
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
    // KUBERNETES_EXEC_INFO is not part of the key: the same cached token serves both versions.
    const result = await runCli(['token', '-i', 'c1'], { ...env, KUBERNETES_EXEC_INFO: info });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      status: { token: TOKEN },
    });
  });

  it('prints only the token with --token-only', async () => {
    await seed(['-i', 'c1'], env, 'token');
    expect(await runCli(['token', '-i', 'c1', '--token-only'], env)).toEqual({
      code: 0,
      stdout: `${TOKEN}\n`,
      stderr: '',
    });
  });

  it('serves get-token from the same machinery', async () => {
    await seed(['--cluster-name', 'c1'], env, 'get-token');
    const result = await runCli(['get-token', '--cluster-name', 'c1', '--output', 'json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'ExecCredential', status: { token: TOKEN } });
  });

  it('cache clean removes cached tokens and the --cache credentials file', async () => {
    await seed(['-i', 'c1'], env, 'token');
    const credFile = credentialCacheFile(env);
    mkdirSync(join(credFile, '..'), { recursive: true });
    writeFileSync(credFile, 'clusters: {}\n', { mode: 0o600 });
    const result = await runCli(['cache', 'clean'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`removed 1 cached token and the credential cache ${credFile}\n`);
    expect(existsSync(credFile)).toBe(false);
    const again = await runCli(['cache', 'clean'], env);
    expect(again.stdout).toBe('removed 0 cached tokens\n');
  });

  it.each([
    [['token'], 2, /^iam-authenticator: cluster ID not specified/],
    [['token', '-i', 'c', '--session-name', 'x', '--forward-session-name'], 2, /cannot specify both/],
    [['token', '-i', 'c', '-s', 'no spaces'], 2, /invalid --session-name/],
    [['get-token'], 2, /either parameter --cluster-name or --cluster-id/],
    [['cache', 'purge'], 2, /cache: unknown subcommand "purge", expected clean/],
    [
      ['token', '-i', 'c', '-c', '/nonexistent/config.yaml'],
      2,
      /cannot read config file "\/nonexistent\/config.yaml": ENOENT/,
    ],
  ])('%j fails with one line on stderr and nothing on stdout', async (args, code, pattern) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses a KUBERNETES_EXEC_INFO apiVersion kubectl cannot read', async () => {
    await seed(['-i', 'c1'], env, 'token');
    const result = await runCli(['token', '-i', 'c1'], {
      ...env,
      KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v9"}',
    });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/apiVersion "client.authentication.k8s.io\/v9"/);
  });

  it('reads the config file given with -c', async () => {
    const file = join(env.HOME ?? '', 'config.yaml');
    writeFileSync(file, 'clusterID: from-file\ntokenOnly: true\n');
    await seed(['-c', file], env, 'token');
    expect(await runCli(['token', '-c', file], env)).toEqual({ code: 0, stdout: `${TOKEN}\n`, stderr: '' });
  });
});
