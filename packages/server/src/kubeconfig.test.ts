import { renderWebhookKubeconfig, webhookServerUrl } from './kubeconfig.js';

describe('webhookServerUrl (reference TestServerUrl)', () => {
  it.each([
    ['example.com', 6443, 'https://example.com:6443/authenticate'],
    ['127.0.0.1', 8080, 'https://127.0.0.1:8080/authenticate'],
    ['2001:db8::1:0', 1234, 'https://[2001:db8::1:0]:1234/authenticate'],
  ] as const)('%s:%s', (host, port, url) => {
    expect(webhookServerUrl(host, port)).toBe(url);
  });
});

describe('renderWebhookKubeconfig', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  it('matches the reference text exactly', () => {
    expect(
      renderWebhookKubeconfig({ caCertPem: pem, serverUrl: 'https://localhost:21362/authenticate' }),
    ).toBe(
      `
clusters:
  - name: aws-iam-authenticator
    cluster:
      certificate-authority-data: ${Buffer.from(pem).toString('base64')}
      server: https://localhost:21362/authenticate
# user refers to the API server client
users:
  - name: apiserver
current-context: webhook
contexts:
- name: webhook
  context:
    cluster: aws-iam-authenticator
    user: apiserver
`,
    );
  });
  it('references the client certificate with --client-cert', () => {
    const text = renderWebhookKubeconfig({
      caCertPem: pem,
      serverUrl: 'https://localhost:1/authenticate',
      clientCertPem: 'CERT',
      clientKeyPem: 'KEY',
    });
    expect(text).toContain(
      `    user:\n      client-certificate-data: ${Buffer.from('CERT').toString('base64')}\n`,
    );
    expect(text).toContain(`      client-key-data: ${Buffer.from('KEY').toString('base64')}\n`);
  });
});
