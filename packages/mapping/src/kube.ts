/**
 * '@iam-authenticator/mapping/kube': the code that talks to a Kubernetes API server. Kept apart from the
 * package index because @kubernetes/client-node takes ≈ 0.6 s to load, which `mapping … --file` and the
 * other local commands do not need.
 */
export { connectCoreV1, createConfigMapHistoryStore, createKubeStore } from './edit/kube-store.js';
export { createConfigMapBackend } from './backends/configmap-backend.js';
export {
  IAM_IDENTITY_MAPPING_GROUP,
  IAM_IDENTITY_MAPPING_PLURAL,
  IAM_IDENTITY_MAPPING_VERSION,
  createCrdBackend,
} from './backends/crd-backend.js';
export { DEFAULT_BACKOFF, DEFAULT_RESYNC_INTERVAL_MS, describeKubeError } from './backends/kube-client.js';
export { loadKubeConfig } from './backends/kube-config.js';
