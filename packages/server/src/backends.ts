import type { Logger } from '@iam-authenticator/core';
import {
  createDynamicFileBackend,
  createMappingMetrics,
  createMountedFileBackend,
  parseMappingsConfig,
} from '@iam-authenticator/mapping';
import { createConfigMapBackend, createCrdBackend, loadKubeConfig } from '@iam-authenticator/mapping/kube';
import type { KubeConfig, MappingBackend } from '@iam-authenticator/mapping';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './config.js';

/** The mapper chain in `backendMode` order. */
export function buildBackends(
  config: ServerConfig,
  options: { logger: Logger; registry: Registry; now: () => Date },
): MappingBackend[] {
  const metrics = createMappingMetrics(options.registry);
  const backends: MappingBackend[] = [];
  let kubeConfig: KubeConfig | undefined;
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
        kubeConfig ??= loadKubeConfig({ kubeconfigPath: config.kubeconfig, master: config.master });
        backends.push(createConfigMapBackend({ kubeConfig, logger: options.logger, metrics }));
        break;
      case 'CRD':
        kubeConfig ??= loadKubeConfig({ kubeconfigPath: config.kubeconfig, master: config.master });
        backends.push(createCrdBackend({ kubeConfig, logger: options.logger, metrics }));
        break;
    }
  }
  return backends;
}
