export { createServer } from './server.js';
export { createApp, createRequestListener } from './app.js';
export type { AppOptions, HealthReport } from './app.js';
export type { ServerDeps, StartedServer, WebhookServer } from './server.js';
export { PARTITION_IDS, mountedFileProblems, parseDurationSeconds, resolveServerConfig } from './config.js';
export type {
  ResolvedServerConfig,
  ServerBackendMode,
  ServerConfig,
  ServerFlagValue,
  ServerFlags,
} from './config.js';
export { createSelfSignedCa, issueCertificate } from './certs.js';
export type { CertificateAuthority, CertificateOptions, CertificatePair } from './certs.js';
export { renderWebhookKubeconfig, webhookServerUrl } from './kubeconfig.js';
export type { WebhookKubeconfigOptions } from './kubeconfig.js';
export {
  CERT_FILE,
  CLIENT_CA_FILE,
  CLIENT_CERT_FILE,
  CLIENT_KEY_FILE,
  KEY_FILE,
  readClientCertPair,
  generateServingCert,
  loadOrCreateServingCert,
  servingSans,
  writeWebhookKubeconfig,
} from './serving-cert.js';
export type { KubeconfigWriteOptions, ServingCert, ServingCertOptions } from './serving-cert.js';
export { IdentityCache } from './identity-cache.js';
export type { CacheLookup, Expiring, IdentityCacheOptions } from './identity-cache.js';
export { createServerMetrics } from './metrics.js';
export type { ReviewResult, ServerMetrics } from './metrics.js';
export {
  parseTokenReview,
  tokenReviewAllowed,
  tokenReviewDenied,
  TOKEN_REVIEW_API_VERSIONS,
} from './token-review.js';
export type {
  ParsedReview,
  ReviewedUser,
  TokenReviewApiVersion,
  TokenReviewRequest,
} from './token-review.js';
export { buildUser, createAuthenticator, resultLabel } from './authenticate.js';
export type { AuthenticatorOptions, MappingOutcome, ReviewAnswer } from './authenticate.js';
export type { Pipeline, PipelineDeps, StsClientLike } from './pipeline.js';
export { buildBackends } from './backends.js';
