import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from '@iam-authenticator/core';
import type { Authenticator, ReviewAnswer } from './authenticate.js';
import type { ServerMetrics } from './metrics.js';
import { parseTokenReview } from './token-review.js';

export interface AuthenticateHandlerOptions {
  readonly authenticate: Authenticator;
  readonly metrics: ServerMetrics;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header === '' || header === 'application/json') return true; // the reference ignores Content-Type
  const type = (header.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra?: Record<string, string>,
): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const headers: OutgoingHttpHeaders = { 'content-type': type, 'content-length': length };
  // Added only when there are any (a spread would copy through a runtime call for every answer).
  if (extra !== undefined) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * A review's answer. A 503 (mapping data not loaded yet) carries Retry-After, which makes kube-apiserver
 * retry it (reference §4.1: a 503 without it is neither retried nor, like every error, cached).
 */
function reply(res: ServerResponse, answer: ReviewAnswer): void {
  if (answer.status === 503) send(res, 503, JSON_TYPE, answer.body, { 'retry-after': '1' });
  else send(res, answer.status, JSON_TYPE, answer.bytes ?? answer.body);
}

/**
 * POST /authenticate on plain node:http objects: the hot path of the webhook, kept off the express router
 * (measured in test/bench/webhook). Every other route is served by the express app.
 */
export function createAuthenticateHandler(options: AuthenticateHandlerOptions) {
  const { metrics, logger, maxBodyBytes } = options;

  /** A refused request, observed with the time from its headers to the answer (as the reference). */
  const malformed = (
    res: ServerResponse,
    started: number,
    status: number,
    text: string,
    extra?: Record<string, string>,
  ): void => {
    const seconds = (performance.now() - started) / 1000;
    metrics.authenticateLatency.observe({ result: 'malformed_request' }, seconds);
    send(res, status, TEXT, `${text}\n`, extra);
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    if (req.method !== 'POST') {
      req.resume();
      malformed(res, started, 405, 'expected POST', { allow: 'POST' });
      return;
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      req.resume();
      malformed(res, started, 415, 'expected Content-Type application/json');
      return;
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    const tooLarge = (): void => {
      malformed(res, started, 413, `expected a request body of at most ${maxBodyBytes} bytes`, {
        connection: 'close',
      });
      // The rest of the body is read and dropped (for at most a second) before the connection closes:
      // closing a socket with unread data resets it, and the client may then never read the 413.
      req.resume();
      const timer = setTimeout(() => req.destroy(), 1000);
      timer.unref();
      req.once('end', () => {
        clearTimeout(timer);
      });
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    if (declared > maxBodyBytes) {
      tooLarge();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        aborted = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      aborted = true;
    });
    req.on('end', () => {
      if (aborted) return;
      const text =
        chunks.length === 1
          ? (chunks[0] ?? Buffer.alloc(0)).toString('utf8')
          : Buffer.concat(chunks).toString('utf8');
      const parsed = parseTokenReview(text);
      if (!parsed.ok) {
        logger.warn(
          { reason: 'request_malformed', detail: parsed.message, client: req.socket.remoteAddress },
          'malformed request',
        );
        malformed(res, started, 400, parsed.message);
        return;
      }
      const answer = options.authenticate(
        parsed.review.token,
        parsed.review.apiVersion,
        req.socket.remoteAddress,
      );
      // A cache hit with a kept mapping result is answered at once; the authenticator never rejects.
      if (answer instanceof Promise) {
        void answer.then((later) => {
          reply(res, later);
        });
      } else reply(res, answer);
    });
  };
}
