import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StsEmulator } from '@iam-authenticator/sts-emulator';
import { loadIdentitiesFile, startStsEmulator } from '@iam-authenticator/sts-emulator';
import { decodeToken, presignCallerIdentity } from '@iam-authenticator/token';
import type { TestKeyPair } from '../support/index.js';
import { createTestCa, issueTestCert } from '../support/index.js';

const IDENTITIES_PATH = new URL('../../../packages/sts-emulator/testdata/identities.json', import.meta.url)
  .pathname;
const sample = JSON.parse(readFileSync(IDENTITIES_PATH, 'utf8')) as {
  users: { accessKeyId: string; secretAccessKey: string; arn: string }[];
};
const alice = sample.users.find((u) => u.arn.endsWith('/alice'))!;
const ALICE = { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey };
const STS_HOST = 'sts.us-west-2.amazonaws.com';

let ca: TestKeyPair;
let serving: TestKeyPair;
let emulator: StsEmulator;

beforeAll(async () => {
  ca = await createTestCa('sts-emulator-test-ca');
  serving = await issueTestCert(ca, { dnsNames: [STS_HOST, 'localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  emulator = await startStsEmulator({
    identities: loadIdentitiesFile(IDENTITIES_PATH),
    tls: { cert: serving.certPem, key: serving.keyPem },
  });
});
afterAll(async () => {
  await emulator.close();
});

function get(
  path: string,
  headers: Record<string, string>,
  options: { ca?: string; servername?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${emulator.url}${path}`, { headers, ...options }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('test TLS material', () => {
  it('issues a CA and leaf certificates with the SANs asked for', async () => {
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    const leaf = new X509Certificate(serving.certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.checkHost(STS_HOST)).toBe(STS_HOST);
    expect(leaf.checkHost('sts.us-east-1.amazonaws.com')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const client = new X509Certificate(
      (await issueTestCert(ca, { dnsNames: ['kube-apiserver'], client: true })).certPem,
    );
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(client.verify(caCert.publicKey)).toBe(true);
    // Another CA's certificate does not chain to this one.
    const other = new X509Certificate((await createTestCa('other')).certPem);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it('refuses a certificate without any name', async () => {
    await expect(issueTestCert(ca, { dnsNames: [] })).rejects.toThrow('at least one DNS name or IP address');
    await expect(issueTestCert(ca, { dnsNames: ['a'], ipAddresses: ['not-an-ip'] })).rejects.toThrow(
      'expected an IP address, received "not-an-ip"',
    );
  });
});

describe('sts emulator over TLS', () => {
  it('serves https with a certificate that names the real STS host', async () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { token } = await presignCallerIdentity({
      credentials: ALICE,
      clusterId: 'c1',
      region: 'us-west-2',
    });
    const url = new URL(decodeToken(token));
    const result = await get(
      `${url.pathname}${url.search}`,
      { host: STS_HOST, 'x-k8s-aws-id': 'c1', accept: 'application/json' },
      { ca: ca.certPem, servername: STS_HOST },
    );
    expect(result.status).toBe(200);
    expect(result.body).toContain('"Arn":"arn:aws:iam::111122223333:user/alice"');
  });

  it('is refused by a client that does not trust the test CA', async () => {
    const other = await createTestCa('untrusted');
    await expect(get('/_emulator/healthz', {}, { ca: other.certPem, servername: STS_HOST })).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
  });

  it('works with the AWS SDK trusting the test CA', async () => {
    const client = new STSClient({
      region: 'us-west-2',
      endpoint: emulator.url,
      credentials: ALICE,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: ca.certPem }) }),
    });
    const caller = await client.send(new GetCallerIdentityCommand({}));
    expect(caller.Arn).toBe('arn:aws:iam::111122223333:user/alice');
  });
});
