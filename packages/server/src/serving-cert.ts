import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import type { Logger } from '@iam-authenticator/core';
import { createSelfSignedCa } from './certs.js';
import { renderWebhookKubeconfig, webhookServerUrl } from './kubeconfig.js';

export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';

export interface ServingCertOptions {
  readonly stateDir: string;
  readonly address: string;
  readonly hostname: string;
  readonly now: () => Date;
  readonly keyType?: 'rsa' | 'ecdsa';
}

export interface ServingCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly generated: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** SANs as the reference (§3.2): address as IP unless unspecified; hostname as IP or DNS. */
export function servingSans(
  address: string,
  hostname: string,
): { dnsNames: string[]; ipAddresses: string[] } {
  const ipAddresses: string[] = [];
  const dnsNames: string[] = [];
  if (address !== '0.0.0.0' && address !== '::' && isIP(address) !== 0) ipAddresses.push(address);
  if (isIP(hostname) !== 0) {
    if (hostname !== address) ipAddresses.push(hostname);
  } else if (hostname !== '') dnsNames.push(hostname);
  return { dnsNames, ipAddresses };
}

/** Generates cert.pem/key.pem into the state dir (both overwritten when either is missing). */
export async function generateServingCert(options: ServingCertOptions): Promise<ServingCert> {
  const certPath = join(options.stateDir, CERT_FILE);
  const keyPath = join(options.stateDir, KEY_FILE);
  const ca = await createSelfSignedCa({
    commonName: 'aws-iam-authenticator',
    ...servingSans(options.address, options.hostname),
    now: options.now,
    ...(options.keyType === undefined ? {} : { keyType: options.keyType }),
  });
  await mkdir(options.stateDir, { recursive: true });
  await writeFile(certPath, ca.certPem, { mode: 0o644 });
  await writeFile(keyPath, ca.keyPem, { mode: 0o600 });
  return { certPem: ca.certPem, keyPem: ca.keyPem, certPath, keyPath, generated: true };
}

/** Loads cert.pem/key.pem when both exist (a read error is fatal), else generates them. */
export async function loadOrCreateServingCert(
  options: ServingCertOptions,
  logger: Logger,
): Promise<ServingCert> {
  const certPath = join(options.stateDir, CERT_FILE);
  const keyPath = join(options.stateDir, KEY_FILE);
  if ((await exists(certPath)) && (await exists(keyPath))) {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    logger.info({ certPath, keyPath }, 'loaded existing serving certificate');
    return { certPem, keyPem, certPath, keyPath, generated: false };
  }
  const generated = await generateServingCert(options);
  logger.info({ certPath, keyPath }, 'generated serving certificate');
  return generated;
}

export interface KubeconfigWriteOptions {
  readonly path: string;
  readonly caCertPem: string;
  readonly hostname: string;
  readonly port: number;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export async function writeWebhookKubeconfig(options: KubeconfigWriteOptions): Promise<string> {
  const text = renderWebhookKubeconfig({
    caCertPem: options.caCertPem,
    serverUrl: webhookServerUrl(options.hostname, options.port),
    ...(options.clientCertPem === undefined ? {} : { clientCertPem: options.clientCertPem }),
    ...(options.clientKeyPem === undefined ? {} : { clientKeyPem: options.clientKeyPem }),
  });
  await mkdir(dirname(options.path), { recursive: true });
  // Holds client-key-data with --client-cert: keep it private.
  await writeFile(options.path, text, { mode: options.clientKeyPem === undefined ? 0o644 : 0o600 });
  return text;
}

/** Files `init --client-cert` writes into the state dir (kube-apiserver's mTLS identity and its CA). */
export const CLIENT_CA_FILE = 'client-ca.pem';
export const CLIENT_CERT_FILE = 'client.pem';
export const CLIENT_KEY_FILE = 'client-key.pem';

/**
 * The client certificate `init --client-cert` left in the state dir, if any. The server puts it back
 * into the webhook kubeconfig it (re)writes, so kube-apiserver keeps its mTLS identity.
 */
export async function readClientCertPair(
  stateDir: string,
): Promise<{ certPem: string; keyPem: string } | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(stateDir, CLIENT_CERT_FILE), 'utf8'),
      readFile(join(stateDir, CLIENT_KEY_FILE), 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
