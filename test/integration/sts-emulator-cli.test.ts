import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeToken, presignCallerIdentity } from '@iam-authenticator/token';
import { createTestCa, issueTestCert } from '../support/index.js';

const BIN = new URL('../../../packages/cli/bin/iam-authenticator.js', import.meta.url).pathname;
const IDENTITIES = new URL('../../../packages/sts-emulator/testdata/identities.json', import.meta.url)
  .pathname;
const ALICE = {
  accessKeyId: 'AKIAEMULATORALICE001',
  secretAccessKey: 'alice/secret/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

function launch(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, 'sts-emulator', ...args], { stdio: 'pipe' });
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => {
      reject(new Error(`exited with ${code} before printing the url`));
    });
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve({ code, stderr });
    });
  });
}

describe('iam-authenticator sts-emulator', () => {
  it('prints its url, serves tokens and the control API, and stops on SIGTERM', async () => {
    const child = launch(['--identities', IDENTITIES]);
    const exited = exitOf(child);
    const { url } = JSON.parse(await firstLine(child)) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { token } = await presignCallerIdentity({
      credentials: ALICE,
      clusterId: 'c1',
      region: 'us-west-2',
    });
    const signed = new URL(decodeToken(token));
    const answer = await fetch(`${url}${signed.pathname}${signed.search}`, {
      headers: { 'x-k8s-aws-id': 'c1', accept: 'application/json' },
    });
    expect(answer.status).toBe(200);
    await fetch(`${url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ count: 1, kind: 'throttle' }),
    });
    const throttled = await fetch(`${url}/?Action=GetCallerIdentity`, {
      headers: { accept: 'application/json' },
    });
    expect(await throttled.text()).toContain('Throttling');
    expect(await (await fetch(`${url}/_emulator/counts`)).json()).toMatchObject({
      GetCallerIdentity: 2,
      faulted: 1,
    });
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('serves TLS with --tls-cert and --tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sts-emulator-cli-'));
    const ca = await createTestCa();
    const leaf = await issueTestCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(dir, 'cert.pem'), leaf.certPem);
    writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
    const child = launch([
      '--identities',
      IDENTITIES,
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--port',
      '0',
    ]);
    const exited = exitOf(child);
    const { url } = JSON.parse(await firstLine(child)) as { url: string };
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it.each([
    [['--identities'], /argument missing|option '--identities <value>' argument missing/i],
    [[], /--identities FILE is required/],
    [['--identities', IDENTITIES, '--port', 'x'], /--port: expected an integer in 0\.\.65535, received "x"/],
    [['--identities', IDENTITIES, '--tls-cert', 'a.pem'], /--tls-cert and --tls-key must be given together/],
    [['--identities', IDENTITIES, '--bogus'], /unknown option '--bogus'/i],
    [
      ['--identities', '/nonexistent/identities.json'],
      /cannot read identities file "\/nonexistent\/identities.json"/,
    ],
  ])('refuses %j with a clear error', async (args, message) => {
    const { code, stderr } = await exitOf(launch(args));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
