import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { AuthError, quote, silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { CLUSTER_ID_HEADER } from './token-format.js';
import type { ValidatedToken } from './validate-token.js';

export interface StsClientOptions {
  /** Whole call, queue wait + connect + body; default 10000 (reference PR#769). */
  timeoutMs?: number | undefined;
  /** Most STS requests at once; more wait in a queue (within `timeoutMs`). Default 32. */
  maxConcurrency?: number | undefined;
  /**
   * Connect here instead of the token's host, e.g. `https://127.0.0.1:4443` for the STS emulator. The
   * request still carries `Host: <token host>` and TLS verifies the certificate for the token host.
   */
  endpointOverride?: string | undefined;
  /** PEM CA(s) trusted for the STS TLS connection instead of the system roots. */
  ca?: string | Buffer | undefined;
  /** Debug/warn lines per call: host, status, STS error code, request id, latency. Never the URL. */
  logger?: Logger | undefined;
  /** Called once per finished STS request, for metrics. */
  onCall?: ((event: StsCallEvent) => void) | undefined;
  /**
   * Identical calls in flight share one request (default true). A caller that already joins identical
   * lookups itself (the webhook's identity cache, keyed by the token's sha256) turns it off.
   */
  singleFlight?: boolean | undefined;
}

/** What STS's GetCallerIdentity said. */
export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export type StsCallOutcome = 'ok' | 'throttled' | 'rejected' | 'unavailable' | 'invalid';

export interface StsCallEvent {
  /** `global` for sts.amazonaws.com, else the host's region label (the reference's `StsRegion` label). */
  stsRegion: string;
  /** HTTP status, absent when no response arrived. */
  statusCode?: number;
  outcome: StsCallOutcome;
  latencyMs: number;
}

export interface StsClient {
  /**
   * GETs exactly the URL the client signed, adding `x-k8s-aws-id: <clusterId>` (the server's own ID, so
   * STS rejects tokens signed for another cluster) and `Accept: application/json`. Identical calls in
   * flight share one request (unless `singleFlight` is off). Throws `AuthError` sts_throttled / sts_rejected / sts_unavailable /
   * sts_response_invalid.
   */
  getCallerIdentity(validated: ValidatedToken, clusterId: string): Promise<CallerIdentity>;
  /** STS requests on the wire now. */
  inFlight(): number;
  /** Calls waiting for a free slot. */
  queued(): number;
  /** Fails queued calls and closes idle connections; later calls fail with sts_unavailable. */
  close(): void;
}

export const DEFAULT_STS_TIMEOUT_MS = 10_000;
export const DEFAULT_STS_MAX_CONCURRENCY = 32;
const MAX_BODY_BYTES = 64 * 1024;
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
]);
const ERROR_CODE = /^[A-Za-z0-9._-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]+$/;

interface Waiter {
  resolve: () => void;
  reject: (error: AuthError) => void;
  timer: NodeJS.Timeout;
}

interface Target {
  hostname: string;
  port: number;
}

