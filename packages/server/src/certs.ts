import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import { isIP } from 'node:net';
import { x509 } from './x509.js';

/** A PEM certificate with its PEM private key, plus the key object when it can sign other certificates. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority extends CertificatePair {
  readonly subject: string;
  readonly signingKey: CryptoKey;
  readonly cert: x509.X509Certificate;
}

export interface CertificateOptions {
  /** Subject CN. */
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Default: now. */
  readonly now?: () => Date;
  /** Default 100 × 365 days (reference §3.2). */
  readonly validityDays?: number;
  /** 'rsa' (RSA-2048, PKCS#1 key PEM, the reference's choice) or 'ecdsa' (P-256, faster; for tests and demo). */
  readonly keyType?: 'rsa' | 'ecdsa';
  /** Extended key usage: server (default), client, or both. */
  readonly usage?: 'server' | 'client' | 'both';
}

const DAY_MS = 24 * 60 * 60 * 1000;
const subtle = webcrypto.subtle;

function algorithmFor(keyType: 'rsa' | 'ecdsa'): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return keyType === 'rsa'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: 2048,
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signingAlgorithm(keyType: 'rsa' | 'ecdsa'): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return keyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
}

async function exportKeyPem(key: CryptoKey, keyType: 'rsa' | 'ecdsa'): Promise<string> {
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', key));
  const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  // The reference writes `RSA PRIVATE KEY` (PKCS#1); EC keys get the matching SEC1 form.
  return keyObject.export({ format: 'pem', type: keyType === 'rsa' ? 'pkcs1' : 'sec1' }).toString();
}

function sanExtension(options: CertificateOptions): x509.Extension[] {
  const names: x509.JsonGeneralName[] = [];
  for (const ip of options.ipAddresses ?? []) names.push({ type: 'ip', value: ip });
  for (const dns of options.dnsNames ?? []) {
    if (isIP(dns) === 0) names.push({ type: 'dns', value: dns });
    else names.push({ type: 'ip', value: dns });
  }
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)];
}

function usages(usage: 'server' | 'client' | 'both'): string[] {
  if (usage === 'server') return [x509.ExtendedKeyUsage.serverAuth];
  if (usage === 'client') return [x509.ExtendedKeyUsage.clientAuth];
  return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
}

function serial(): string {
  // 128 random bits with the top bit cleared, so the DER integer stays positive.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function escapeCn(commonName: string): string {
  return commonName.replace(/([,+"\\<>;=])/g, '\\$1');
}

/**
 * A self-signed certificate that is also a CA (reference §3.2: IsCA, KeyEncipherment | DigitalSignature |
 * CertSign, ServerAuth, 100 years), so the webhook kubeconfig can use it as `certificate-authority-data`.
 */
export async function createSelfSignedCa(options: CertificateOptions): Promise<CertificateAuthority> {
  const keyType = options.keyType ?? 'rsa';
  const now = (options.now ?? (() => new Date()))();
  const keys = await subtle.generateKey(algorithmFor(keyType), true, ['sign', 'verify']);
  const subject = `CN=${escapeCn(options.commonName)}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 36500) * DAY_MS),
    signingAlgorithm: signingAlgorithm(keyType),
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usages(options.usage ?? 'server')),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...sanExtension(options),
    ],
  });
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: await exportKeyPem(keys.privateKey, keyType),
    subject,
    signingKey: keys.privateKey,
    cert,
  };
}

/** A leaf certificate signed by `ca` (client certificates for mTLS, the demo STS host certificate). */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: CertificateOptions,
): Promise<CertificatePair> {
  const keyType = options.keyType ?? 'rsa';
  const now = (options.now ?? (() => new Date()))();
  const keys = await subtle.generateKey(algorithmFor(keyType), true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escapeCn(options.commonName)}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 365) * DAY_MS),
    signingAlgorithm: signingAlgorithm(ca.signingKey.algorithm.name === 'ECDSA' ? 'ecdsa' : 'rsa'),
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usages(options.usage ?? 'server')),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      ...sanExtension(options),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey, keyType) };
}
