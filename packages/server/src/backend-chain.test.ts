import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Logger } from '@iam-authenticator/core';
import { parseBackendModeFile, startBackendChain } from './backend-chain.js';
import type { BackendChain } from './backend-chain.js';
import { resolveServerConfig } from './config.js';
import type { ServerConfig } from './config.js';

const ADMIN = 'arn:aws:iam::111122223333:user/admin';

const modeFile = (backendMode: unknown): string =>
  JSON.stringify({ backendMode, Version: '1', LastUpdatedDateTime: '1700000000' });

describe('parseBackendModeFile', () => {
  it('reads the space-separated modes in order, deprecated aliases included', () => {
    expect(parseBackendModeFile(modeFile('DynamicFile MountedFile'))).toEqual({
      modes: ['DynamicFile', 'MountedFile'],
    });
    expect(parseBackendModeFile(modeFile('ConfigMap File'))).toEqual({
      modes: ['EKSConfigMap', 'MountedFile'],
    });
  });

  it.each([
    ['an empty string', modeFile(''), 'at least one backend-mode must be specified'],
    ['a double space', modeFile('MountedFile  CRD'), 'backend-mode "" is not a valid mode'],
    ['an unknown name', modeFile('MountedFile Nope'), 'backend-mode "Nope" is not a valid mode'],
    ['a duplicate', modeFile('CRD CRD'), 'has duplicates'],
    ['a number', modeFile(3), 'expected "backendMode" to be a string'],
    ['no backendMode', JSON.stringify({ Version: '1' }), 'expected "backendMode" to be a string'],
    ['an array', '["MountedFile"]', 'expected a JSON object'],
    ['text', 'backendMode: MountedFile', 'the file is not JSON'],
  ])('refuses %s', (_what, text, problem) => {
    const parsed = parseBackendModeFile(text);
    expect('problem' in parsed && parsed.problem).toContain(problem);
  });
});

describe('startBackendChain with server.dynamicBackendModePath', () => {
  let dir: string;
  let modesPath: string;
  let dynamicPath: string;
  let chain: BackendChain | undefined;
  let lines: string[];
  let logger: Logger;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backend-chain-'));
    modesPath = join(dir, 'backend-mode.json');
    dynamicPath = join(dir, 'dynamic.json');
    await writeFile(
      dynamicPath,
      JSON.stringify({
        mapRoles: [],
        mapUsers: [{ userarn: ADMIN, username: 'from-dynamic' }],
        mapAccounts: [],
      }),
    );
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    logger = pino({ level: 'debug' }, sink);
  });
  afterEach(async () => {
    await chain?.stop();
    chain = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const configWith = (server: Record<string, unknown>): ServerConfig => {
    const resolved = resolveServerConfig(
      {
        clusterID: 'c',
        server: {
          backendMode: ['MountedFile'],
          mapUsers: [{ userarn: ADMIN, username: 'from-mounted' }],
          dynamicfilepath: dynamicPath,
          dynamicBackendModePath: modesPath,
          ...server,
        },
      },
      {},
      {},
    );
    if (resolved.config === undefined) throw new Error(resolved.problems.join('; '));
    return resolved.config;
  };
  const start = async (server: Record<string, unknown> = {}): Promise<BackendChain> => {
    chain = await startBackendChain(configWith(server), {
      logger,
      registry: new Registry(),
      now: () => new Date(),
      pollIntervalMs: 60_000,
    });
    return chain;
  };
  const names = (c: BackendChain): string[] => c.current().map((backend) => backend.name);

  it('switches to the modes of the file, keeps the chain on a bad file, and goes back when it is deleted', async () => {
    const c = await start();
    expect(c.modes()).toEqual(['MountedFile']);
    const first = c.current();

    await writeFile(modesPath, modeFile('DynamicFile MountedFile'));
    await c.check();
    expect(names(c)).toEqual(['DynamicFile', 'MountedFile']);
    expect(c.current().every((backend) => backend.status().synced)).toBe(true);
    // The old chain's objects are not reused.
    expect(c.current()[1]).not.toBe(first[0]);
    expect(lines.join('')).toContain('"msg":"backend modes switched"');

    const switched = c.current();
    await c.check();
    expect(c.current()).toBe(switched); // same modes: nothing rebuilt

    await writeFile(modesPath, modeFile('DynamicFile Nope'));
    await c.check();
    await c.check();
    await c.check();
    expect(c.current()).toBe(switched);
    // Refused once per content, not on every poll.
    expect(lines.filter((line) => line.includes('backend-mode \\"Nope\\" is not a valid mode'))).toHaveLength(
      1,
    );

    await rm(modesPath);
    await c.check();
    expect(names(c)).toEqual(['MountedFile']);
  });

  it('uses a valid file present at start, and server.backendMode when the file is not valid', async () => {
    await writeFile(modesPath, modeFile('DynamicFile'));
    expect(names(await start())).toEqual(['DynamicFile']);
    await chain?.stop();

    await writeFile(modesPath, '{');
    expect(names(await start())).toEqual(['MountedFile']);
    expect(lines.join('')).toContain('dynamic backend mode file refused, using server.backendMode');
  });

  it('keeps the chain when the new modes cannot be built (invalid MountedFile mappings)', async () => {
    const c = await start({
      backendMode: ['DynamicFile'],
      mapUsers: [{ userarn: 'not-an-arn', username: 'x' }],
    });
    await writeFile(modesPath, modeFile('MountedFile'));
    await c.check();
    await c.check();
    expect(names(c)).toEqual(['DynamicFile']);
    // Tried once per content.
    expect(lines.filter((line) => line.includes('the new chain could not be built'))).toHaveLength(1);
  });

  it('sees a change without an explicit check (directory watch or poll)', async () => {
    const c = await startBackendChain(configWith({}), {
      logger,
      registry: new Registry(),
      now: () => new Date(),
      pollIntervalMs: 100,
    });
    chain = c;
    await writeFile(modesPath, modeFile('DynamicFile'));
    const deadline = Date.now() + 5_000;
    while (names(c).join() !== 'DynamicFile' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(names(c)).toEqual(['DynamicFile']);
  });
});