export function createStsClient(options: StsClientOptions = {}): StsClient {
  const timeoutMs = positive(options.timeoutMs, DEFAULT_STS_TIMEOUT_MS, 'timeoutMs');
  const maxConcurrency = positive(options.maxConcurrency, DEFAULT_STS_MAX_CONCURRENCY, 'maxConcurrency');
  const override =
    options.endpointOverride === undefined ? undefined : parseOverride(options.endpointOverride);
  const logger = options.logger ?? silentLogger;
  const singleFlight = options.singleFlight ?? true;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: maxConcurrency,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const shared = new Map<string, Promise<CallerIdentity>>();
  const waiters: Waiter[] = [];
  let active = 0;
  let closed = false;

  /** Waits for a slot of a full client (`call` takes a free one itself). */
  function acquire(deadline: number): Promise<void> {
    if (closed) return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => {
            const at = waiters.indexOf(waiter);
            if (at >= 0) waiters.splice(at, 1);
            reject(new AuthError('sts_unavailable', `no free sts connection slot within ${timeoutMs} ms`));
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      waiters.push(waiter);
    });
  }

  function release(): void {
    const next = waiters.shift();
    if (next === undefined) {
      active--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }

  async function call(validated: ValidatedToken, clusterId: string): Promise<CallerIdentity> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    // A free slot is taken at once; only a full client waits (or fails when closed).
    if (!closed && active < maxConcurrency) active++;
    else await acquire(deadline);
    const stsRegion = stsRegionOf(validated.host);
    try {
      const response = await send(validated, clusterId, deadline);
      const result = classify(response, validated.host);
      report(stsRegion, response.statusCode, 'ok', started, result.requestId);
      return result.identity;
    } catch (error) {
      const authError =
        error instanceof AuthError
          ? error
          : new AuthError('sts_unavailable', 'sts request failed', { cause: error });
      const statusCode = authError.cause instanceof StsAnswer ? authError.cause.statusCode : undefined;
      report(stsRegion, statusCode, outcomeOf(authError), started, undefined, authError);
      throw authError;
    } finally {
      release();
    }
  }

  function report(
    stsRegion: string,
    statusCode: number | undefined,
    outcome: StsCallOutcome,
    started: number,
    requestId: string | undefined,
    error?: AuthError,
  ): void {
    const latencyMs = Date.now() - started;
    options.onCall?.({ stsRegion, ...(statusCode === undefined ? {} : { statusCode }), outcome, latencyMs });
    if (outcome === 'ok' && logger.isLevelEnabled?.('debug') === false) return;
    const fields = {
      stsRegion,
      statusCode,
      outcome,
      latencyMs,
      ...(requestId === undefined ? {} : { requestId }),
      ...(error === undefined ? {} : { reason: error.reason, detail: error.message }),
    };
    if (outcome === 'ok') logger.debug(fields, 'sts answered');
    else logger.warn(fields, 'sts call failed');
  }

  function send(validated: ValidatedToken, clusterId: string, deadline: number): Promise<RawAnswer> {
    const origin = `https://${validated.host}`;
    if (!validated.presignedUrl.startsWith(`${origin}/`)) {
      return Promise.reject(new AuthError('url_invalid', 'validated token host does not match its url'));
    }
    const path = validated.presignedUrl.slice(origin.length);
    const target: Target = override ?? { hostname: validated.host, port: 443 };
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: AuthError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(error);
      };
      const req = request({
        agent,
        method: 'GET',
        host: target.hostname,
        port: target.port,
        // TLS name checks against the token's host, also when connecting to an override address.
        servername: validated.host,
        path,
        headers: {
          host: validated.host,
          [CLUSTER_ID_HEADER]: clusterId,
          accept: 'application/json',
        },
      });
      const timer = setTimeout(
        () => {
          fail(new AuthError('sts_unavailable', `sts did not answer within ${timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        fail(
          new AuthError(
            'sts_unavailable',
            `sts request to ${quote(validated.host)} failed: ${describeError(error)}`,
            {
              cause: error,
            },
          ),
        );
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            fail(new AuthError('sts_response_invalid', `sts answer is longer than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          fail(
            new AuthError('sts_unavailable', `sts answer was cut off: ${describeError(error)}`, {
              cause: error,
            }),
          );
        });
        res.on('close', () => {
          if (!res.complete) fail(new AuthError('sts_unavailable', 'sts answer was cut off'));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end();
    });
  }

  return {
    getCallerIdentity(validated, clusterId) {
      if (clusterId === '' || !HEADER_VALUE.test(clusterId)) {
        return Promise.reject(
          new AuthError('config_invalid', `cluster id must be printable ASCII, received ${quote(clusterId)}`),
        );
      }
      if (closed) return Promise.reject(closedError());
      if (!singleFlight) return call(validated, clusterId);
      // Held only while the call is in flight, like the URL the request itself carries.
      const key = `${clusterId}\n${validated.presignedUrl}`;
      const existing = shared.get(key);
      if (existing !== undefined) return existing;
      const promise = call(validated, clusterId).finally(() => {
        shared.delete(key);
      });
      shared.set(key, promise);
      return promise;
    },
    inFlight: () => active,
    queued: () => waiters.length,
    close() {
      closed = true;
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(closedError());
      }
      agent.destroy();
    },
  };
}

