import { runProcess } from '../support/run-process.js';
import type { ProcessResult } from '../support/run-process.js';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { IdentitiesFile, StsEmulator } from '@iam-authenticator/sts-emulator';
import { decodeToken } from '@iam-authenticator/token';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const IDENTITIES = JSON.parse(
  readFileSync(join(ROOT, 'packages/sts-emulator/testdata/identities.json'), 'utf8'),
) as IdentitiesFile;
const ALICE = IDENTITIES.users[0]!;
const BOB = IDENTITIES.users[2]!;
const DEV_ROLE = 'arn:aws:iam::111122223333:role/team/dev';
const PARTNER_ROLE = 'arn:aws:iam::111122223333:role/partner';
const NODE_ROLE = 'arn:aws:iam::111122223333:role/eks-node-role';
const SECRETS = IDENTITIES.users.map((user) => user.secretAccessKey);

type CliResult = ProcessResult;

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], { env });
}

/** A fresh HOME and empty AWS files, credentials of one emulator identity, no IMDS. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'token-cli-'));
  const config = join(home, 'aws-config');
  const credentials = join(home, 'aws-credentials');
  writeFileSync(config, '');
  writeFileSync(credentials, '');
  return {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_ACCESS_KEY_ID: ALICE.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ALICE.secretAccessKey,
    ...extra,
  };
}

/** baseEnv without keys in the environment: credentials come from the shared files (or nowhere). */
function keylessEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = baseEnv(extra);
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  return env;
}

function tokenOf(result: CliResult): string {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const credential = JSON.parse(result.stdout) as { status: { token: string; expirationTimestamp: string } };
  return credential.status.token;
}

/** Presents a token to the emulator as the webhook would: GET the presigned URL with our cluster ID. */
function presentToken(
  emulator: StsEmulator,
  token: string,
  clusterId: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(decodeToken(token));
  const target = new URL(emulator.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'GET',
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'x-k8s-aws-id': clusterId, accept: 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function callerArn(emulator: StsEmulator, token: string, clusterId: string): Promise<string> {
  const answer = await presentToken(emulator, token, clusterId);
  expect(answer.status).toBe(200);
  return (
    JSON.parse(answer.body) as { GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: string } } }
  ).GetCallerIdentityResponse.GetCallerIdentityResult.Arn;
}

function expectOneLineFailure(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.stdout).toBe('');
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  for (const secret of SECRETS) expect(result.stderr).not.toContain(secret);
  expect(result.stderr).not.toMatch(/k8s-aws-v1\.|X-Amz-Signature|X-Amz-Security-Token/i);
}

let emulator: StsEmulator;
beforeAll(async () => {
  emulator = await startStsEmulator({ identities: IDENTITIES });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.resetCounts();
});

describe('token with base credentials', () => {
  it('prints a token STS accepts for the same cluster ID only', async () => {
    const result = await runCli(['token', '-i', 'cluster-a', '--region', 'us-west-2'], baseEnv());
    const token = tokenOf(result);
    expect(decodeToken(token)).toMatch(
      /^https:\/\/sts\.us-west-2\.amazonaws\.com\/\?Action=GetCallerIdentity&/,
    );
    expect(await callerArn(emulator, token, 'cluster-a')).toBe(ALICE.arn);
    const other = await presentToken(emulator, token, 'cluster-b');
    expect(other.status).toBe(403);
    expect(other.body).toMatch(/SignatureDoesNotMatch/);
  });

  it('resolves the region from AWS_REGION and defaults to us-east-1 without asking IMDS', async () => {
    const west = tokenOf(await runCli(['token', '-i', 'c'], baseEnv({ AWS_REGION: 'eu-west-1' })));
    expect(new URL(decodeToken(west)).host).toBe('sts.eu-west-1.amazonaws.com');
    const fallback = tokenOf(await runCli(['token', '-i', 'c'], baseEnv()));
    expect(new URL(decodeToken(fallback)).host).toBe('sts.us-east-1.amazonaws.com');
  });

  it('takes the root flags before the command too, as the reference (cobra persistent flags)', async () => {
    const result = await runCli(
      ['-i', 'c', '--log-verbosity', 'info', 'token', '--region', 'eu-west-1'],
      baseEnv(),
    );
    const token = tokenOf(result);
    expect(new URL(decodeToken(token)).host).toBe('sts.eu-west-1.amazonaws.com');
    expect(await callerArn(emulator, token, 'c')).toBe(ALICE.arn);
    expect(tokenOf(await runCli(['--cluster-id=c', 'token'], baseEnv()))).toMatch(/^k8s-aws-v1\./);
    const unknown = await runCli(['-i', 'c', 'nope'], baseEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
  });

  it('prints only the token with --token-only, and get-token prints the same kind of credential', async () => {
    const only = await runCli(['token', '-i', 'c', '--token-only'], baseEnv());
    expect(only.code).toBe(0);
    expect(only.stdout).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+\n$/);
    const eks = await runCli(['get-token', '--cluster-name', 'c', '--output', 'json'], baseEnv());
    expect(await callerArn(emulator, tokenOf(eks), 'c')).toBe(ALICE.arn);
  });
});

