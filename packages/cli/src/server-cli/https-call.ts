import { request } from 'node:https';

export interface HttpsCallOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Trusted CA PEM(s) for the server certificate. */
  readonly ca: string | readonly string[];
  /** Client certificate for mTLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Host name checked against the server certificate (and sent as SNI); default: the URL's host. */
  readonly servername?: string;
  readonly timeoutMs?: number;
}

export interface HttpsCallResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One HTTPS request with explicit trust (no global agent, no redirects). */
export function httpsCall(options: HttpsCallOptions): Promise<HttpsCallResult> {
  return new Promise((resolvePromise, reject) => {
    const url = new URL(options.url);
    const req = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
        },
        ca: typeof options.ca === 'string' ? options.ca : [...options.ca],
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error('request timed out'));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
