/**
 * A kube-apiserver STAND-IN for end-to-end tests (test support, not product). It does what the real
 * kube-apiserver does with `--authentication-token-webhook-config-file` (reference token-and-webhook.md §4.1):
 * reads the webhook kubeconfig written by our `init` (server URL, CA, client certificate), POSTs a TokenReview
 * of the configured version for each bearer token, retries 429/5xx/connection resets with its backoff,
 * caches allowed and denied answers for the TTL (errors are not cached), and answers 401 otherwise.
 * Authenticated requests get `kubectl auth whoami` (selfsubjectreviews) answered here; everything else is
 * proxied to a backing kube API test server (ConfigMaps, …).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';

export interface WebhookUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface StandinOptions {
  /** Path of the webhook kubeconfig (as given to --authentication-token-webhook-config-file). */
  webhookKubeconfigPath: string;
  /** --authentication-token-webhook-version; kube-apiserver's default is v1beta1. */
  webhookVersion?: 'v1' | 'v1beta1';
  /** --authentication-token-webhook-cache-ttl; default 2 minutes. */
  cacheTtlMs?: number;
  /** First retry delay (kube-apiserver: 500 ms, ×1.5, 5 steps). Tests may shorten it. */
  retryInitialMs?: number;
  /** The kube API test server that serves everything but authentication. */
  backend?: { url: string; caPem: string };
  /** Serving certificate of the stand-in itself. */
  tls: { certPem: string; keyPem: string; caPem: string };
  audiences?: string[];
}

export interface StandinStats {
  webhookCalls: number;
  webhookRetries: number;
  webhookErrors: number;
  cacheHits: number;
}

export interface KubeApiserverStandin {
  readonly url: string;
  stats(): StandinStats;
  /** Drops the authentication cache (as an apiserver restart would). */
  flushCache(): void;
  close(): Promise<void>;
}

interface WebhookTarget {
  url: URL;
  ca: string;
  cert?: string;
  key?: string;
}

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json {
  return typeof value === 'object' && value !== null ? (value as Json) : {};
}

function fileOrData(entry: Json, dataKey: string, fileKey: string): string | undefined {
  const data = entry[dataKey];
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  const file = entry[fileKey];
  if (typeof file === 'string') return readFileSync(file, 'utf8');
  return undefined;
}

/** Reads the webhook kubeconfig the way clientcmd does: current-context → cluster server/CA, user client cert. */
export function readWebhookKubeconfig(path: string): WebhookTarget {
  const config = asRecord(parseYaml(readFileSync(path, 'utf8')));
  const contexts = (config.contexts as Json[] | undefined) ?? [];
  const current = contexts.find((c) => c.name === config['current-context']) ?? contexts[0];
  if (current === undefined) throw new Error('webhook kubeconfig has no context');
  const context = asRecord(current.context);
  const cluster = asRecord(
    ((config.clusters as Json[] | undefined) ?? []).find((c) => c.name === context.cluster)?.cluster,
  );
  const user = asRecord(
    ((config.users as Json[] | undefined) ?? []).find((u) => u.name === context.user)?.user,
  );
  const ca = fileOrData(cluster, 'certificate-authority-data', 'certificate-authority');
  if (typeof cluster.server !== 'string' || ca === undefined)
    throw new Error('webhook kubeconfig lacks server or CA');
  const target: WebhookTarget = { url: new URL(cluster.server), ca };
  const cert = fileOrData(user, 'client-certificate-data', 'client-certificate');
  const key = fileOrData(user, 'client-key-data', 'client-key');
  if (cert !== undefined) target.cert = cert;
  if (key !== undefined) target.key = key;
  return target;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function unauthorized(res: ServerResponse): void {
  sendJson(res, 401, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  });
}

class RetryableError extends Error {}

