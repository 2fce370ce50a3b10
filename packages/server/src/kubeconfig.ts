import { isIP } from 'node:net';

/** Reference §3.2 / TestServerUrl: `https://` + JoinHostPort(hostname, port) + `/authenticate`. */
export function webhookServerUrl(hostname: string, port: number): string {
  const host = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return `https://${host}:${port}/authenticate`;
}

export interface WebhookKubeconfigOptions {
  /** PEM of the serving certificate (a self-signed CA), trusted by kube-apiserver. */
  readonly caCertPem: string;
  readonly serverUrl: string;
  /** With `--client-cert`: the certificate kube-apiserver presents (mTLS). */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

/**
 * The webhook kubeconfig for kube-apiserver's --authentication-token-webhook-config-file, in the exact
 * text of the reference (§3.2: starts with a newline, no apiVersion/kind, base64 of the PEM text).
 */
export function renderWebhookKubeconfig(options: WebhookKubeconfigOptions): string {
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  const user =
    options.clientCertPem !== undefined && options.clientKeyPem !== undefined
      ? `  - name: apiserver
    user:
      client-certificate-data: ${b64(options.clientCertPem)}
      client-key-data: ${b64(options.clientKeyPem)}
`
      : `  - name: apiserver
`;
  return `
clusters:
  - name: aws-iam-authenticator
    cluster:
      certificate-authority-data: ${b64(options.caCertPem)}
      server: ${options.serverUrl}
# user refers to the API server client
users:
${user}current-context: webhook
contexts:
- name: webhook
  context:
    cluster: aws-iam-authenticator
    user: apiserver
`;
}