describe('token with profiles and config files', () => {
  it('reads clusterID, region and tokenOnly from the -c config file', async () => {
    const env = baseEnv();
    const file = join(env.HOME!, 'authenticator.yaml');
    writeFileSync(file, 'clusterID: from-file\nregion: ap-south-1\ntokenOnly: true\n');
    const result = await runCli(['token', '-c', file], env);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(new URL(decodeToken(token)).host).toBe('sts.ap-south-1.amazonaws.com');
    expect(await callerArn(emulator, token, 'from-file')).toBe(ALICE.arn);
  });

  it('uses the keys and region of AWS_PROFILE from the shared files', async () => {
    const env = keylessEnv({ AWS_PROFILE: 'team' });
    writeFileSync(env.AWS_CONFIG_FILE!, '[profile team]\nregion = ca-central-1\n');
    writeFileSync(
      env.AWS_SHARED_CREDENTIALS_FILE!,
      `[team]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n`,
    );
    const token = tokenOf(await runCli(['token', '-i', 'c'], env));
    expect(new URL(decodeToken(token)).host).toBe('sts.ca-central-1.amazonaws.com');
    expect(await callerArn(emulator, token, 'c')).toBe(ALICE.arn);
  });

  it('signs with keys in the environment over AWS_PROFILE (as the Go SDK and botocore), but not over get-token --profile', async () => {
    const env = baseEnv({ AWS_PROFILE: 'bob' });
    writeFileSync(env.AWS_CONFIG_FILE!, '[profile bob]\nregion = us-east-1\n');
    writeFileSync(
      env.AWS_SHARED_CREDENTIALS_FILE!,
      `[bob]\naws_access_key_id = ${BOB.accessKeyId}\naws_secret_access_key = ${BOB.secretAccessKey}\n`,
    );
    const result = await runCli(['token', '-i', 'c', '--no-token-cache'], env);
    expect(await callerArn(emulator, tokenOf(result), 'c')).toBe(ALICE.arn);
    expect(result.stderr).not.toContain('Multiple credential sources');
    delete env.AWS_PROFILE;
    const flagged = await runCli(['get-token', '--cluster-name', 'c', '--profile', 'bob'], env);
    expect(await callerArn(emulator, tokenOf(flagged), 'c')).toBe(BOB.arn);
  });

  it('prompts for the MFA code on the terminal and reads it there', async () => {
    // `script` gives the CLI a pseudo-terminal, as a person's shell would; our stdin feeds its keyboard.
    const env = keylessEnv({ AWS_PROFILE: 'mfa', AWS_ENDPOINT_URL_STS: emulator.url });
    writeFileSync(
      env.AWS_CONFIG_FILE!,
      `[profile base]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n` +
        `[profile mfa]\nrole_arn = ${DEV_ROLE}\nsource_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\n`,
    );
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        '/usr/bin/script',
        ['-qec', `'${process.execPath}' '${BIN}' token -i c --token-only`, '/dev/null'],
        { env, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let text = '';
      let answered = false;
      // The pty may close before a late write lands; the exit code and output below are what count.
      child.stdin.on('error', () => undefined);
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (!answered && text.includes('Assume Role MFA token code: ')) {
          answered = true;
          child.stdin.write('123456\n');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(text);
        else reject(new Error(`script exited ${code ?? 'by signal'}: ${text}`));
      });
    });
    expect(output).toContain('Assume Role MFA token code: ');
    const token = /k8s-aws-v1\.[A-Za-z0-9_-]+/.exec(output)?.[0];
    expect(token).toBeDefined();
    expect(await callerArn(emulator, token!, 'c')).toMatch(/^arn:aws:sts::111122223333:assumed-role\/dev\//);
  });

  it('follows a profile role_arn with source_profile through STS at AWS_ENDPOINT_URL_STS', async () => {
    const env = keylessEnv({ AWS_PROFILE: 'dev', AWS_ENDPOINT_URL_STS: emulator.url });
    writeFileSync(
      env.AWS_CONFIG_FILE!,
      `[profile base]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n` +
        `[profile dev]\nrole_arn = ${DEV_ROLE}\nsource_profile = base\nrole_session_name = profile-session\n`,
    );
    const token = tokenOf(await runCli(['token', '-i', 'c'], env));
    expect(await callerArn(emulator, token, 'c')).toBe(
      'arn:aws:sts::111122223333:assumed-role/dev/profile-session',
    );
  });
});

