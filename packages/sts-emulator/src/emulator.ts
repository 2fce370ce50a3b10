import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@iam-authenticator/core';
import { AuthError, isAuthError, quote, silentLogger } from '@iam-authenticator/core';
import type { ActionContext, AssumeRoleRecord } from './actions.js';
import { assumeRole, describeInstances, getCallerIdentity } from './actions.js';
import { verifySignedRequest } from './auth.js';
import { CredentialStore } from './credential-store.js';
import type { FaultSpec } from './faults.js';
import { EMULATED_ACTIONS, FaultQueue } from './faults.js';
import type { IdentitiesFile } from './identities.js';
import { parseIdentities } from './identities.js';
import type { RenderedResponse, ResponseFormat } from './responses.js';
import { StsFault, renderError } from './responses.js';
import { MalformedQueryError, parseRawQuery } from './sigv4.js';

export interface StsEmulatorOptions {
  /** Users, roles and instances the emulator knows (validated again here). */
  readonly identities: IdentitiesFile;
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The emulator's clock for X-Amz-Date skew, credential expiry and issued expirations; default the system clock. */
  readonly now?: () => Date;
  /** Debug line per request (action, status, code); never a signature or session token. */
  readonly logger?: Logger;
  /** Extra hosts a client may have signed besides the Host header and the real AWS endpoints. */
  readonly signedHosts?: readonly string[];
}

export interface StsEmulator {
  /** `http://127.0.0.1:PORT` (or https:// in TLS mode). */
  readonly url: string;
  readonly port: number;
  /** Requests received per action (GetCallerIdentity, AssumeRole, DescribeInstances), plus `rejected` and `faulted`. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Applies `kind` to the next `count` requests (for `action` only, when given). */
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  setNow(now: () => Date): void;
  /** The parameters of the last authenticated AssumeRole call (even if it was then refused). */
  lastAssumeRole(): AssumeRoleRecord | undefined;
  /** The ARN of the principal that signed the last authenticated request of `action`. */
  lastCaller(action: string): string | undefined;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const API_VERSIONS: Record<string, string> = {
  GetCallerIdentity: '2011-06-15',
  AssumeRole: '2011-06-15',
  DescribeInstances: '2016-11-15',
};

function zeroCounts(): Record<string, number> {
  return Object.fromEntries([...EMULATED_ACTIONS, 'rejected', 'faulted'].map((key) => [key, 0]));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function headerMap(req: IncomingMessage): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(req.rawHeaders[i + 1] ?? '');
    headers.set(name, list);
  }
  return headers;
}

