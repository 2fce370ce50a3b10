import { KubeConfig } from '@kubernetes/client-node';
import { AuthError } from '@iam-authenticator/core';

export interface KubeConfigOptions {
  /** `server.kubeconfig`; empty: KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  readonly kubeconfigPath: string;
  /** `server.master`: overrides the API server URL of the loaded config (reference flag --master). */
  readonly master: string;
}

/** The API client configuration of the EKSConfigMap and CRD backends (client-node stays in this package). */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfigPath !== '') kubeConfig.loadFromFile(options.kubeconfigPath);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `server.kubeconfig: cannot load ${JSON.stringify(options.kubeconfigPath)}: ${error instanceof Error ? error.message : 'error'}`,
    );
  }
  if (options.master !== '') {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster !== null) {
      kubeConfig.clusters = kubeConfig.clusters.map((c) =>
        c.name === cluster.name ? { ...c, server: options.master } : c,
      );
    } else {
      kubeConfig.loadFromClusterAndUser(
        { name: 'master', server: options.master, skipTLSVerify: false },
        { name: 'default' },
      );
    }
  }
  return kubeConfig;
}