describe('token -r (AssumeRole against AWS_ENDPOINT_URL_STS)', () => {
  it('signs with the assumed role; the token host stays the real STS host', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url, AWS_REGION: 'us-west-2' });
    const token = tokenOf(await runCli(['token', '-i', 'c', '-r', DEV_ROLE, '-s', 'alice-session'], env));
    expect(new URL(decodeToken(token)).host).toBe('sts.us-west-2.amazonaws.com');
    expect(decodeToken(token)).toContain('X-Amz-Security-Token=');
    expect(await callerArn(emulator, token, 'c')).toBe(
      'arn:aws:sts::111122223333:assumed-role/dev/alice-session',
    );
    expect(emulator.counts().AssumeRole).toBe(1);
  });

  it('sends the external ID and session name to STS', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url });
    const result = await runCli(
      [
        'token',
        '-i',
        'c',
        '--role-arn',
        PARTNER_ROLE,
        '-e',
        'partner-external-id',
        '--session-name',
        'who@example.com',
      ],
      env,
    );
    tokenOf(result);
    expect(emulator.lastAssumeRole()).toEqual({
      roleArn: PARTNER_ROLE,
      sessionName: 'who@example.com',
      externalId: 'partner-external-id',
    });
  });

  it('reads the role from DEFAULT_ROLE', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url, DEFAULT_ROLE: DEV_ROLE });
    tokenOf(await runCli(['token', '-i', 'c', '-s', 'from-env'], env));
    expect(emulator.lastAssumeRole()).toMatchObject({ roleArn: DEV_ROLE, sessionName: 'from-env' });
  });

  it('--forward-session-name reuses the session part of the caller', async () => {
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
    });
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: DEV_ROLE, RoleSessionName: 'forwarded-name' }),
    );
    sts.destroy();
    const env = baseEnv({
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ACCESS_KEY_ID: assumed.Credentials!.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials!.SecretAccessKey!,
      AWS_SESSION_TOKEN: assumed.Credentials!.SessionToken!,
    });
    emulator.resetCounts();
    const token = tokenOf(await runCli(['token', '-i', 'c', '-r', NODE_ROLE, '--forward-session-name'], env));
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 1, AssumeRole: 1 });
    expect(emulator.lastAssumeRole()).toMatchObject({ roleArn: NODE_ROLE, sessionName: 'forwarded-name' });
    expect(await callerArn(emulator, token, 'c')).toBe(
      'arn:aws:sts::111122223333:assumed-role/eks-node-role/forwarded-name',
    );
  });

  it('get-token --role-arn uses the aws-cli session name', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url });
    tokenOf(await runCli(['get-token', '--cluster-id', 'c', '--role-arn', DEV_ROLE], env));
    expect(emulator.lastAssumeRole()).toMatchObject({ roleArn: DEV_ROLE, sessionName: 'EKSGetTokenAuth' });
  });
});

