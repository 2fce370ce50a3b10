import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { AuthError, quote, silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import type { HttpsProxyAgent } from 'https-proxy-agent';
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
  /** PEM CA(s) trusted for the STS TLS connection instead of the system roots, also through a proxy. */
  ca?: string | Buffer | undefined;
  /**
   * Where `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy` are read, once, with the rules of Go's
   * default transport (the reference's): STS calls to a host outside NO_PROXY go through an HTTP
   * CONNECT tunnel. Not used with `endpointOverride`. Default `process.env`.
   */
  env?: NodeJS.ProcessEnv | undefined;
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
  deadline: number;
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
  const proxy = override === undefined ? proxyFromEnv(options.env ?? process.env) : undefined;
  // One per client, made on the first call through the proxy: keep-alive tunnels are reused like direct
  // connections. `ca` goes with each request, so it applies to STS inside the tunnel, not to the proxy.
  let proxyAgent: Promise<HttpAgent> | undefined;
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
        deadline,
        timer: setTimeout(
          () => {
            const at = waiters.indexOf(waiter);
            if (at >= 0) waiters.splice(at, 1);
            reject(noSlotError());
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      waiters.push(waiter);
    });
  }

  /** Hands the slot to the first waiter still within its deadline, else frees it. */
  function release(): void {
    const now = Date.now();
    for (let next = waiters.shift(); next !== undefined; next = waiters.shift()) {
      clearTimeout(next.timer);
      // Its timer is due but has not run yet (a busy event loop): a request now would outlive the call.
      if (next.deadline <= now) {
        next.reject(noSlotError());
        continue;
      }
      next.resolve();
      return;
    }
    active--;
  }

  function noSlotError(): AuthError {
    return new AuthError('sts_unavailable', `no free sts connection slot within ${timeoutMs} ms`);
  }

  async function call(validated: ValidatedToken, clusterId: string): Promise<CallerIdentity> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    const stsRegion = stsRegionOf(validated.host);
    // A free slot is taken at once; only a full client waits (or fails when closed).
    if (!closed && active < maxConcurrency) {
      active++;
    } else {
      try {
        await acquire(deadline);
      } catch (error) {
        // A call that never got a slot failed like any other: same metric and log line.
        const authError = error instanceof AuthError ? error : noSlotError();
        report(stsRegion, undefined, 'unavailable', started, undefined, authError);
        throw authError;
      }
    }
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
    requestId: unknown,
    error?: AuthError,
  ): void {
    const latencyMs = Date.now() - started;
    if (options.onCall !== undefined) {
      // One object of one shape per call (no spread): this runs on every review that misses the cache.
      const event: StsCallEvent =
        statusCode === undefined
          ? { stsRegion, outcome, latencyMs }
          : { stsRegion, statusCode, outcome, latencyMs };
      options.onCall(event);
    }
    if (outcome === 'ok' && logger.isLevelEnabled?.('debug') === false) return;
    // STS's request id is logged only when it looks like one (it comes from the answer's body).
    const shownId = typeof requestId === 'string' && ERROR_CODE.test(requestId) ? requestId : undefined;
    const fields = {
      stsRegion,
      statusCode,
      outcome,
      latencyMs,
      ...(shownId === undefined ? {} : { requestId: shownId }),
      ...(error === undefined ? {} : { reason: error.reason, detail: error.message }),
    };
    if (outcome === 'ok') logger.debug(fields, 'sts answered');
    else logger.warn(fields, 'sts call failed');
  }

  /** The proxy for calls to `host`, `undefined` to connect directly (Go's ProxyFromEnvironment). */
  async function proxyFor(host: string): Promise<{ route: ProxyRoute; agent: HttpAgent } | undefined> {
    if (proxy === undefined || bypassesProxy(host, proxy.bypass)) return undefined;
    if (proxyAgent === undefined) {
      proxyAgent = createProxyAgent(proxy.url, maxConcurrency);
      logger.info({ proxy: proxy.origin, from: proxy.variable }, 'sts calls go through a proxy');
    }
    return { route: proxy, agent: await proxyAgent };
  }

  async function send(validated: ValidatedToken, clusterId: string, deadline: number): Promise<RawAnswer> {
    const origin = `https://${validated.host}`;
    if (!validated.presignedUrl.startsWith(`${origin}/`)) {
      throw new AuthError('url_invalid', 'validated token host does not match its url');
    }
    const path = validated.presignedUrl.slice(origin.length);
    const target: Target = override ?? { hostname: validated.host, port: 443 };
    // No await at all without a proxy: most servers call STS directly, and this runs on every call.
    const via = override === undefined && proxy !== undefined ? await proxyFor(validated.host) : undefined;
    // Names the proxy by scheme, host and port only: its URL may carry a password.
    const through = via === undefined ? '' : ` via proxy ${quote(via.route.origin)}`;
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const abort = via === undefined ? undefined : new AbortController();
      const fail = (error: AuthError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        abort?.abort();
        reject(error);
      };
      const requestOptions: RequestOptions = {
        agent: via?.agent ?? agent,
        // agent-base tells https from http by this (else by a stack trace, which fails when a kept-alive
        // socket is freed: it would be pooled under an http name and never reused).
        protocol: 'https:',
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
      };
      // Set in place rather than spread into the literal, which would copy through a runtime call on
      // every request.
      if (via !== undefined && options.ca !== undefined) requestOptions.ca = options.ca;
      const req = request(requestOptions);
      // The agent opens the tunnel after this returns (agent-base defers connect() to a microtask).
      if (abort !== undefined) tunnelAborts.set(req, abort.signal);
      const timer = setTimeout(
        () => {
          fail(new AuthError('sts_unavailable', `sts did not answer within ${timeoutMs} ms${through}`));
        },
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        fail(
          new AuthError(
            'sts_unavailable',
            `sts request to ${quote(validated.host)}${through} failed: ${describeError(error)}`,
            { cause: error },
          ),
        );
      });
      // https-proxy-agent replays a refused CONNECT's answer as the response: it is the proxy's, not STS's.
      // (Only a tunnelled request can see one.)
      if (via !== undefined) {
        req.on('proxyConnect', (connect: { statusCode: number }) => {
          if (connect.statusCode === 200) return;
          fail(
            new AuthError(
              'sts_unavailable',
              `sts request to ${quote(validated.host)}${through} failed: CONNECT got ${connect.statusCode}`,
            ),
          );
        });
      }
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
      void proxyAgent?.then((created) => {
        created.destroy();
      });
    },
  };
}

