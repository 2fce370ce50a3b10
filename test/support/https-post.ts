import { request } from 'node:https';
import type { Agent } from 'node:https';

/**
 * POSTs a JSON body over HTTPS (trusting `ca`, TLS name `localhost`); resolves with the status and text.
 * With `agent` (keep-alive), the request goes over that agent's connections.
 */
export function postJson(
  url: string,
  ca: string,
  body: string,
  agent?: Agent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        servername: 'localhost',
        headers: { 'content-type': 'application/json' },
        ...(agent === undefined ? {} : { agent }),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolvePromise({ status: res.statusCode ?? 0, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
