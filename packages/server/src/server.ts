import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@iam-authenticator/core';
import { formatIssue } from '@iam-authenticator/mapping';
import type { MappingBackend } from '@iam-authenticator/mapping';
import { Registry } from 'prom-client';
import { createRequestListener, healthText } from './app.js';
import type { HealthReport } from './app.js';
import { createAuthenticator } from './authenticate.js';
import type { ServerConfig } from './config.js';
import { IdentityCache } from './identity-cache.js';
import type { Identity } from '@iam-authenticator/token';
import { createServerMetrics } from './metrics.js';
import type { ServerMetrics } from './metrics.js';
import { buildPipeline } from './pipeline.js';
import type { PipelineDeps, StsClientLike } from './pipeline.js';
import { loadOrCreateServingCert, readClientCertPair, writeWebhookKubeconfig } from './serving-cert.js';
import { watchFiles } from './tls-watch.js';

export interface ServerDeps {
  readonly logger: Logger;
  /** Clock for token freshness and the identity cache. Default: the system clock. */
  readonly now?: () => Date;
  /** STS client (default: createStsClient from the config). Closed by stop() only if the server built it. */
  readonly sts?: StsClientLike;
  /** Mapping backends (default: built from config.backendMode). Started and stopped by the server. */
  readonly backends?: readonly MappingBackend[];
  /** Metrics registry (default: a fresh one). */
  readonly registry?: Registry;
  /** Extra pipeline knobs for tests (EC2 resolver). */
  readonly pipeline?: Partial<PipelineDeps>;
  /** Where the STS client reads HTTPS_PROXY/NO_PROXY (the CLI passes its env). Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface StartedServer {
  /** `https://HOST:PORT` of the TLS listener (append /authenticate). */
  readonly url: string;
  /** `http://HOST:PORT` of the plain health listener. */
  readonly healthUrl: string;
  readonly port: number;
  readonly healthPort: number;
}

export interface WebhookServer {
  start(): Promise<StartedServer>;
  /** Stops accepting, lets in-flight reviews finish (up to `drainMs`, default 10 s), then closes everything. */
  stop(options?: { drainMs?: number }): Promise<void>;
  /** Re-reads the serving cert/key (and client CA); keeps the old context when the new files are bad. */
  reloadTls(): Promise<boolean>;
  readonly registry: Registry;
  readonly metrics: ServerMetrics;
}

const listen = (server: HttpServer | HttpsServer, port: number, host: string): Promise<AddressInfo> =>
  new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise(server.address() as AddressInfo);
    });
  });

/**
 * Stops accepting and lets in-flight requests finish (at most `drainMs`). A keep-alive connection whose
 * request finishes becomes idle, so idle connections are closed again every 100 ms rather than only
 * once: the drain ends when the last review does, not after `drainMs`.
 */
const closeServer = (server: HttpServer | HttpsServer, drainMs: number): Promise<void> =>
  new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, drainMs);
    timer.unref();
    const idle = setInterval(() => {
      server.closeIdleConnections();
    }, 100);
    idle.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(idle);
      resolvePromise();
    });
    server.closeIdleConnections();
  });

const hostForUrl = (address: string): string =>
  address === '0.0.0.0'
    ? '127.0.0.1'
    : address === '::'
      ? '[::1]'
      : address.includes(':')
        ? `[${address}]`
        : address;