describe('token cache', () => {
  it('returns the cached token without calling STS, and --force-refresh signs again', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url });
    const args = ['token', '-i', 'c', '-r', DEV_ROLE, '-s', 'cached'];
    const first = tokenOf(await runCli(args, env));
    expect(emulator.counts().AssumeRole).toBe(1);
    const dir = join(env.HOME!, '.kube/cache/iam-authenticator');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);

    expect(tokenOf(await runCli(args, env))).toBe(first);
    expect(emulator.counts().AssumeRole).toBe(1);

    // A different session name is a different key.
    const other = tokenOf(await runCli(['token', '-i', 'c', '-r', DEV_ROLE, '-s', 'other'], env));
    expect(other).not.toBe(first);
    expect(emulator.counts().AssumeRole).toBe(2);

    await runCli([...args, '--force-refresh'], env);
    expect(emulator.counts().AssumeRole).toBe(3);
    await runCli([...args, '--no-token-cache'], env);
    expect(emulator.counts().AssumeRole).toBe(4);
  });

  it('a cache hit loads no AWS SDK module and not node:crypto (kubectl pays for each load)', async () => {
    const env = baseEnv();
    const args = ['token', '-i', 'hit-path'];
    const first = tokenOf(await runCli(args, env));
    // A preload that reports, at exit, every built-in and every file module the process loaded.
    const probe = join(env.HOME!, 'probe.cjs');
    const report = join(env.HOME!, 'loaded.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`,
    );
    const loaded = async (extra: string[]): Promise<{ builtins: string[]; files: string[] }> => {
      const result = await runProcess(process.execPath, ['-r', probe, BIN, ...args, ...extra], { env });
      expect(result.code).toBe(0);
      return JSON.parse(readFileSync(report, 'utf8')) as { builtins: string[]; files: string[] };
    };
    const hit = await loaded([]);
    expect(tokenOf(await runCli(args, env))).toBe(first);
    expect(hit.builtins).not.toContain('NativeModule crypto');
    expect(hit.builtins).not.toContain('NativeModule stream');
    expect(hit.files.filter((file) => /@aws-sdk|@smithy|[/\\]yaml[/\\]/.test(file))).toEqual([]);
    // The probe sees what a miss loads, so the assertions above can fail.
    const miss = await loaded(['--force-refresh']);
    expect(miss.builtins).toContain('NativeModule crypto');
  });

  it('ten concurrent invocations sign once and all print valid JSON', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url });
    const args = ['token', '-i', 'c', '-r', DEV_ROLE, '-s', 'parallel'];
    const results = await Promise.all(Array.from({ length: 10 }, () => runCli(args, env)));
    const tokens = results.map(tokenOf);
    expect(new Set(tokens).size).toBe(1);
    expect(emulator.counts().AssumeRole).toBe(1);
    const dir = join(env.HOME!, '.kube/cache/iam-authenticator');
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('an unwritable cache warns once and still prints a fresh token', async () => {
    const env = baseEnv();
    // A file where the .kube directory should be: nothing below it can be created (even as root).
    writeFileSync(join(env.HOME!, '.kube'), 'not a directory');
    const result = await runCli(['token', '-i', 'c'], env);
    expect(result.code).toBe(0);
    const warnings = result.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/level=warning msg="token cache is not writable; printing a fresh token/);
    expect(result.stderr).not.toContain('k8s-aws-v1.');
    const credential = JSON.parse(result.stdout) as { status: { token: string } };
    expect(await callerArn(emulator, credential.status.token, 'c')).toBe(ALICE.arn);
  });

  it('IAM_AUTHENTICATOR_TOKEN_CACHE=off writes nothing', async () => {
    const env = baseEnv({ IAM_AUTHENTICATOR_TOKEN_CACHE: 'off' });
    tokenOf(await runCli(['token', '-i', 'c'], env));
    expect(readdirSync(env.HOME!)).not.toContain('.kube');
  });
});

