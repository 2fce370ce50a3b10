import { runProcess } from '../support/run-process.js';
import type { ProcessResult } from '../support/run-process.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '@iam-authenticator/mapping';
import { startKubeApiServer } from '../support/index.js';
import type { KubeApiTestServer } from '../support/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/iam-authenticator.js');
const FIXTURES = join(ROOT, 'packages/mapping/testdata/aws-auth');
const NS = 'kube-system';
const NODE_ROLE = 'arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6';

const COMMENTED = {
  mapRoles: `# managed by hand: keep the node role first
- rolearn: ${NODE_ROLE}   # node role
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]

-   roleARN: arn:aws:iam::555555555555:role/Ops
    username: "ops-{{SessionName}}"
    groups:
    - ops
    userid: AROAEXAMPLEOPS
- sso:
    permissionSetName: Admin
    accountID: "555555555555"
  username: admin-{{SessionName}}
  groups:
    - system:masters
# end of roles
`,
  mapUsers: '- userarn: arn:aws:iam::555555555555:user/alice\n  username: alice\n  groups:\n    - view\n',
  mapAccounts: '- "555555555555"\n',
  extraKey: 'kept: true\n',
};

type CliResult = ProcessResult;

let server: KubeApiTestServer;
let dir: string;
let kubeconfig: string;

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    env: { HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
}

function mapping(...args: string[]): Promise<CliResult> {
  return runCli(['mapping', ...args, '--kubeconfig', kubeconfig]);
}

function data(name = 'aws-auth'): Record<string, string> {
  const object = server.getConfigMap(NS, name);
  return { ...((object?.data ?? {}) as Record<string, string>) };
}

function kubectl(args: string[]): Promise<CliResult> {
  return runProcess('kubectl', [...args, '--kubeconfig', kubeconfig]);
}

beforeAll(async () => {
  server = await startKubeApiServer();
  dir = mkdtempSync(join(tmpdir(), 'edit-cluster-'));
  kubeconfig = join(dir, 'kubeconfig');
  // A token user: without one kubectl asks for a username on stdin.
  writeFileSync(kubeconfig, server.kubeconfig({ token: 'edit-test' }));
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.clearRequests();
  server.deleteConfigMap(NS, 'aws-auth');
  server.deleteConfigMap(NS, 'aws-auth-history');
});

const NEW_ROLE =
  '- rolearn: arn:aws:iam::111122223333:role/New\n  username: new\n  groups:\n    - dev\n    - view\n';