/** The TokenReview webhook: an HTTPS (optionally mTLS) listener plus a plain-HTTP health listener. */
export function createServer(config: ServerConfig, deps: ServerDeps): WebhookServer {
  const logger = deps.logger;
  const now = deps.now ?? (() => new Date());
  const registry = deps.registry ?? new Registry();
  const metrics = createServerMetrics(registry);
  let https: HttpsServer | undefined;
  let health: HttpServer | undefined;
  let stopWatch: (() => void) | undefined;
  let pipeline: Awaited<ReturnType<typeof buildPipeline>> | undefined;
  let certPath = '';
  let keyPath = '';

  const readTls = async (): Promise<{ cert: string; key: string; ca?: string }> => {
    const [cert, key, ca] = await Promise.all([
      readFile(certPath, 'utf8'),
      readFile(keyPath, 'utf8'),
      config.clientCaFile === '' ? Promise.resolve(undefined) : readFile(config.clientCaFile, 'utf8'),
    ]);
    return ca === undefined ? { cert, key } : { cert, key, ca };
  };

  const reloadTls = async (): Promise<boolean> => {
    if (https === undefined) return false;
    try {
      const material = await readTls();
      createSecureContext({ ...material, minVersion: 'TLSv1.2' }); // throws on a bad or mismatched pair
      https.setSecureContext({ ...material, minVersion: 'TLSv1.2' });
      logger.info({ certPath, keyPath, clientCa: config.clientCaFile }, 'reloaded TLS certificate');
      return true;
    } catch (error) {
      logger.error(
        { certPath, keyPath, err: error instanceof Error ? error.message : 'non-error' },
        'TLS reload failed, keeping the previous certificate',
      );
      return false;
    }
  };

  /**
   * Readiness: every backend synced. With `detail` (the TLS port), a backend's last error and the
   * problems of its last load (a key kept from its last good version, dropped entries: DESIGN.md
   * difference 5) are shown; the plain port, on every interface by default, names backends only.
   */
  const healthReport = (detail: boolean): HealthReport => {
    const statuses = (pipeline?.chain() ?? []).map((backend) => backend.status());
    let degraded = false;
    const lines = statuses.map((status) => {
      if (!status.synced) {
        const why = detail && status.lastError !== undefined ? ` (${status.lastError})` : '';
        return `${status.name}: not synced${why}`;
      }
      // Errors, and what else was said about those keys (a key kept from its last good version).
      const failed = new Set(status.issues.filter((i) => i.severity === 'error').map((i) => i.key));
      const problems = status.issues.filter((issue) => failed.has(issue.key));
      if (!detail || problems.length === 0) return `${status.name}: synced`;
      degraded = true;
      const shown = problems.slice(0, 3).map(formatIssue).join('; ');
      return `${status.name}: synced, ${problems.length} problem${problems.length === 1 ? '' : 's'} in its last load: ${shown}${problems.length > 3 ? '; …' : ''}`;
    });
    const ok = pipeline !== undefined && statuses.every((status) => status.synced);
    return { ok, lines, degraded };
  };

  return {
    registry,
    metrics,
    reloadTls,
    async start() {
      if (config.stsEndpointOverride !== '') {
        logger.warn(
          { stsEndpointOverride: config.stsEndpointOverride },
          'STS ENDPOINT OVERRIDE IN USE: tokens are verified against this endpoint, not AWS STS; never use in production',
        );
      }
      const serving = await loadOrCreateServingCert(
        { stateDir: config.stateDir, address: config.address, hostname: config.hostname, now },
        logger,
      );
      certPath = serving.certPath;
      keyPath = serving.keyPath;
      const clientCa = config.clientCaFile === '' ? undefined : await readFile(config.clientCaFile, 'utf8');

      pipeline = await buildPipeline(config, {
        logger,
        now,
        metrics,
        registry,
        ...(deps.sts === undefined ? {} : { sts: deps.sts }),
        ...(deps.backends === undefined ? {} : { backends: deps.backends }),
        ...(deps.env === undefined ? {} : { env: deps.env }),
        ...deps.pipeline,
      });
      const cache = new IdentityCache<Identity>({
        ttlMs: config.identityCacheTtlSeconds * 1000,
        maxEntries: config.identityCacheMaxEntries,
        now,
      });
      const authenticate = createAuthenticator({
        verify: pipeline.verify,
        map: pipeline.map,
        cache,
        metrics,
        logger,
        scrubbedAccounts: new Set(config.scrubbedAccounts),
        now,
      });
      const listener = createRequestListener({
        authenticate,
        metrics,
        registry,
        health: () => healthReport(true),
        maxBodyBytes: config.maxBodyBytes,
        logger,
      });
      https = createHttpsServer(
        {
          cert: serving.certPem,
          key: serving.keyPem,
          minVersion: 'TLSv1.2',
          ...(clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
        },
        listener,
      );
      https.headersTimeout = 10_000;
      https.requestTimeout = 30_000;
      https.keepAliveTimeout = 90_000;
      https.timeout = 120_000;
      https.maxHeadersCount = 100;
      https.on('tlsClientError', (error) => {
        logger.debug({ err: error.message }, 'TLS handshake refused');
      });
      const main = await listen(https, config.port, config.address);

      // As the reference, every path answers `ok` while the process lives (liveness), except
      // /healthz, which tells whether every backend has synced (readiness: a DaemonSet whose
      // aws-auth watch never syncs must not look ready).
      health = createHttpServer((req, res) => {
        const report = req.url?.split('?')[0] === '/healthz' ? healthReport(false) : undefined;
        res.writeHead(report === undefined || report.ok ? 200 : 503, {
          'content-type': 'text/plain; charset=utf-8',
        });
        res.end(report === undefined ? 'ok' : healthText(report));
      });
      health.headersTimeout = 10_000;
      health.requestTimeout = 10_000;
      const healthAddr = await listen(health, config.healthPort, config.healthAddress);

      if (!config.kubeconfigPregenerated) {
        const client = await readClientCertPair(config.stateDir);
        if (client === undefined && clientCa !== undefined) {
          logger.warn(
            { stateDir: config.stateDir },
            'client certificates are required but the state dir holds no client.pem/client-key.pem from init --client-cert: the webhook kubeconfig has no client certificate',
          );
        }
        await writeWebhookKubeconfig({
          path: config.generateKubeconfig,
          caCertPem: serving.certPem,
          hostname: config.hostname,
          port: main.port,
          ...(client === undefined ? {} : { clientCertPem: client.certPem, clientKeyPem: client.keyPem }),
        });
        logger.info(
          { path: config.generateKubeconfig },
          'reconfigure your apiserver with --authentication-token-webhook-config-file to enable (assuming default hostPath mounts)',
        );
      }
      stopWatch = watchFiles(
        [certPath, keyPath, ...(config.clientCaFile === '' ? [] : [config.clientCaFile])],
        () => {
          void reloadTls();
        },
      );
      const url = `https://${hostForUrl(config.address)}:${main.port}`;
      const healthUrl = `http://${hostForUrl(config.healthAddress)}:${healthAddr.port}`;
      logger.info(
        {
          url,
          healthUrl,
          mtls: clientCa !== undefined,
          clusterId: config.clusterId,
          partition: config.partition,
        },
        'listening',
      );
      return { url, healthUrl, port: main.port, healthPort: healthAddr.port };
    },
    async stop(options = {}) {
      const drainMs = options.drainMs ?? 10_000;
      stopWatch?.();
      await Promise.all([
        https === undefined ? undefined : closeServer(https, drainMs),
        health === undefined ? undefined : closeServer(health, drainMs),
      ]);
      await pipeline?.close();
      https = undefined;
      health = undefined;
      pipeline = undefined;
    },
  };
}