describe('failures: one line on stderr, nothing on stdout, no secret', () => {
  it('no credentials anywhere → credentials_not_found naming the sources tried', async () => {
    const env = keylessEnv();
    expectOneLineFailure(
      await runCli(['token', '-i', 'c'], env),
      7,
      /^iam-authenticator: no AWS credentials found; tried env AWS_ACCESS_KEY_ID, ~\/.aws config .*instance metadata\n$/,
    );
  });

  it('a named profile whose credential_process fails → credentials_not_found naming the profile', async () => {
    const env = keylessEnv({ AWS_PROFILE: 'fails' });
    writeFileSync(env.AWS_CONFIG_FILE!, '[profile fails]\ncredential_process = /bin/sh -c "exit 3"\n');
    expectOneLineFailure(
      await runCli(['token', '-i', 'c'], env),
      7,
      /^iam-authenticator: aws profile "fails" gave no credentials \(its keys, sso, credential_process or role_arn failed or are missing\); aws sts get-caller-identity --profile fails shows why\n$/,
    );
  });

  it('an unknown profile → profile_not_found', async () => {
    expectOneLineFailure(
      await runCli(['token', '-i', 'c'], baseEnv({ AWS_PROFILE: 'nope' })),
      7,
      /aws profile "nope" not found: expected a \[profile nope\] section/,
    );
  });

  it('AssumeRole refused → assume_role_denied', async () => {
    const env = baseEnv({
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ACCESS_KEY_ID: BOB.accessKeyId,
      AWS_SECRET_ACCESS_KEY: BOB.secretAccessKey,
    });
    expectOneLineFailure(
      await runCli(['token', '-i', 'c', '-r', DEV_ROLE], env),
      7,
      /AssumeRole was refused by STS \(AccessDenied\)/,
    );
  });

  it('a wrong external ID → assume_role_denied', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url });
    expectOneLineFailure(
      await runCli(['token', '-i', 'c', '-r', PARTNER_ROLE, '-e', 'wrong'], env),
      7,
      /AssumeRole was refused/,
    );
  });

  it('throttling → aws_throttled', async () => {
    emulator.injectFaults({ count: 10, kind: 'throttle', action: 'AssumeRole' });
    expectOneLineFailure(
      await runCli(['token', '-i', 'c', '-r', DEV_ROLE], baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url })),
      5,
      /AssumeRole was throttled by AWS \(Throttling\)/,
    );
  });

  it('a profile that needs MFA without a terminal → mfa_required, without waiting for input', async () => {
    const env = keylessEnv({ AWS_PROFILE: 'mfa', AWS_ENDPOINT_URL_STS: emulator.url });
    writeFileSync(
      env.AWS_CONFIG_FILE!,
      `[profile base]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n` +
        `[profile mfa]\nrole_arn = ${DEV_ROLE}\nsource_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\n`,
    );
    expectOneLineFailure(
      await runCli(['token', '-i', 'c'], env),
      7,
      /needs an MFA code .*no terminal is attached/,
    );
  });

  it.each([
    [['token', '--bogus'], /unknown flag "--bogus"/],
    [['token'], /cluster ID not specified/],
    [['token', '-i', 'c', '-s', 'a', '--forward-session-name'], /cannot specify both/],
    [['token', '-i', 'c', '-s', 'bad/name'], /invalid --session-name/],
    [['get-token', '--cluster-name', 'a', '--cluster-id', 'b'], /mutually exclusive/],
  ])('bad flags %j → usage_error before any call', async (args, pattern) => {
    expectOneLineFailure(await runCli(args, baseEnv({ AWS_ENDPOINT_URL_STS: emulator.url })), 2, pattern);
    expect(emulator.counts().AssumeRole).toBe(0);
  });
});

describe('--cache (the reference credential cache)', () => {
  it('caches credential_process credentials in a private YAML file, refuses a non-private one, and cache clean removes it', async () => {
    const env = keylessEnv({ AWS_PROFILE: 'proc' });
    const counter = join(env.HOME!, 'process-calls');
    const script = join(env.HOME!, 'credential-process.sh');
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    writeFileSync(
      script,
      `echo call >> '${counter}'\necho '${JSON.stringify({
        Version: 1,
        AccessKeyId: ALICE.accessKeyId,
        SecretAccessKey: ALICE.secretAccessKey,
        Expiration: expiration,
      })}'\n`,
    );
    writeFileSync(env.AWS_CONFIG_FILE!, `[profile proc]\ncredential_process = /bin/sh ${script}\n`);
    const calls = () => readFileSync(counter, 'utf8').trim().split('\n').length;
    const args = ['token', '-i', 'c', '--cache', '--no-token-cache'];

    const first = tokenOf(await runCli(args, env));
    expect(await callerArn(emulator, first, 'c')).toBe(ALICE.arn);
    expect(calls()).toBe(1);
    const file = join(env.HOME!, '.kube/cache/aws-iam-authenticator/credentials.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const yaml = readFileSync(file, 'utf8');
    expect(yaml).toMatch(/^clusters:\n {2}c:\n {4}proc:\n {6}"":\n {8}accesskeyid: AKIAEMULATORALICE001\n/);
    expect(yaml).toContain('canexpire: true');

    tokenOf(await runCli(args, env));
    expect(calls()).toBe(1);

    chmodSync(file, 0o644);
    const refused = await runCli(args, env);
    expect(refused.code).toBe(0);
    expect(refused.stderr).toMatch(/level=warning msg="unable to use cache: cache file is not private"/);
    expect(calls()).toBe(2);

    const clean = await runCli(['cache', 'clean'], env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(file);
    expect(() => statSync(file)).toThrow(/ENOENT/);
  });
});