/** New entries go after the last entry, before comments that close the list. */
function withAppended(text: string, entry: string): string {
  return text.endsWith('# end of roles\n')
    ? text.replace(/# end of roles\n$/, `${entry}# end of roles\n`)
    : text + entry;
}

const fixtures = readdirSync(FIXTURES).filter(
  (name) => name.endsWith('.yaml') && !name.includes('missing-bar'),
);

describe('round trip through the cluster', () => {
  const inputs: [string, Record<string, string>][] = [
    ...fixtures.map((name): [string, Record<string, string>] => [
      name,
      { ...readManifest(readFileSync(join(FIXTURES, name), 'utf8')).data },
    ]),
    ['commented hand-formatted', COMMENTED],
  ];
  test.each(inputs)('%s: create + delete leaves every byte as it was', async (_name, original) => {
    server.setConfigMap(NS, 'aws-auth', original, { labels: { team: 'platform' } });
    const created = await mapping(
      'create',
      '--arn',
      'arn:aws:iam::111122223333:role/New',
      '--username',
      'new',
      '--group',
      'dev,view',
    );
    expect(created.stderr).toContain('added mapRoles entry');
    expect(created.code).toBe(0);
    const after = data();
    for (const key of Object.keys(original)) if (key !== 'mapRoles') expect(after[key]).toBe(original[key]);
    expect(after.mapRoles).toBe(withAppended(original.mapRoles ?? '', NEW_ROLE));
    const deleted = await mapping('delete', '--arn', 'arn:aws:iam::111122223333:role/new');
    expect(deleted.code).toBe(0);
    expect(data()).toEqual(original);
    expect(server.getConfigMap(NS, 'aws-auth')?.metadata.labels).toEqual({ team: 'platform' });
  });
});

describe('concurrency', () => {
  test('20 concurrent creates with different arns all land and nothing else changes', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const runs = Array.from({ length: 20 }, (_, i) =>
      mapping(
        'create',
        '--arn',
        `arn:aws:iam::111122223333:role/c${i}`,
        '--username',
        `c${i}`,
        '--group',
        'dev',
      ),
    );
    const results = await Promise.all(runs);
    for (const result of results)
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
        code: 0,
        stderr: '',
      });
    const after = data();
    for (let i = 0; i < 20; i++)
      expect(after.mapRoles).toContain(
        `- rolearn: arn:aws:iam::111122223333:role/c${i}\n  username: c${i}\n  groups:\n    - dev\n`,
      );
    const added =
      (after.mapRoles ?? '').match(
        /^- rolearn: arn:aws:iam::111122223333:role\/c\d+\n {2}username: c\d+\n {2}groups:\n {4}- dev\n/gm,
      ) ?? [];
    expect(after.mapRoles).toBe(withAppended(COMMENTED.mapRoles, added.join('')));
    expect(after.mapRoles?.match(/^- rolearn: arn:aws:iam::111122223333:role\/c/gm)).toHaveLength(20);
    expect({ ...after, mapRoles: '' }).toEqual({ ...COMMENTED, mapRoles: '' });
  }, 120_000);

  test('a concurrent create and delete converge to both changes', async () => {
    const withExtra = {
      ...COMMENTED,
      mapUsers: `${COMMENTED.mapUsers}- userarn: arn:aws:iam::555555555555:user/bob\n  username: bob\n`,
    };
    server.setConfigMap(NS, 'aws-auth', withExtra);
    const [create, remove] = await Promise.all([
      mapping('create', '--arn', 'arn:aws:iam::555555555555:user/carol', '--username', 'carol'),
      mapping('delete', '--arn', 'arn:aws:iam::555555555555:user/bob'),
    ]);
    expect([create.code, remove.code]).toEqual([0, 0]);
    expect(data().mapUsers).toBe(
      `${COMMENTED.mapUsers}- userarn: arn:aws:iam::555555555555:user/carol\n  username: carol\n`,
    );
  }, 30_000);

  test('an edit made with kubectl between our read and our write is kept (409, then a fresh read)', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const pause = join(dir, 'pause');
    const edit = runCli(
      [
        'mapping',
        'create',
        '--arn',
        'arn:aws:iam::111122223333:role/Ours',
        '--username',
        'ours',
        '--kubeconfig',
        kubeconfig,
      ],
      { IAM_AUTHENTICATOR_TEST_EDIT_PAUSE_FILE: pause },
    );
    const deadline = Date.now() + 20_000;
    while (!existsSync(`${pause}.ready`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const theirs = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-auth', namespace: NS },
      data: {
        ...COMMENTED,
        mapUsers: `${COMMENTED.mapUsers}- userarn: arn:aws:iam::555555555555:user/theirs\n  username: theirs\n`,
      },
    };
    const manifest = join(dir, 'theirs.json');
    writeFileSync(manifest, JSON.stringify(theirs));
    const applied = await kubectl(['replace', '-f', manifest]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    writeFileSync(`${pause}.go`, '');
    const result = await edit;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('after 2 attempts');
    const after = data();
    expect(after.mapUsers).toContain('user/theirs');
    expect(after.mapRoles).toContain('role/Ours');
    expect(
      server
        .requests()
        .some((r) => r.method === 'PUT' && r.path.endsWith('/configmaps/aws-auth') && r.status === 409),
    ).toBe(true);
  }, 30_000);
});

