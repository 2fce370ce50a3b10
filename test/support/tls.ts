import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** A PEM certificate and its PKCS#8 PEM private key. */
export interface TestKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueTestCertOptions {
  /** DNS SANs, e.g. ['sts.us-west-2.amazonaws.com', 'localhost']; the first one is also the CN. */
  readonly dnsNames: readonly string[];
  /** IP SANs, e.g. ['127.0.0.1', '::1']. */
  readonly ipAddresses?: readonly string[];
  /** A client certificate (extKeyUsage clientAuth) instead of a serving one (serverAuth). */
  readonly client?: boolean;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600_000;

function useWebcrypto(): void {
  x509.cryptoProvider.set(webcrypto as never);
}

function toPem(der: ArrayBuffer, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function fromPem(pem: string, label: string): ArrayBuffer {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (match === null) throw new Error(`expected a PEM block ${JSON.stringify(label)}`);
  const der = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64');
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength);
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** A throw-away self-signed CA (ECDSA P-256), valid from a day ago for ten years. */
export async function createTestCa(name = 'iam-authenticator-test-ca'): Promise<TestKeyPair> {
  useWebcrypto();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys: keys as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: `${cert.toString('pem')}\n`, keyPem: toPem(keyDer, 'PRIVATE KEY') };
}

/** A leaf certificate signed by `ca` whose SANs name `dnsNames` and `ipAddresses`. */
export async function issueTestCert(ca: TestKeyPair, options: IssueTestCertOptions): Promise<TestKeyPair> {
  useWebcrypto();
  const ipAddresses = options.ipAddresses ?? [];
  if (options.dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('issueTestCert: expected at least one DNS name or IP address');
  }
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0)
      throw new Error(`issueTestCert: expected an IP address, received ${JSON.stringify(ip)}`);
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    fromPem(ca.keyPem, 'PRIVATE KEY'),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const commonName = options.dnsNames[0] ?? ipAddresses[0] ?? 'test';
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    publicKey: keys.publicKey as never,
    signingKey: caKey as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        options.client === true ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: `${cert.toString('pem')}\n`, keyPem: toPem(keyDer, 'PRIVATE KEY') };
}
