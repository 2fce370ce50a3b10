export {};
export { readWebhookKubeconfig, startKubeApiserverStandin } from './kube-apiserver-standin.js';
export type {
  KubeApiserverStandin,
  StandinOptions,
  StandinStats,
  WebhookUser,
} from './kube-apiserver-standin.js';
export { startKubeApiServer } from './kube-api-server.js';
export type {
  InjectedFailure,
  KubeApiServerOptions,
  KubeconfigOptions,
  KubeApiTestServer,
  KubeObject,
  RecordedRequest,
} from './kube-api-server.js';
export { createTestCa, issueTestCert } from './tls.js';
export type { IssueTestCertOptions, TestKeyPair } from './tls.js';
export { runProcess } from './run-process.js';
export type { ProcessResult, RunProcessOptions } from './run-process.js';
export { postJson } from './https-post.js';
export { CLI_BIN, loopbackServerKeys, startServerProcess } from './server-process.js';
export type { ServerProcess } from './server-process.js';
export {
  STS_TEST_CLUSTER,
  STS_TEST_NOW,
  STS_TEST_OK_BODY,
  authErrorOf,
  validatedTestToken,
} from './sts-tokens.js';