describe('refusals', () => {
  test('a map that does not parse is not rewritten (and --force edits the other keys)', async () => {
    const broken = {
      ...COMMENTED,
      mapUsers: '- userarn: arn:aws:iam::555555555555:user/alice\n username: [',
    };
    server.setConfigMap(NS, 'aws-auth', broken);
    const result = await mapping('create', '--arn', 'arn:aws:iam::111122223333:role/X', '--username', 'x');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to edit aws-auth that does not parse.*mapUsers/);
    expect(data()).toEqual(broken);
    const forced = await mapping(
      'create',
      '--arn',
      'arn:aws:iam::111122223333:role/X',
      '--username',
      'x',
      '--force',
    );
    expect(forced.code).toBe(0);
    expect(data().mapUsers).toBe(broken.mapUsers);
  });

  test('a duplicate arn (other case) is refused; an identical entry is a no-op success', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const dup = await mapping(
      'create',
      '--arn',
      'arn:aws:iam::555555555555:user/ALICE',
      '--username',
      'other',
    );
    expect(dup.code).toBe(3);
    expect(dup.stderr).toContain('a mapping for this identity exists');
    const same = await mapping(
      'create',
      '--arn',
      'arn:aws:iam::555555555555:user/alice',
      '--username',
      'alice',
      '--group',
      'view',
      '--no-duplicate-arns',
    );
    expect(same.code).toBe(0);
    expect(same.stderr).toContain('nothing to do');
    expect(data()).toEqual(COMMENTED);
  });

  test('removing the node role needs --force', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const refused = await mapping('delete', '--arn', NODE_ROLE);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('nodes would lose access');
    expect(data()).toEqual(COMMENTED);
    const forced = await mapping('delete', '--arn', NODE_ROLE, '--force');
    expect(forced.code).toBe(0);
    expect(data().mapRoles).not.toContain(NODE_ROLE);
  });

  test("eksctl's --cluster/--region must name the kubeconfig's cluster, or nothing is touched", async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const role = ['--arn', 'arn:aws:iam::555555555555:role/WrongCluster', '--username', 'w', '-y'];
    const wrong = await mapping('create', ...role, '--cluster', 'prod', '--region', 'eu-west-1');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `--cluster "prod" --region "eu-west-1" does not match the kubeconfig's cluster "test" (context "test"); nothing was changed`,
    );
    expect(data()).toEqual(COMMENTED);
    expect((await mapping('get', '--cluster', 'prod')).code).toBe(2);
    // The kube API test server's cluster is named "test"; a plain name carries no region to check.
    const right = await mapping('create', ...role, '--cluster', 'test');
    expect(right.code).toBe(0);
    expect(data().mapRoles).toContain('role/WrongCluster');
  });

  test('an assumed-role arn is refused naming the role arn to use', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const result = await mapping(
      'create',
      '--arn',
      'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      '--username',
      'dev',
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('--arn arn:aws:iam::111122223333:role/Dev');
    for (const [arn, message] of [
      ['arn:aws:iam::1234:role/x', 'account must be 12 digits'],
      ['arn:aws-mars:iam::111122223333:role/x', 'partition must be one of'],
      ['not-an-arn', 'arn must start with'],
    ] as const) {
      const bad = await mapping('create', '--arn', arn, '--username', 'x');
      expect({ code: bad.code, hit: bad.stderr.includes(message) }).toEqual({ code: 2, hit: true });
    }
  });

  test('an immutable aws-auth is refused with a clear error', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED, { immutable: true });
    const result = await mapping('create', '--arn', 'arn:aws:iam::111122223333:role/X', '--username', 'x');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('immutable: true');
    expect(server.requests().filter((r) => r.method === 'PUT' || r.method === 'DELETE')).toHaveLength(0);
  });

  test('a delete that matches nothing fails and never creates the ConfigMap', async () => {
    const missing = await mapping('delete', '--arn', 'arn:aws:iam::111122223333:role/X', '--all');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('configmap kube-system/aws-auth does not exist');
    expect(server.getConfigMap(NS, 'aws-auth')).toBeUndefined();
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const none = await mapping('delete', '--arn', 'arn:aws:iam::111122223333:role/X');
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no mapping with arn');
  });

  test('create makes a missing ConfigMap; --dry-run prints a diff and writes nothing', async () => {
    const dry = await mapping(
      'create',
      '--arn',
      'arn:aws:iam::111122223333:role/X',
      '--group',
      'g',
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+- rolearn: arn:aws:iam::111122223333:role/X');
    expect(server.getConfigMap(NS, 'aws-auth')).toBeUndefined();
    const made = await mapping('create', '--arn', 'arn:aws:iam::111122223333:role/X', '--group', 'g');
    expect(made.code).toBe(0);
    expect(data()).toEqual({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/X\n  groups:\n    - g\n' });
  });
});

describe('history and undo', () => {
  test('undo restores the exact previous bytes; history keeps the last 10', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const first = await mapping(
      'update',
      '--arn',
      'arn:aws:iam::555555555555:role/ops',
      '--add-group',
      'view',
    );
    expect(first.code).toBe(0);
    expect(data().mapRoles).toContain('roleARN: arn:aws:iam::555555555555:role/Ops');
    const undo = await mapping('undo', '--yes');
    expect(undo.code).toBe(0);
    expect(data()).toEqual(COMMENTED);
    for (let i = 0; i < 11; i++) {
      const result = await mapping('create', '--account', String(100000000000 + i));
      expect(result.code).toBe(0);
    }
    const history = await mapping('history', '-o', 'json');
    const entries = JSON.parse(history.stdout) as { seq: number; data: Record<string, string> }[];
    expect(entries).toHaveLength(10);
    expect(entries.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const before = entries[entries.length - 1]!.data;
    const again = await mapping('undo');
    expect(again.code).toBe(0);
    expect(data()).toEqual(before);
    // The undo saved the version it replaced: 5..14 are kept now.
    const kept = JSON.parse((await mapping('history', '-o', 'json')).stdout) as {
      seq: number;
      data: Record<string, string>;
    }[];
    expect(kept.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const to = await mapping('undo', '--to', '5');
    expect(to.code).toBe(0);
    expect(data()).toEqual(kept[0]!.data);
    const gone = await mapping('undo', '--to', '1');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('version 1 is not in configmap kube-system/aws-auth-history');
  }, 150_000);
});

describe('mapping undo keeps what others changed since', () => {
  const role = (name: string): string[] => [
    '--arn',
    `arn:aws:iam::555555555555:role/${name}`,
    '--username',
    name,
    '-y',
  ];

  test('a second undo steps further back instead of putting the change back', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    server.deleteConfigMap(NS, 'aws-auth-history');
    expect((await mapping('create', ...role('one'))).code).toBe(0);
    const afterOne = data();
    expect((await mapping('create', ...role('two'))).code).toBe(0);
    expect((await mapping('undo', '-y')).code).toBe(0);
    expect(data()).toEqual(afterOne);
    expect((await mapping('undo', '-y')).code).toBe(0);
    expect(data()).toEqual(COMMENTED);
  });

  test('refuses when aws-auth changed after the edit (a node group added meanwhile), unless --force', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    expect((await mapping('create', ...role('dev'))).code).toBe(0);
    const ng2 = 'arn:aws:iam::555555555555:role/ng2-NodeInstanceRole';
    const withNodes = {
      ...data(),
      mapRoles: `${data().mapRoles ?? ''}- rolearn: ${ng2}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n`,
    };
    server.setConfigMap(NS, 'aws-auth', withNodes);
    const refused = await mapping('undo', '-y');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('aws-auth has changed since the edit that replaced version');
    expect(data()).toEqual(withNodes);
    // Naming the version skips the check of later changes, but not the node-role guard.
    const history = JSON.parse((await mapping('history', '-o', 'json')).stdout) as { seq: number }[];
    const last = String(history[history.length - 1]?.seq);
    const nodes = await mapping('undo', '--to', last, '-y');
    expect(nodes.code).toBe(3);
    expect(nodes.stderr).toContain('would remove the node role mapping of');
    expect(data()).toEqual(withNodes);
    expect((await mapping('undo', '--to', last, '-y', '--force')).code).toBe(0);
    expect(data()).toEqual(COMMENTED);
  });

  test('brings back a deleted aws-auth from its history', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    expect((await mapping('create', ...role('before-delete'))).code).toBe(0);
    const history = JSON.parse((await mapping('history', '-o', 'json')).stdout) as { seq: number }[];
    expect(server.deleteConfigMap(NS, 'aws-auth')).toBe(true);
    const restored = await mapping('undo', '--to', String(history[history.length - 1]?.seq), '-y');
    expect(restored.code).toBe(0);
    expect(data()).toEqual(COMMENTED);
  });
});

