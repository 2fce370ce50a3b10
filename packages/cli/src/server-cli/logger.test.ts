import { spawnSync } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServerLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'server-logger-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const flushed = (logger: unknown): Promise<void> =>
  new Promise((resolve) => {
    (logger as { flush(cb: () => void): void }).flush(resolve);
  });

describe('createServerLogger', () => {
  it('writes every line once, whole and in order, across batches and event-loop turns', async () => {
    const path = join(dir, 'log');
    const fd = openSync(path, 'w');
    const buffered = createServerLogger('info', fd);
    const child = buffered.logger.child({ arn: 'arn:aws:iam::111122223333:user/alice' });
    // 3,000 lines of ~200 characters: several 16 Ki-character hand-overs and several turns.
    for (let turn = 0; turn < 30; turn++) {
      for (let i = 0; i < 100; i++)
        child.info({ n: turn * 100 + i, tokenId: 'abcdef0123456789' }, 'access granted');
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Written out (sonic-boom's own async write finished) before the last line: a sync flush racing an
    // async write may land out of order, which is sonic-boom's own behaviour and not under test here.
    await flushed(buffered.logger);
    child.debug({ n: -1 }, 'below the level');
    child.warn({ n: 3000 }, 'logged in the same turn as close');
    await buffered.close();
    closeSync(fd);
    const written = lines(path);
    expect(written.map((line) => line['n'])).toEqual(Array.from({ length: 3001 }, (_, i) => i));
    expect(written[0]).toMatchObject({
      level: 30,
      component: 'iam-authenticator',
      arn: 'arn:aws:iam::111122223333:user/alice',
      msg: 'access granted',
    });
  });

  it('writes a batch still being written in the background before close resolves, in order', async () => {
    const path = join(dir, 'log');
    const fd = openSync(path, 'w');
    const buffered = createServerLogger('info', fd);
    // The thread pool's four threads busy for a while: sonic-boom's background write waits in its queue.
    const busy = Array.from({ length: 4 }, () => promisify(pbkdf2)('x', 'y', 100_000, 32, 'sha256'));
    // ≈ 40 Ki characters in one turn: batches are handed over at 16 Ki, and sonic-boom has not written
    // the first one yet when close is called.
    for (let i = 0; i < 200; i++) buffered.logger.info({ n: i, pad: 'x'.repeat(150) }, 'access granted');
    await buffered.close();
    closeSync(fd);
    await Promise.all(busy);
    expect(lines(path).map((line) => line['n'])).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('writes what it holds on logger.flush()', async () => {
    const path = join(dir, 'log');
    const fd = openSync(path, 'w');
    const buffered = createServerLogger('info', fd);
    buffered.logger.info({ n: 1 }, 'one line, far below the 4 KiB write size');
    expect(readFileSync(path, 'utf8')).toBe('');
    await flushed(buffered.logger);
    expect(lines(path).map((line) => line['n'])).toEqual([1]);
    await buffered.close();
    closeSync(fd);
  });

  it('writes what it holds when the process exits without closing it (an uncaught error)', () => {
    const script = `
      import { createServerLogger } from ${JSON.stringify(new URL('./logger.js', import.meta.url).href)};
      const { logger } = createServerLogger('info');
      for (let n = 0; n < 3; n++) logger.info({ n }, 'held line');
      throw new Error('crash');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).not.toBe(0);
    const held = child.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(held.map((line) => line['n'])).toEqual([0, 1, 2]);
    expect(child.stderr).toContain('Error: crash');
  });

  it('writes text lines with format text, batched and in order like JSON ones', async () => {
    const path = join(dir, 'log');
    const fd = openSync(path, 'w');
    const buffered = createServerLogger('info', fd, 'text');
    const child = buffered.logger.child({ arn: 'arn:aws:iam::111122223333:user/alice' });
    for (let n = 0; n < 200; n++) child.info({ n, tokenId: 'abcdef0123456789' }, 'access granted');
    await flushed(buffered.logger); // as above: sonic-boom's async writes done before the sync close
    buffered.logger.warn({ reason: 'token_expired' }, 'access denied');
    await buffered.close();
    closeSync(fd);
    const written = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(written).toHaveLength(201);
    expect(written[0]).toMatch(
      /^time="[^"]+Z" level=info msg="access granted" component="iam-authenticator" arn="arn:aws:iam::111122223333:user\/alice" n=0 tokenId="abcdef0123456789"$/,
    );
    expect(written.map((line) => /n=(\d+)/.exec(line)?.[1]).slice(0, 200)).toEqual(
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
    expect(written[200]).toMatch(
      /level=warning msg="access denied" component="iam-authenticator" reason="token_expired"$/,
    );
  });
});
