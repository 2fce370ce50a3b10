import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@iam-authenticator/core';
import type { Registry } from 'prom-client';
import type { Authenticator } from './authenticate.js';
import type { ServerMetrics } from './metrics.js';
import { createAuthenticateHandler } from './authenticate-handler.js';

export interface HealthReport {
  readonly ok: boolean;
  /** One line per backend, e.g. `MountedFile: synced`, `EKSConfigMap: not synced (…)`. */
  readonly lines: readonly string[];
  /** Ready, but a backend had problems in its last load (its lines say which). */
  readonly degraded?: boolean;
}

/** The body of a health answer: `ok` (with the lines when degraded), or `not ready` and the lines. */
export function healthText(report: HealthReport): string {
  if (!report.ok) return `not ready\n${report.lines.join('\n')}\n`;
  return report.degraded === true ? `ok\n${report.lines.join('\n')}\n` : 'ok';
}

export interface AppOptions {
  readonly authenticate: Authenticator;
  readonly metrics: ServerMetrics;
  readonly registry: Registry;
  readonly health: () => HealthReport;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

/**
 * The request listener of the TLS port: POST /authenticate goes straight to its handler; the express app
 * serves GET /healthz, GET /metrics and the rest.
 */
export function createRequestListener(
  options: AppOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const app = createApp(options);
  const authenticate = createAuthenticateHandler(options);
  return (req, res) => {
    if (req.url === '/authenticate') authenticate(req, res);
    else app(req, res);
  };
}

/** The express app of the TLS listener: POST /authenticate, GET /healthz, GET /metrics. */
export function createApp(options: AppOptions): express.Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Exact paths, as the reference's ServeMux: /Authenticate and /healthz/ are 404.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  // POST /authenticate (and its 405/415/413/400 answers) is the hot path, served without the router.
  const authenticate = createAuthenticateHandler(options);
  app.all('/authenticate', (req: Request, res: Response) => {
    authenticate(req, res);
  });

  app.all('/healthz', (_req: Request, res: Response) => {
    const report = options.health();
    res
      .status(report.ok ? 200 : 503)
      .type('text/plain; charset=utf-8')
      .send(healthText(report));
  });

  app.get('/metrics', (_req: Request, res: Response, next: NextFunction) => {
    options.registry.metrics().then(
      (text) => {
        res.status(200).type(options.registry.contentType).send(text);
      },
      (error: unknown) => {
        next(error);
      },
    );
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain; charset=utf-8').send('404 page not found\n');
  });

  // Body-parser and other errors: never echo the body back.
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).type('text/plain; charset=utf-8').send('bad request\n');
      return;
    }
    logger.error(
      { path: req.path, err: error instanceof Error ? error.name : 'non-error' },
      'request failed',
    );
    res.status(500).type('text/plain; charset=utf-8').send('internal error\n');
  });
  return app;
}
