import { AuthError } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import {
  assertMappingsValid,
  createConfigMapBackend,
  createCrdBackend,
  createDynamicFileBackend,
  createMappingMetrics,
  createMountedFileBackend,
  formatIssue,
  parseMappingsConfig,
} from '@iam-authenticator/mapping';
import type { MappingBackend, ParseIssue } from '@iam-authenticator/mapping';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './config.js';

/**
 * Problems of `server.mapRoles` / `mapUsers` / `mapAccounts` with dotted paths, for the start-up report
 * (MountedFile stops the server on any invalid entry, as the reference).
 */
export function mountedFileProblems(config: ServerConfig): string[] {
  if (!config.backendMode.includes('MountedFile')) return [];
  const parsed = parseMappingsConfig({
    mapRoles: config.mapRoles,
    mapUsers: config.mapUsers,
    mapAccounts: config.mapAccounts,
  });
  try {
    assertMappingsValid(parsed);
    return [];
  } catch (error) {
    const issues = (error as { issues?: readonly ParseIssue[] }).issues;
    if (issues === undefined) throw error;
    return issues.map((issue) => `server.${formatIssue(issue)}`);
  }
}

async function loadKubeConfig(config: ServerConfig) {
  // Loaded only for the Kubernetes backends, so a MountedFile-only server never loads client-node.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  try {
    if (config.kubeconfig !== '') kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new AuthError(
      'config_invalid',
      `server.kubeconfig: cannot load ${JSON.stringify(config.kubeconfig)}: ${error instanceof Error ? error.message : 'error'}`,
    );
  }
  if (config.master !== '') {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster !== null) {
      kubeConfig.clusters = kubeConfig.clusters.map((c) =>
        c.name === cluster.name ? { ...c, server: config.master } : c,
      );
    } else {
      kubeConfig.loadFromClusterAndUser(
        { name: 'master', server: config.master, skipTLSVerify: false },
        { name: 'default' },
      );
    }
  }
  return kubeConfig;
}

/** The mapper chain in `backendMode` order. */
export async function buildBackends(
  config: ServerConfig,
  options: { logger: Logger; registry: Registry; now: () => Date },
): Promise<MappingBackend[]> {
  const metrics = createMappingMetrics(options.registry);
  const backends: MappingBackend[] = [];
  let kubeConfig: Awaited<ReturnType<typeof loadKubeConfig>> | undefined;
  for (const mode of config.backendMode) {
    switch (mode) {
      case 'MountedFile':
        backends.push(
          createMountedFileBackend(
            parseMappingsConfig({
              mapRoles: config.mapRoles,
              mapUsers: config.mapUsers,
              mapAccounts: config.mapAccounts,
            }),
          ),
        );
        break;
      case 'DynamicFile':
        backends.push(
          createDynamicFileBackend({
            path: config.dynamicFilePath,
            userIDStrict: config.dynamicFileUserIdStrict,
            logger: options.logger,
            registry: options.registry,
            now: options.now,
          }),
        );
        break;
      case 'EKSConfigMap':
        kubeConfig ??= await loadKubeConfig(config);
        backends.push(createConfigMapBackend({ kubeConfig, logger: options.logger, metrics }));
        break;
      case 'CRD':
        kubeConfig ??= await loadKubeConfig(config);
        backends.push(createCrdBackend({ kubeConfig, logger: options.logger, metrics }));
        break;
    }
  }
  return backends;
}
