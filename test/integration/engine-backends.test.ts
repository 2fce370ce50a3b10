/**
 * The mapping engine over real backends: MountedFile (server config values) in front of DynamicFile (a real
 * JSON file on disk, reloaded on change), as `--backend-mode=MountedFile,DynamicFile` would build them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import {
  createDynamicFileBackend,
  createMountedFileBackend,
  matchIdentity,
  parseMappingsConfig,
} from '@iam-authenticator/mapping';
import type { DynamicFileLoadOutcome, MappingBackend } from '@iam-authenticator/mapping';
import type { Identity } from '@iam-authenticator/token';

const ACCT = '111122223333';

function caller(role: string, session: string): Identity {
  return {
    arn: `arn:aws:sts::${ACCT}:assumed-role/${role}/${session}`,
    canonicalArn: `arn:aws:iam::${ACCT}:role/${role}`,
    accountId: ACCT,
    userId: `AROA${role.toUpperCase()}`,
    sessionName: session,
    accessKeyId: 'ASIAENGINE',
    stsEndpoint: 'sts.amazonaws.com',
    principalId: `AROA${role.toUpperCase()}:${session}`,
  };
}

describe('MountedFile then DynamicFile', () => {
  let dir: string;
  let backends: MappingBackend[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-backends-'));
  });
  afterEach(async () => {
    for (const b of backends) await b.stop();
    backends = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps through the chain, honours per-backend reserved prefixes, and follows file changes', async () => {
    const path = join(dir, 'dynamic.json');
    await writeFile(
      path,
      JSON.stringify({
        mapRoles: [
          { rolearn: `arn:aws:iam::${ACCT}:role/Dev`, username: 'dev:{{SessionName}}', groups: ['dev'] },
          { rolearn: `arn:aws:iam::${ACCT}:role/team/Ops`, username: 'system:ops', groups: [] },
        ],
        mapAccounts: [ACCT],
      }),
    );
    const mounted = createMountedFileBackend(
      parseMappingsConfig({
        mapRoles: [
          {
            roleARN: `arn:aws:sts::${ACCT}:assumed-role/Admin/anything`,
            username: 'admin',
            groups: ['system:masters'],
          },
        ],
      }),
    );
    const loads: DynamicFileLoadOutcome[] = [];
    let onLoaded: (() => void) | undefined;
    const dynamic = createDynamicFileBackend({
      path,
      pollIntervalMs: 25,
      registry: new Registry(),
      onLoad: (o) => {
        loads.push(o);
        if (o.kind === 'loaded') onLoaded?.();
      },
    });
    backends = [mounted, dynamic];
    for (const b of backends) await b.start();
    const options = { reservedPrefixes: { DynamicFile: ['system:'] } };

    expect((await matchIdentity(caller('Admin', 'a'), backends, options)).mapped).toMatchObject({
      username: 'admin',
      backend: 'MountedFile',
      rule: 'role-assumed-role-arn',
    });
    expect((await matchIdentity(caller('Dev', 'jo@example.com'), backends, options)).mapped).toMatchObject({
      username: 'dev:jo-example.com',
      backend: 'DynamicFile',
      rule: 'role-arn',
    });
    const ops = await matchIdentity(caller('Ops', 'x'), backends, options);
    expect(ops).toMatchObject({ mapped: undefined, denyReason: 'username_reserved' });
    expect(ops.trace.at(-1)).toMatchObject({
      backend: 'DynamicFile',
      rule: 'reserved-prefix',
      outcome: 'rejected',
    });
    expect((await matchIdentity(caller('Other', 'x'), backends, options)).mapped).toMatchObject({
      username: `arn:aws:iam::${ACCT}:role/Other`,
      rule: 'account',
    });

    const reloaded = new Promise<void>((resolve) => (onLoaded = resolve));
    await writeFile(join(dir, 'next.json'), JSON.stringify({ mapRoles: [] }));
    await rename(join(dir, 'next.json'), path);
    await reloaded;
    expect((await matchIdentity(caller('Dev', 'jo'), backends, options)).denyReason).toBe(
      'identity_unmapped',
    );
    expect(dynamic.status()).toMatchObject({ synced: true, counts: { roles: 0, users: 0, accounts: 0 } });
    expect(loads.filter((l) => l.kind === 'loaded').length).toBeGreaterThanOrEqual(2);
  });
});
