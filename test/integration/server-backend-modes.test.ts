/**
 * server.dynamicBackendModePath through the real webhook: writing the mode file switches the mapper chain
 * (seen by the directory watch or the 1 s poll, no restart), a bad file keeps the chain, and deleting the
 * file goes back to server.backendMode. Reviews over HTTPS show which chain answers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USERS, startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

const modeFile = (backendMode: string): string =>
  JSON.stringify({ backendMode, Version: '2', LastUpdatedDateTime: '1764979200' });

describe('server: switching backend modes at run time (server.dynamicBackendModePath)', () => {
  let h: Harness;
  let dir: string;
  let modesPath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backend-modes-'));
    modesPath = join(dir, 'backend-mode.json');
    const dynamicPath = join(dir, 'dynamic.json');
    await writeFile(
      dynamicPath,
      JSON.stringify({
        mapRoles: [],
        mapUsers: [{ userarn: USERS.nobody.arn, username: 'nobody-from-dynamic-file', groups: ['dyn'] }],
        mapAccounts: [],
      }),
    );
    h = await startHarness({
      server: {
        backendMode: ['MountedFile'],
        dynamicfilepath: dynamicPath,
        dynamicBackendModePath: modesPath,
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const usernameOf = async (user: keyof typeof USERS): Promise<string | undefined> => {
    const { json } = await h.review(await h.token(user));
    return json.status.user.username;
  };
  /** Reviews until `user` gets `expected` (the switch is asynchronous), for at most 5 s. */
  const eventually = async (user: keyof typeof USERS, expected: string | undefined): Promise<void> => {
    const deadline = Date.now() + 5_000;
    let seen = await usernameOf(user);
    while (seen !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await usernameOf(user);
    }
    expect(seen).toBe(expected);
  };

  it('follows the mode file and goes back to server.backendMode when it is deleted', async () => {
    expect(await usernameOf('admin')).toBe('admin');
    expect(await usernameOf('nobody')).toBeUndefined();

    await writeFile(modesPath, modeFile('DynamicFile'));
    await eventually('nobody', 'nobody-from-dynamic-file');
    // MountedFile is no longer in the chain: the admin mapping of the config file stops applying.
    const denied = await h.review(await h.token('admin'));
    expect(denied.json.status).toMatchObject({ authenticated: false, error: 'identity_unmapped' });

    await writeFile(modesPath, modeFile('DynamicFile MountedFile'));
    await eventually('admin', 'admin');
    expect(await usernameOf('nobody')).toBe('nobody-from-dynamic-file');

    // A file naming an unknown backend is refused; the chain in use stays.
    await writeFile(modesPath, modeFile('DynamicFile Bogus'));
    const deadline = Date.now() + 5_000;
    while (!h.logs.text().includes('dynamic backend mode file refused') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(h.logs.text()).toContain('backend-mode \\"Bogus\\" is not a valid mode');
    expect(await usernameOf('admin')).toBe('admin');
    expect(await usernameOf('nobody')).toBe('nobody-from-dynamic-file');

    await rm(modesPath);
    await eventually('nobody', undefined);
    expect(await usernameOf('admin')).toBe('admin');
    const switches = h.logs.lines().filter((line) => line['msg'] === 'backend modes switched');
    expect(switches.map((line) => line['to'])).toEqual([
      ['DynamicFile'],
      ['DynamicFile', 'MountedFile'],
      ['MountedFile'],
    ]);
  });
});
