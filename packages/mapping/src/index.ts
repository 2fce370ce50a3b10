export { EMPTY_MAPPINGS } from './model.js';
export type {
  MapKey,
  MappingSet,
  ParseIssue,
  ParseResult,
  RoleMapping,
  SsoSelector,
  UserMapping,
} from './model.js';
export type { BackendName, BackendStatus, MappingBackend } from './backends/backend.js';
export { MAP_KEYS, isSkippableValue, parseAwsAuth } from './parse-aws-auth.js';
export { parseMappingsConfig } from './parse-mappings-config.js';
export { foldKey, roleDuplicateKey, validateRole, validateSso, validateUser } from './parse-entries.js';
export { buildMappingIndex, ssoKey } from './mapping-index.js';
export type { IndexHit, MappingIndex } from './mapping-index.js';
export { denialError, matchIdentity } from './match.js';
export type {
  MatchDenyReason,
  MatchOptions,
  MatchResult,
  MatchRule,
  MatchedIdentity,
  TraceStep,
} from './match.js';
export {
  EC2_PRIVATE_DNS_NAME,
  isInstanceId,
  needsEc2PrivateDnsName,
  renderMapping,
  substituteTemplate,
} from './template.js';
export type { RenderedMapping, TemplateValues } from './template.js';
export { createEc2DnsResolver, createRateLimiter } from './ec2-dns-resolver.js';
export type {
  DescribeInstancesFn,
  Ec2DnsResolver,
  Ec2DnsResolverOptions,
  Ec2StaticCredentials,
} from './ec2-dns-resolver.js';
export { createMappingMetrics } from './metrics.js';
export type { MappingMetrics } from './metrics.js';
// aws-auth edits (edit/): one safe write path, lint, export, history
export { planEdit, parseErrors } from './edit/plan-edit.js';
export type { AwsAuthData, EditChange, EditPlan, PlanOptions } from './edit/plan-edit.js';
export { CONFIGMAP_MAX_BYTES, runSafeEdit } from './edit/safe-edit.js';
export type { SafeEditOptions, SafeEditResult } from './edit/safe-edit.js';
export { EditConflictError, HISTORY_KEEP } from './edit/store.js';
export type { AwsAuthSnapshot, AwsAuthStore, HistoryEntry, HistoryStore } from './edit/store.js';
export { createDirHistoryStore, createFileStore, writeFileAtomic } from './edit/file-store.js';
// The cluster-facing code (it loads @kubernetes/client-node, ≈ 0.6 s): '@iam-authenticator/mapping/kube'.
export type { KubeConnectOptions, KubeStoreOptions } from './edit/kube-store.js';
export { newManifest, readManifest, writeManifestData } from './edit/manifest.js';
export {
  arnMatchKey,
  checkAccountId,
  checkMappingArn,
  checkSso,
  parseSsoFlag,
  ssoWarnings,
} from './edit/identity-input.js';
export type { CheckedArn, SsoInput } from './edit/identity-input.js';
export { applyListEdit, readYamlList } from './edit/yaml-list-edit.js';
export { renderDataDiff } from './edit/render-diff.js';
export { lintAwsAuth } from './edit/lint.js';
export type { LintFinding, LintReport, LintSeverity } from './edit/lint.js';
export {
  planAccessEntries,
  renderAccessEntryCommands,
  renderTerraform,
} from './edit/export-access-entries.js';
export type { AccessEntryPlan, MigrationPlan } from './edit/export-access-entries.js';
export { readField } from './edit/entry-fields.js';
export type { ConfigMapBackendOptions } from './backends/configmap-backend.js';
export type { CrdBackendOptions, IAMIdentityMapping } from './backends/crd-backend.js';
export type { BackoffOptions } from './backends/kube-client.js';
export {
  MappingConfigError,
  assertMappingsValid,
  createMountedFileBackend,
  formatIssue,
} from './backends/mounted-file.js';
export { createDynamicFileBackend } from './backends/dynamic-file.js';
export type {
  DynamicFileBackend,
  DynamicFileBackendOptions,
  DynamicFileLoadOutcome,
} from './backends/dynamic-file.js';
export { parseDynamicFile } from './backends/dynamic-file-format.js';
export type { DynamicFileParse } from './backends/dynamic-file-format.js';
export type { KubeConfigOptions } from './backends/kube-config.js';
export type { KubeConfig } from '@kubernetes/client-node';
export { createStaticBackend } from './backends/static-backend.js';
