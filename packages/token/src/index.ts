export {
  CLUSTER_ID_HEADER,
  MAX_TOKEN_BYTES,
  TOKEN_PREFIX,
  decodeToken,
  encodeToken,
} from './token-format.js';
export type { Identity } from './identity.js';
export { PARTITIONS, isPartitionId, partitionById, partitionOfRegion } from './partitions.js';
export type { PartitionId, PartitionInfo } from './partitions.js';
export {
  DEFAULT_TOKEN_REGION,
  endpointFlagsFromEnv,
  resolveStsEndpoint,
  resolveTokenRegion,
} from './endpoints.js';
export type {
  EndpointProfileSettings,
  StsEndpoint,
  StsEndpointOptions,
  TokenRegionOptions,
} from './endpoints.js';
export { PRESIGN_EXPIRES_SECONDS, TOKEN_LIFETIME_MS, presignCallerIdentity } from './presign.js';
export type { AwsCredentials, PresignOptions, PresignedToken } from './presign.js';
export {
  EXEC_API_V1,
  EXEC_API_V1ALPHA1,
  EXEC_API_V1BETA1,
  formatExecCredential,
  formatExpirationTimestamp,
  negotiateExecApiVersion,
} from './exec-credential.js';
export type { ExecApiNegotiation, ExecCredentialOptions } from './exec-credential.js';
export { canonicalizeArn, classifyArn, parseArn, stripRolePath } from './arn.js';
export type { ClassifiedArn, ParsedArn, PrincipalKind } from './arn.js';
export { arnLike, arnLikeSectionPattern } from './arn-like.js';
export {
  GLOBAL_STS_HOST,
  GLOBAL_STS_SIGNING_REGION,
  isAllowedStsHost,
  parseStsHost,
} from './host-allow-list.js';
export type { StsHostOptions, StsHostParts } from './host-allow-list.js';
export {
  MAX_CLOCK_SKEW_MS,
  MAX_EXPIRES_SECONDS,
  PRESIGNED_URL_LIFETIME_MS,
  validateToken,
} from './validate-token.js';
export type { ValidatedToken, VerifierConfig } from './validate-token.js';
export {
  DEFAULT_STS_MAX_CONCURRENCY,
  DEFAULT_STS_TIMEOUT_MS,
  StsAnswer,
  createStsClient,
} from './sts-client.js';
export type {
  CallerIdentity,
  StsCallEvent,
  StsCallOutcome,
  StsClient,
  StsClientOptions,
} from './sts-client.js';
export { buildIdentity } from './build-identity.js';
export { verifyToken } from './verify-token.js';
export type { VerifyOptions } from './verify-token.js';