function send(res: ServerResponse, rendered: RenderedResponse, requestId: string): void {
  res.writeHead(rendered.status, {
    'content-type': rendered.contentType,
    'content-length': Buffer.byteLength(rendered.body),
    'x-amzn-requestid': requestId,
  });
  res.end(rendered.body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = status === 204 ? '' : JSON.stringify(value);
  res.writeHead(status, status === 204 ? {} : { 'content-type': 'application/json' });
  res.end(body);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a local STS (+ EC2 DescribeInstances) with real SigV4 verification. */
export async function startStsEmulator(options: StsEmulatorOptions): Promise<StsEmulator> {
  const identities = parseIdentities(options.identities, 'identities');
  const store = new CredentialStore(identities);
  const faults = new FaultQueue();
  const logger = (options.logger ?? silentLogger).child({ component: 'sts-emulator' });
  const defaultNow = options.now ?? ((): Date => new Date());
  let now = defaultNow;
  let counts = zeroCounts();
  let lastAssume: AssumeRoleRecord | undefined;
  const lastCallers = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();

  const emulatorApi = {
    counts: (): Record<string, number> => ({ ...counts }),
    resetCounts: (): void => {
      counts = zeroCounts();
    },
    injectFaults: (fault: FaultSpec): void => {
      faults.add(fault);
    },
    clearFaults: (): void => {
      faults.clear();
    },
    setNow: (next: () => Date): void => {
      now = next;
    },
    lastAssumeRole: (): AssumeRoleRecord | undefined => lastAssume,
    lastCaller: (action: string): string | undefined => lastCallers.get(action),
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = (await readBody(req)) ?? Buffer.alloc(0);
    let payload: unknown = undefined;
    if (body.length > 0) {
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        sendJson(res, 400, { error: 'request body is not valid JSON' });
        return;
      }
    }
    const route = `${req.method ?? 'GET'} ${path}`;
    try {
      switch (route) {
        case 'GET /_emulator/healthz':
          sendJson(res, 200, { ok: true });
          return;
        case 'GET /_emulator/counts':
          sendJson(res, 200, emulatorApi.counts());
          return;
        case 'POST /_emulator/counts/reset':
          emulatorApi.resetCounts();
          sendJson(res, 204, undefined);
          return;
        case 'POST /_emulator/faults':
          emulatorApi.injectFaults(payload as FaultSpec);
          sendJson(res, 204, undefined);
          return;
        case 'DELETE /_emulator/faults':
          emulatorApi.clearFaults();
          sendJson(res, 204, undefined);
          return;
        case 'POST /_emulator/clock':
          emulatorApi.setNow(parseClock(payload, defaultNow));
          sendJson(res, 204, undefined);
          return;
        case 'GET /_emulator/last-assume-role':
          if (lastAssume === undefined) sendJson(res, 404, { error: 'no AssumeRole call yet' });
          else sendJson(res, 200, lastAssume);
          return;
        default:
          sendJson(res, 404, { error: `unknown control route ${JSON.stringify(route)}` });
      }
    } catch (error) {
      sendJson(res, 400, { error: isAuthError(error) ? error.message : String(error) });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawPath = q === -1 ? target : target.slice(0, q);
    const rawQuery = q === -1 ? '' : target.slice(q + 1);
    if (rawPath.startsWith('/_emulator/')) {
      await handleControl(req, res, rawPath);
      return;
    }
    const headers = headerMap(req);
    const format: ResponseFormat = (headers.get('accept') ?? []).some((v) => v.includes('application/json'))
      ? 'json'
      : 'xml';
    const body = await readBody(req);
    const reject = (fault: StsFault, flavour: 'sts' | 'ec2'): void => {
      counts['rejected'] = (counts['rejected'] ?? 0) + 1;
      logger.debug({ requestId, status: fault.status, code: fault.code }, 'request rejected');
      send(res, renderError(fault, requestId, format, flavour), requestId);
    };
    if (body === undefined) {
      reject(new StsFault(413, 'RequestEntityTooLarge', 'Request body is larger than 1 MiB'), 'sts');
      return;
    }
    let query: [string, string][];
    let params: Map<string, string>;
    try {
      query = parseRawQuery(rawQuery);
      const contentType = (headers.get('content-type') ?? [])[0] ?? '';
      const form = contentType.startsWith('application/x-www-form-urlencoded')
        ? parseRawQuery(body.toString('utf8'))
        : [];
      params = new Map();
      for (const [key, value] of [...query, ...form]) if (!params.has(key)) params.set(key, value);
    } catch (error) {
      if (!(error instanceof MalformedQueryError)) throw error;
      reject(new StsFault(400, 'MalformedQueryString', error.message), 'sts');
      return;
    }
    const action = params.get('Action') ?? '';
    const flavour = action === 'DescribeInstances' ? 'ec2' : 'sts';
    const version = params.get('Version');
    if (!Object.hasOwn(API_VERSIONS, action) || (version !== undefined && version !== API_VERSIONS[action])) {
      reject(
        new StsFault(
          400,
          'InvalidAction',
          `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`,
        ),
        flavour,
      );
      return;
    }
    counts[action] = (counts[action] ?? 0) + 1;
    const fault = faults.take(action);
    if (fault !== undefined) {
      counts['faulted'] = (counts['faulted'] ?? 0) + 1;
      logger.debug({ requestId, action, fault: fault.kind }, 'fault injected');
      switch (fault.kind) {
        case 'drop':
          req.socket.destroy();
          return;
        case 'http500':
          send(
            res,
            renderError(
              new StsFault(500, 'InternalFailure', 'An internal error has occurred', 'Receiver'),
              requestId,
              format,
              flavour,
            ),
            requestId,
          );
          return;
        case 'throttle':
          send(
            res,
            renderError(new StsFault(400, 'Throttling', 'Rate exceeded'), requestId, format, flavour),
            requestId,
          );
          return;
        case 'latency':
          await delay(fault.latencyMs);
          break;
      }
    }
    try {
      const clock = now();
      const principal = verifySignedRequest(
        { method: req.method ?? 'GET', rawPath, query, headers, body },
        {
          store,
          now: clock,
          service: flavour,
          ...(options.signedHosts === undefined ? {} : { extraSignedHosts: options.signedHosts }),
        },
      );
      lastCallers.set(action, principal.arn);
      const ctx: ActionContext = { principal, params, requestId, format, now: clock, store, identities };
      const rendered =
        action === 'GetCallerIdentity'
          ? getCallerIdentity(ctx)
          : action === 'AssumeRole'
            ? assumeRole(ctx, (call) => {
                const sourceArn = headers.get('x-amz-source-arn')?.[0];
                const sourceAccount = headers.get('x-amz-source-account')?.[0];
                lastAssume = {
                  ...call,
                  ...(sourceArn === undefined ? {} : { sourceArn }),
                  ...(sourceAccount === undefined ? {} : { sourceAccount }),
                };
              })
            : describeInstances(ctx);
      logger.debug(
        { requestId, action, status: rendered.status, accessKeyId: principal.accessKeyId },
        'request served',
      );
      send(res, rendered, requestId);
    } catch (error) {
      if (!(error instanceof StsFault)) throw error;
      reject(error, flavour);
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ error: error instanceof Error ? error.message : String(error) }, 'emulator fault');
      if (!res.headersSent) {
        send(
          res,
          renderError(
            new StsFault(500, 'InternalFailure', 'An internal error has occurred', 'Receiver'),
            'internal',
            'xml',
            'sts',
          ),
          'internal',
        );
      } else {
        res.destroy();
      }
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${formatHost(host)}:${port}`;
  logger.info({ url }, 'sts emulator listening');
  return {
    url,
    port,
    ...emulatorApi,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      }),
  };
}

/** `{"now":"<ISO date>"}` fixes the clock, `{"offsetMs":n}` shifts the system clock, `{"now":null}` resets it. */
export function parseClock(payload: unknown, reset: () => Date): () => Date {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    const body = payload as Record<string, unknown>;
    if (body['now'] === null) return reset;
    if (typeof body['now'] === 'string') {
      const fixed = new Date(body['now']);
      if (!Number.isNaN(fixed.getTime())) return () => new Date(fixed.getTime());
    }
    if (typeof body['offsetMs'] === 'number' && Number.isFinite(body['offsetMs'])) {
      const offset = body['offsetMs'];
      return () => new Date(Date.now() + offset);
    }
  }
  throw new AuthError(
    'usage_error',
    `clock: expected {"now":"<ISO date>"}, {"offsetMs":<number>} or {"now":null}, received ${quote(payload)}`,
  );
}