/** The abort signal of each call through the proxy, for the agent that opens its tunnel. */
const tunnelAborts = new WeakMap<ClientRequest, AbortSignal>();

/**
 * Loaded on the first call through a proxy only: the `token` command's cache hit and every client
 * without a proxy stay free of https-proxy-agent and what it loads (tls, crypto, debug).
 */
async function createProxyAgent(url: URL, maxSockets: number): Promise<HttpAgent> {
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  /**
   * https-proxy-agent waits for the CONNECT answer without a deadline, and destroying the request does
   * not reach the socket to the proxy (TooTallNate/proxy-agents#256): a proxy that never answers would
   * keep it open and hold an agent slot after the call failed. The call's abort signal now closes it.
   */
  class StsProxyAgent extends HttpsProxyAgent<string> {
    override connect(
      req: ClientRequest,
      opts: Parameters<HttpsProxyAgent<string>['connect']>[1],
    ): Promise<Socket> {
      const signal = tunnelAborts.get(req);
      if (signal === undefined) return super.connect(req, opts);
      const base = this.connectOpts;
      // connect() opens the socket to the proxy from connectOpts before its first await; restored at
      // once, so a tunnel opened later never gets this signal (the worst case is the unpatched behaviour).
      this.connectOpts = { ...base, signal };
      try {
        return super.connect(req, opts);
      } finally {
        this.connectOpts = base;
      }
    }
  }
  // The agent gets the proxy without its userinfo, which goes in the header it would have built from it:
  // the library's debug lines (DEBUG=https-proxy-agent) print the URL it was given.
  const bare = new URL(`${url.protocol}//${url.host}`);
  const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  const headers =
    url.username === '' && url.password === ''
      ? undefined
      : { 'Proxy-Authorization': `Basic ${Buffer.from(user).toString('base64')}` };
  return new StsProxyAgent(bare, {
    keepAlive: true,
    maxSockets,
    ...(headers === undefined ? {} : { headers }),
  });
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

function classify(answer: RawAnswer, host: string): { identity: CallerIdentity; requestId: unknown } {
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
  // Named reads, each at its own site (one helper reading seven keys was a megamorphic load per key). JSON
  // gives plain objects, arrays and primitives, and none of these names is on their prototypes, so a
  // missing or mistyped part reads as undefined, as an own-property check would give.
  const response = (parsed as StsJson | null)?.GetCallerIdentityResponse;
  const result = response?.GetCallerIdentityResult;
  const arn = result?.Arn;
  const account = result?.Account;
  const userId = result?.UserId;
  if (!nonEmpty(arn) || !nonEmpty(account) || !nonEmpty(userId)) {
    throw new AuthError(
      'sts_response_invalid',
      'sts answered 200 without GetCallerIdentityResponse.GetCallerIdentityResult.{Arn,Account,UserId}',
      { cause: new StsAnswer(statusCode) },
    );
  }
  // Checked only when a log line shows it (report).
  return { identity: { arn, account, userId }, requestId: response?.ResponseMetadata?.RequestId };
}

/** What a GetCallerIdentity answer may hold, every part unchecked. */
interface StsJson {
  readonly GetCallerIdentityResponse?: {
    readonly GetCallerIdentityResult?: {
      readonly Arn?: unknown;
      readonly Account?: unknown;
      readonly UserId?: unknown;
    };
    readonly ResponseMetadata?: { readonly RequestId?: unknown };
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
  // The second label (sts.REGION.amazonaws.com), cut out without splitting the whole host.
  const start = host.indexOf('.') + 1;
  if (start === 0) return '';
  const end = host.indexOf('.', start);
  return host.slice(start, end < 0 ? host.length : end);
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

interface ProxyRoute {
  url: URL;
  /** `scheme://host:port` of the proxy: never its userinfo. */
  origin: string;
  /** The variable it came from, for the log line. */
  variable: string;
  /** NO_PROXY's domain entries; hosts matching one connect directly. */
  bypass: readonly NoProxyDomain[];
}

interface NoProxyDomain {
  /** Lower case, with a leading dot. */
  suffix: string;
  /** `''` for any port. */
  port: string;
  /** Also the name itself (an entry without a leading dot), not only its subdomains. */
  matchHost: boolean;
}

/**
 * Go's `httpproxy.FromEnvironment` for an https URL (the reference's default transport): the upper-case
 * name first, then the lower-case one; no ALL_PROXY and no fallback to HTTP_PROXY; a value without a
 * scheme is `http://`. Unlike Go, a value that is not a URL or names a scheme other than http/https
 * (socks5) is an error instead of a silently direct connection or a proxy we cannot speak.
 */
function proxyFromEnv(env: NodeJS.ProcessEnv): ProxyRoute | undefined {
  const found = firstSet(env, 'HTTPS_PROXY', 'https_proxy');
  if (found === undefined) return undefined;
  const bypass = parseNoProxy(firstSet(env, 'NO_PROXY', 'no_proxy')?.value ?? '');
  if (bypass === 'all') return undefined;
  // Never quote the value: it may carry a password.
  const expected = `${found.name} must look like http://[user:password@]host:port`;
  const url = parseProxyUrl(found.value);
  if (url === undefined) throw new AuthError('config_invalid', `${expected}, received something else`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuthError('config_invalid', `${expected}, received scheme ${quote(url.protocol.slice(0, -1))}`);
  }
  return { url, origin: `${url.protocol}//${url.host}`, variable: found.name, bypass };
}

function firstSet(env: NodeJS.ProcessEnv, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

function parseProxyUrl(value: string): URL | undefined {
  // As Go, a value without a scheme (`proxy:3128`, or `10.0.0.1:3128`) is read as http://.
  const text = value.includes('://') ? value : `http://${value}`;
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.hostname === '' ? undefined : url;
}

/**
 * NO_PROXY as Go's httpproxy reads it: comma-separated, `*` alone means no proxy at all; `example.com`
 * matches it and its subdomains, `.example.com` and `*.example.com` only subdomains; `:port` narrows an
 * entry to a port. IP and CIDR entries never match an STS host name, so they are left out.
 */
function parseNoProxy(value: string): NoProxyDomain[] | 'all' {
  const domains: NoProxyDomain[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '*') return 'all';
    if (entry === '' || entry.startsWith('[') || entry.includes('/')) continue;
    const colon = entry.indexOf(':');
    if (colon !== entry.lastIndexOf(':')) continue;
    let name = colon < 0 ? entry : entry.slice(0, colon);
    const port = colon < 0 ? '' : entry.slice(colon + 1);
    if (name === '' || isIP(name) !== 0) continue;
    if (name.startsWith('*.')) name = name.slice(1);
    const matchHost = !name.startsWith('.');
    domains.push({ suffix: matchHost ? `.${name}` : name, port, matchHost });
  }
  return domains;
}

function bypassesProxy(host: string, domains: readonly NoProxyDomain[]): boolean {
  return domains.some(
    (domain) =>
      (host.endsWith(domain.suffix) || (domain.matchHost && host === domain.suffix.slice(1))) &&
      (domain.port === '' || domain.port === '443'),
  );
}
