import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Identity } from '@iam-authenticator/token';
import { matchIdentity } from '../match.js';
import { createDynamicFileBackend } from './dynamic-file.js';
import type { DynamicFileBackend, DynamicFileLoadOutcome } from './dynamic-file.js';
import { parseDynamicFile } from './dynamic-file-format.js';

const ACCT = '111122223333';
const DEV = `arn:aws:iam::${ACCT}:role/Dev`;

const caller: Identity = {
  arn: `arn:aws:sts::${ACCT}:assumed-role/Dev/alice`,
  canonicalArn: DEV,
  accountId: ACCT,
  userId: 'AROADEV',
  sessionName: 'alice',
  accessKeyId: 'ASIA1',
  stsEndpoint: 'sts.amazonaws.com',
  principalId: 'AROADEV:alice',
};

function fileWith(username: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Version: '1',
    LastUpdatedDateTime: '1700000000',
    ClusterId: 'ignored',
    mapRoles: [{ rolearn: DEV, username, groups: ['g'] }],
    mapUsers: [],
    mapAccounts: [],
    ...extra,
  });
}

describe('parseDynamicFile', () => {
  it('reads the reference format, with case-insensitive top-level and entry keys', () => {
    const parsed = parseDynamicFile(
      JSON.stringify({
        MAPROLES: [{ RoleArn: DEV, username: 'dev', groups: ['a'] }],
        mapusers: [{ userARN: `arn:aws:iam::${ACCT}:user/bob`, username: 'bob' }],
        mapAccounts: ['012345678901'],
        version: 'v7',
        LastUpdatedDateTime: '1700000000',
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      mappings: {
        mapRoles: [{ rolearn: DEV, username: 'dev', groups: ['a'] }],
        mapUsers: [{ userarn: `arn:aws:iam::${ACCT}:user/bob`, username: 'bob', groups: [] }],
        mapAccounts: ['012345678901'],
      },
      issues: [],
      lastUpdated: new Date(1700000000 * 1000),
      version: 'v7',
    });
  });

  const rejected: { name: string; text: string; strict?: boolean; error: RegExp }[] = [
    { name: 'invalid JSON', text: '{"mapRoles": [', error: /^error parsing dynamic file: invalid JSON/ },
    { name: 'a JSON array', text: '[]', error: /expected a JSON object/ },
    {
      name: 'a number account',
      text: '{"mapAccounts": [123456789012]}',
      error: /mapAccounts\[0\] must be a JSON string, received 123456789012/,
    },
    {
      name: 'a role without rolearn',
      text: '{"mapRoles": [{"username": "x"}]}',
      error: /mapRoles\[0\]: one of rolearn or sso must be supplied/,
    },
    {
      name: 'a user without userarn',
      text: '{"mapUsers": [{"username": "x"}]}',
      error: /mapUsers\[0\]: value for userarn must be supplied/,
    },
    {
      name: 'a number username',
      text: `{"mapRoles": [{"rolearn": "${DEV}", "username": 5}]}`,
      error: /username must be a string/,
    },
    {
      name: 'strict: an entry without userid',
      text: `{"mapRoles": [{"rolearn": "${DEV}", "username": "x"}]}`,
      strict: true,
      error: /mapRoles\[0\]: value for userid must be supplied \(userIDStrict\)/,
    },
  ];
  it.each(rejected)('rejects the whole file: $name', ({ text, strict, error }) => {
    const parsed = parseDynamicFile(text, { userIDStrict: strict === true });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(error);
  });

  it('strict mode: userid is the key and the ARN optional', () => {
    const parsed = parseDynamicFile('{"mapRoles": [{"userid": "AROADEV", "username": "x"}]}', {
      userIDStrict: true,
    });
    expect(parsed.ok && parsed.mappings).toEqual({
      mapRoles: [{ userid: 'AROADEV', username: 'x', groups: [] }],
      mapUsers: [],
      mapAccounts: [],
      userIdStrict: true,
    });
  });
});

describe('DynamicFile backend', () => {
  let dir: string;
  let path: string;
  let backend: DynamicFileBackend | undefined;
  let outcomes: DynamicFileLoadOutcome[];
  let waiters: {
    kind: DynamicFileLoadOutcome['kind'];
    match: (o: DynamicFileLoadOutcome) => boolean;
    resolve: (o: DynamicFileLoadOutcome) => void;
  }[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dynfile-'));
    path = join(dir, 'mappings.json');
    outcomes = [];
    waiters = [];
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (registry?: Registry): Promise<DynamicFileBackend> => {
    backend = createDynamicFileBackend({
      path,
      pollIntervalMs: 25,
      ...(registry === undefined ? {} : { registry }),
      onLoad: (outcome) => {
        outcomes.push(outcome);
        const at = waiters.findIndex((w) => w.kind === outcome.kind && w.match(outcome));
        if (at >= 0) waiters.splice(at, 1)[0]?.resolve(outcome);
      },
    });
    await backend.start();
    return backend;
  };
  /** Resolves on the next load of that kind (the watcher and the poll deliver it; no fixed sleep). */
  const next = (
    kind: DynamicFileLoadOutcome['kind'],
    match: (o: DynamicFileLoadOutcome) => boolean = () => true,
  ): Promise<DynamicFileLoadOutcome> => new Promise((resolve) => waiters.push({ kind, match, resolve }));
  const username = async (): Promise<string | undefined> =>
    (await matchIdentity(caller, backend === undefined ? [] : [backend], {})).mapped?.username;

  it('loads at start and reloads on an in-place write', async () => {
    await writeFile(path, fileWith('v1'));
    const b = await start();
    expect(b.status()).toMatchObject({
      name: 'DynamicFile',
      synced: true,
      counts: { roles: 1, users: 0, accounts: 0 },
    });
    expect(await username()).toBe('v1');
    const loaded = next('loaded');
    await writeFile(path, fileWith('v2-longer'));
    await loaded;
    expect(await username()).toBe('v2-longer');
  });

  it('reloads on an atomic replace (write to a temp file, rename over)', async () => {
    await writeFile(path, fileWith('v1'));
    await start();
    const loaded = next('loaded');
    await writeFile(join(dir, '.tmp'), fileWith('v2'));
    await rename(join(dir, '.tmp'), path);
    await loaded;
    expect(await username()).toBe('v2');
  });

  it('a partial write keeps the old state, and the completed write is picked up', async () => {
    await writeFile(path, fileWith('v1'));
    const registry = new Registry();
    await start(registry);
    const text = fileWith('v2');
    const handle = await open(path, 'r+');
    await handle.truncate(0);
    const rejected = next('rejected');
    await handle.write(text.slice(0, 20), 0);
    await handle.sync();
    await rejected;
    expect(await username()).toBe('v1');
    expect(backend?.status().lastError).toMatch(/invalid JSON/);
    const loaded = next('loaded');
    await handle.write(text.slice(20), 20);
    await handle.close();
    await loaded;
    expect(await username()).toBe('v2');
    expect(backend?.status().lastError).toBeUndefined();
    const failures = await registry.getSingleMetricAsString(
      'aws_iam_authenticator_dynamicfile_failures_total',
    );
    expect(failures).toMatch(/_total [1-9]\d*$/m);
  });

  it('invalid JSON or a bad entry keeps the last good state (all or nothing)', async () => {
    await writeFile(path, fileWith('v1'));
    await start();
    let rejected = next('rejected');
    await writeFile(path, '{ not json');
    await rejected;
    expect(await username()).toBe('v1');
    // writeFile truncates first, so an empty-file rejection may come before this one.
    rejected = next('rejected', (o) => o.kind === 'rejected' && o.error.includes('mapUsers'));
    await writeFile(path, fileWith('v3', { mapUsers: [{ username: 'no-arn' }] }));
    expect(await rejected).toMatchObject({
      error: expect.stringMatching(/mapUsers\[0\]: value for userarn/) as unknown,
    });
    expect(await username()).toBe('v1');
    expect(backend?.status()).toMatchObject({ synced: true, counts: { roles: 1 } });
  });

  it('a removed file clears the mappings; restoring it loads again', async () => {
    await writeFile(path, fileWith('v1'));
    await start();
    const removed = next('removed');
    await rm(path);
    await removed;
    expect(await username()).toBeUndefined();
    expect(backend?.status()).toMatchObject({
      counts: { roles: 0 },
      lastError: 'the dynamic file does not exist',
    });
    const loaded = next('loaded');
    await writeFile(path, fileWith('back'));
    await loaded;
    expect(await username()).toBe('back');
  });

  it('starts without the file (nothing maps, not synced) and loads it when it appears', async () => {
    const b = await start();
    expect(b.status()).toMatchObject({ synced: false, counts: { roles: 0 } });
    expect(await username()).toBeUndefined();
    const loaded = next('loaded');
    await writeFile(path, fileWith('late'));
    await loaded;
    expect(b.status().synced).toBe(true);
    expect(await username()).toBe('late');
  });

  it('userIDStrict: matches by userid with the path-stripped ARN cross-check', async () => {
    await writeFile(
      path,
      JSON.stringify({
        mapRoles: [{ userid: 'AROADEV', rolearn: `arn:aws:iam::${ACCT}:role/team/Dev`, username: 'strict' }],
      }),
    );
    backend = createDynamicFileBackend({ path, userIDStrict: true, pollIntervalMs: 25 });
    await backend.start();
    expect(await matchIdentity(caller, [backend], {})).toMatchObject({
      mapped: { username: 'strict', rule: 'role-userid' },
    });
    const other = { ...caller, canonicalArn: `arn:aws:iam::${ACCT}:role/Other` };
    expect((await matchIdentity(other, [backend], {})).mapped).toBeUndefined();
  });
});