export async function startKubeApiserverStandin(options: StandinOptions): Promise<KubeApiserverStandin> {
  const version = options.webhookVersion ?? 'v1beta1';
  const ttlMs = options.cacheTtlMs ?? 120_000;
  const retryInitialMs = options.retryInitialMs ?? 500;
  const audiences = options.audiences ?? ['https://kubernetes.default.svc'];
  const target = readWebhookKubeconfig(options.webhookKubeconfigPath);
  const agent = new https.Agent({
    keepAlive: true,
    ca: target.ca,
    ...(target.cert === undefined ? {} : { cert: target.cert }),
    ...(target.key === undefined ? {} : { key: target.key }),
  });
  const cacheKey = randomBytes(32);
  const cache = new Map<string, { user: WebhookUser | undefined; expiresAt: number }>();
  const stats: StandinStats = { webhookCalls: 0, webhookRetries: 0, webhookErrors: 0, cacheHits: 0 };

  function postReview(token: string): Promise<WebhookUser | undefined> {
    const body = JSON.stringify({
      kind: 'TokenReview',
      apiVersion: `authentication.k8s.io/${version}`,
      metadata: { creationTimestamp: null },
      spec: { token, audiences },
      status: { user: {} },
    });
    return new Promise((resolve, reject) => {
      stats.webhookCalls += 1;
      const req = https.request(
        target.url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, */*',
            'content-length': Buffer.byteLength(body),
          },
          timeout: 30_000,
        },
        (res) => {
          readBody(res).then((buffer) => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 206) {
              // webhook.DefaultShouldRetry (§4.1): 429, InternalError (≥ 500 except 503) and 504, or any status
              // with an integer Retry-After; 403 and a bare 503 are final.
              const retryAfter = /^\d+$/.test((res.headers['retry-after'] ?? '').trim());
              const retryable = status === 429 || (status >= 500 && status !== 503) || retryAfter;
              reject(
                retryable
                  ? new RetryableError(`webhook answered ${status}`)
                  : new Error(`webhook answered ${status}`),
              );
              return;
            }
            let parsed: unknown;
            try {
              parsed = JSON.parse(buffer.toString('utf8'));
            } catch {
              reject(new Error('webhook answered a body that is not JSON'));
              return;
            }
            const review = asRecord(parsed);
            // A body of another authentication version fails to decode in the real apiserver (§4.1).
            if (review.apiVersion !== undefined && review.apiVersion !== `authentication.k8s.io/${version}`) {
              reject(new Error(`webhook answered apiVersion ${JSON.stringify(review.apiVersion)}`));
              return;
            }
            const reviewStatus = asRecord(review.status);
            if (reviewStatus.authenticated !== true) {
              resolve(undefined);
              return;
            }
            const user = asRecord(reviewStatus.user);
            resolve({
              username: String(user.username),
              ...(typeof user.uid === 'string' ? { uid: user.uid } : {}),
              groups: Array.isArray(user.groups) ? (user.groups as string[]) : [],
              extra: asRecord(user.extra) as Record<string, string[]>,
            });
          }, reject);
        },
      );
      req.on('timeout', () => req.destroy(new RetryableError('webhook timed out')));
      req.on('error', (error) => {
        reject(
          error instanceof RetryableError || (error as NodeJS.ErrnoException).code === 'ECONNRESET'
            ? new RetryableError(error.message)
            : error,
        );
      });
      req.end(body);
    });
  }

  async function authenticate(token: string): Promise<WebhookUser | undefined> {
    const key = createHash('sha256').update(cacheKey).update(token).digest('hex');
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) {
      stats.cacheHits += 1;
      return cached.user;
    }
    let delayMs = retryInitialMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const user = await postReview(token);
        cache.set(key, { user, expiresAt: Date.now() + ttlMs });
        return user;
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= 4) {
          stats.webhookErrors += 1;
          return undefined; // an error: 401 to the client, not cached
        }
        stats.webhookRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, delayMs * (1 + Math.random() * 0.2)));
        delayMs *= 1.5;
      }
    }
  }

  function proxy(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const backend = options.backend;
    if (backend === undefined) {
      sendJson(res, 404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
      });
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.host;
    const upstream = https.request(
      new URL(req.url ?? '/', backend.url),
      { method: req.method ?? 'GET', headers, ca: backend.caPem },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent)
        sendJson(res, 502, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 502 });
      else res.destroy();
    });
    req.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }

  const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
      const user = token === '' ? undefined : await authenticate(token);
      if (user === undefined) {
        unauthorized(res);
        return;
      }
      const whoami = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews$/.exec(
        req.url?.split('?')[0] ?? '',
      );
      if (whoami !== null && req.method === 'POST') {
        sendJson(res, 201, {
          kind: 'SelfSubjectReview',
          apiVersion: `authentication.k8s.io/${whoami[1] ?? 'v1'}`,
          metadata: { creationTimestamp: null },
          status: {
            userInfo: {
              username: user.username,
              ...(user.uid === undefined ? {} : { uid: user.uid }),
              groups: [...(user.groups ?? []), 'system:authenticated'],
              ...(user.extra === undefined || Object.keys(user.extra).length === 0
                ? {}
                : { extra: user.extra }),
            },
          },
        });
        return;
      }
      proxy(req, res, body);
    })().catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    stats: () => ({ ...stats }),
    flushCache: () => {
      cache.clear();
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