/** The `cause` of errors built from an STS answer: its status and STS error code, never the body. */
export class StsAnswer {
  constructor(
    readonly statusCode: number,
    readonly stsErrorCode?: string,
  ) {}
}

interface RawAnswer {
  statusCode: number;
  body: string;
}

function classify(answer: RawAnswer, host: string): { identity: CallerIdentity; requestId?: string } {
  const { statusCode, body } = answer;
  if (statusCode !== 200) {
    const code = stsErrorCode(body);
    const cause = new StsAnswer(statusCode, code);
    const what = `sts ${quote(host)} answered ${statusCode}${code === undefined ? '' : ` ${code}`}`;
    if (
      statusCode === 429 ||
      (code !== undefined && THROTTLING_CODES.has(code)) ||
      (code === undefined && body.includes('Throttling'))
    ) {
      throw new AuthError('sts_throttled', what, { cause });
    }
    if (statusCode >= 300 && statusCode < 400) {
      throw new AuthError('sts_rejected', `${what}; redirects are not followed`, { cause });
    }
    if (statusCode >= 500) {
      throw new AuthError('sts_unavailable', what, { cause });
    }
    throw new AuthError('sts_rejected', what, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not the SyntaxError as cause: its message quotes the body.
    throw new AuthError('sts_response_invalid', 'sts answered 200 with a body that is not JSON', {
      cause: new StsAnswer(statusCode),
    });
  }
  const response = field(parsed, 'GetCallerIdentityResponse');
  const result = field(response, 'GetCallerIdentityResult');
  const arn = field(result, 'Arn');
  const account = field(result, 'Account');
  const userId = field(result, 'UserId');
  if (!nonEmpty(arn) || !nonEmpty(account) || !nonEmpty(userId)) {
    throw new AuthError(
      'sts_response_invalid',
      'sts answered 200 without GetCallerIdentityResponse.GetCallerIdentityResult.{Arn,Account,UserId}',
      { cause: new StsAnswer(statusCode) },
    );
  }
  const requestId = field(field(response, 'ResponseMetadata'), 'RequestId');
  return {
    identity: { arn, account, userId },
    ...(typeof requestId === 'string' && ERROR_CODE.test(requestId) ? { requestId } : {}),
  };
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
  return (value as Record<string, unknown>)[key];
}

/** The STS error code of a JSON or XML error body, when it looks like one. */
function stsErrorCode(body: string): string | undefined {
  let code: unknown;
  try {
    code = field(field(JSON.parse(body), 'Error'), 'Code');
  } catch {
    code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  }
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : undefined;
}

function outcomeOf(error: AuthError): StsCallOutcome {
  switch (error.reason) {
    case 'sts_throttled':
      return 'throttled';
    case 'sts_rejected':
      return 'rejected';
    case 'sts_response_invalid':
      return 'invalid';
    default:
      return 'unavailable';
  }
}

/** Node's error code and message; neither carries the request path. */
function describeError(error: NodeJS.ErrnoException): string {
  const message = error.message.split('?')[0] ?? '';
  return error.code === undefined ? message : `${error.code} ${message}`;
}

function stsRegionOf(host: string): string {
  if (host === 'sts.amazonaws.com') return 'global';
  return host.split('.')[1] ?? '';
}

function closedError(): AuthError {
  return new AuthError('sts_unavailable', 'sts client is closed');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new AuthError(
      'config_invalid',
      `sts client ${name} must be a positive integer, received ${quote(value)}`,
    );
  }
  return value;
}

function parseOverride(text: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthError(
      'config_invalid',
      `sts endpoint override must be an https url, received ${quote(text)}`,
    );
  }
  if (
    url.protocol !== 'https:' ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new AuthError(
      'config_invalid',
      `sts endpoint override must look like https://host[:port], received ${quote(text)}`,
    );
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port: url.port === '' ? 443 : Number(url.port) };
}
