import { writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CLIENT_CA_FILE,
  CLIENT_CERT_FILE,
  CLIENT_KEY_FILE,
  createSelfSignedCa,
  issueCertificate,
  loadOrCreateServingCert,
  writeWebhookKubeconfig,
} from '@iam-authenticator/server';
import type { CliIo } from '../io.js';
import { createCliLogger, parseServerLogFormat } from '../server-cli/logger.js';
import { loadServerConfig, reportProblems } from './server.js';

export const INIT_KUBECONFIG_FILE = 'aws-iam-authenticator.kubeconfig';

const USAGE = `usage: iam-authenticator init -i CLUSTER [--state-dir D] [--client-cert] [--hostname H] [--address A] [--port P]

Writes cert.pem, key.pem and the webhook kubeconfig (for kube-apiserver's
--authentication-token-webhook-config-file). Without --state-dir (and without the ConfiguredInitDirectories
gate) the files go to the current directory. --client-cert also writes client-ca.pem (give it to
\`server --client-ca\`) and a client certificate for kube-apiserver, referenced from the kubeconfig.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, resolved } = await loadServerConfig(args, io, { allowClientCert: true });
  if (values.help === true) {
    io.stderr.write(USAGE);
    return 0;
  }
  if (resolved.config === undefined) return reportProblems(resolved.problems, io);
  const config = resolved.config;
  const { format, warning } = parseServerLogFormat(values['log-format']);
  const logger = createCliLogger(io.stderr, values['log-verbosity'] ?? 'warn', format);
  if (warning !== undefined) logger.warn({ detail: warning }, 'config warning');
  const configured = config.featureGates['ConfiguredInitDirectories'] === true;
  const dir = resolve(io.cwd, values['state-dir'] ?? (configured ? config.stateDir : '.'));
  const kubeconfigPath = resolve(
    io.cwd,
    values['generate-kubeconfig'] ??
      (configured ? config.generateKubeconfig : join(dir, INIT_KUBECONFIG_FILE)),
  );
  const serving = await loadOrCreateServingCert(
    { stateDir: dir, address: config.address, hostname: config.hostname, now: io.now },
    logger,
  );
  let client: { certPem: string; keyPem: string } | undefined;
  if (values['client-cert'] === true) {
    const ca = await createSelfSignedCa({
      commonName: 'aws-iam-authenticator-client-ca',
      usage: 'client',
      now: io.now,
      validityDays: 3650,
    });
    client = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      usage: 'client',
      now: io.now,
      validityDays: 3650,
    });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, CLIENT_CA_FILE), ca.certPem, { mode: 0o644 });
    await writeFile(join(dir, CLIENT_CERT_FILE), client.certPem, { mode: 0o644 });
    await writeFile(join(dir, CLIENT_KEY_FILE), client.keyPem, { mode: 0o600 });
  }
  await writeWebhookKubeconfig({
    path: kubeconfigPath,
    caCertPem: serving.certPem,
    hostname: config.hostname,
    port: config.port,
    ...(client === undefined ? {} : { clientCertPem: client.certPem, clientKeyPem: client.keyPem }),
  });
  io.stderr.write(
    `wrote ${serving.certPath}, ${serving.keyPath} and ${kubeconfigPath}\n` +
      `start kube-apiserver with --authentication-token-webhook-config-file=${kubeconfigPath}\n` +
      (client === undefined
        ? ''
        : `run the server with --client-ca ${join(dir, CLIENT_CA_FILE)} so only kube-apiserver's certificate is accepted\n`),
  );
  return 0;
}