describe('read commands against the cluster', () => {
  test('get prints eksctl columns and JSON shape, with sso and userid entries', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const table = await mapping('get');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ARN\s+USERNAME\s+GROUPS\s+ACCOUNT$/);
    expect(table.stdout).toContain('sso:Admin@555555555555');
    const json = await mapping('get', '-o', 'json', '--arn', 'arn:aws:iam::555555555555:role/OPS');
    expect(JSON.parse(json.stdout)).toEqual([
      {
        rolearn: 'arn:aws:iam::555555555555:role/Ops',
        username: 'ops-{{SessionName}}',
        groups: ['ops'],
        userid: 'AROAEXAMPLEOPS',
      },
    ]);
    expect(json.stdout).toContain('\n    {');
    const none = await mapping('get', '--arn', 'arn:aws:iam::555555555555:role/none');
    expect(none.code).toBe(4);
  });

  test('KUBECONFIG and --context are honoured; an unknown context is a usage error', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const viaEnv = await runCli(['mapping', 'get', '-o', 'json', '--context', 'test'], {
      KUBECONFIG: kubeconfig,
    });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toHaveLength(5);
    const unknown = await runCli(['mapping', 'get', '--context', 'nope'], { KUBECONFIG: kubeconfig });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('context "nope" is not in the kubeconfig');
    const wrongServer = join(dir, 'kubeconfig-wrong-server');
    writeFileSync(wrongServer, readFileSync(kubeconfig, 'utf8').replace(server.url, 'https://127.0.0.1:1'));
    const master = await runCli([
      'mapping',
      'get',
      '-o',
      'json',
      '--kubeconfig',
      wrongServer,
      '--master-url',
      server.url,
    ]);
    expect(master.code).toBe(0);
    expect(JSON.parse(master.stdout)).toHaveLength(5);
    const missing = await mapping('get', '--name', 'not-there');
    expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 0, stdout: '' });
  });

  test('add user|role go through the same safe path', async () => {
    server.setConfigMap(NS, 'aws-auth', COMMENTED);
    const user = await runCli([
      'add',
      'user',
      '--userarn',
      'arn:aws:iam::555555555555:user/dave',
      '--username',
      'dave',
      '--groups',
      'a,b',
      '--prompt=false',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(user.code).toBe(0);
    expect(data().mapUsers).toBe(
      `${COMMENTED.mapUsers}- userarn: arn:aws:iam::555555555555:user/dave\n  username: dave\n  groups:\n    - a\n    - b\n`,
    );
    const cancelled = await runCli([
      'add',
      'role',
      '--rolearn',
      'arn:aws:iam::555555555555:role/R',
      '--username',
      'r',
      '--groups',
      'g',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stderr).toContain('cancelled "add role arn:aws:iam::555555555555:role/R"');
    expect(data().mapRoles).toBe(COMMENTED.mapRoles);
    const empty = await runCli([
      'add',
      'user',
      '--userarn',
      'arn:aws:iam::555555555555:user/x',
      '--username',
      'x',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('invalid empty value in userARN');
    const sso = await runCli([
      'add',
      'role',
      '--sso',
      'permissionSetName=Dev,accountID=555555555555',
      '--username',
      'dev',
      '--groups',
      'dev',
      '--yes',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(sso.code).toBe(0);
    expect(data().mapRoles).toContain(
      '- sso:\n    permissionSetName: Dev\n    accountID: "555555555555"\n  username: dev\n',
    );
  });
});
