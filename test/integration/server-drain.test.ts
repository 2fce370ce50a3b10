/**
 * Graceful stop with kube-apiserver's kind of client: keep-alive connections. Reviews in flight finish,
 * and the stop ends when they do, not when the drain limit runs out (an idle keep-alive connection
 * used to hold the listener open for the whole limit).
 */
import { Agent } from 'node:https';
import { postJson } from '../support/index.js';
import { startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

describe('server: drain on stop with keep-alive clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers the review in flight, then closes its idle connection and stops well before the limit', async () => {
    const agent = new Agent({ keepAlive: true, ca: h.servingCa });
    const url = `${h.started.url}/authenticate`;
    const post = (body: string): Promise<{ status: number; text: string }> =>
      postJson(url, h.servingCa, body, agent);
    const review = (token: string): string =>
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });

    // A first review opens the keep-alive connection; the second one waits 600 ms for STS.
    expect((await post(review(await h.token('admin')))).status).toBe(200);
    h.sts.injectFaults({ count: 1, kind: 'latency', latencyMs: 600 });
    const slow = post(review(await h.token('admin', { now: new Date(Date.now() - 3000) })));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stopping = Date.now();
    await h.server.stop({ drainMs: 20_000 });
    const stoppedAfter = Date.now() - stopping;
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ status: { authenticated: true } });
    // Bounded by the review (≈ 0.5 s more), far below the 20 s limit it used to wait for.
    expect(stoppedAfter).toBeLessThan(10_000);
    agent.destroy();
  });
});
