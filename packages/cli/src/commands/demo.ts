import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthError, silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { createEc2DnsResolver } from '@iam-authenticator/mapping';
import {
  createSelfSignedCa,
  createServer,
  issueCertificate,
  resolveServerConfig,
} from '@iam-authenticator/server';
import { startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { StsEmulator } from '@iam-authenticator/sts-emulator';
import { presignCallerIdentity } from '@iam-authenticator/token';
import type { AwsCredentials } from '@iam-authenticator/token';
import type { CliIo } from '../io.js';
import { demoAssumeRole } from '../server-cli/demo-assume-role.js';
import {
  DEMO_CASES,
  DEMO_CLUSTER_ID,
  DEMO_IDENTITIES,
  DEMO_MAPPINGS,
  DEMO_REGION,
  DEMO_ROLES,
  DEMO_USERS,
} from '../server-cli/demo-fixtures.js';
import type { DemoCase } from '../server-cli/demo-fixtures.js';
import { httpsCall } from '../server-cli/https-call.js';
import { createCliLogger } from '../server-cli/logger.js';

const USAGE = `usage: iam-authenticator demo [--verbose] [--keep]

Runs the whole flow on loopback with no AWS account: an STS emulator (TLS, as sts.${DEMO_REGION}.amazonaws.com),
the webhook (HTTPS + client certificate) with sample mappings, tokens from the real generator, TokenReviews.
Prints who was let in as whom; exits 0 only when every outcome is the expected one.
  --verbose   server logs (JSON) on stderr
  --keep      keep the temporary directory (certificates, kubeconfig)
`;

const STS_HOST = `sts.${DEMO_REGION}.amazonaws.com`;

interface Outcome {
  readonly allowed: boolean;
  readonly username: string;
  readonly groups: readonly string[];
  readonly reason: string;
  readonly status: number;
}

function matches(expected: DemoCase['expect'], got: Outcome): boolean {
  if (expected.allowed) {
    return (
      got.allowed &&
      got.status === 200 &&
      got.username === expected.username &&
      JSON.stringify(got.groups) === JSON.stringify(expected.groups)
    );
  }
  return !got.allowed && got.status === 200 && got.reason === expected.reason;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export async function run(args: string[], io: CliIo): Promise<number> {
  let values: { verbose?: boolean; keep?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        verbose: { type: 'boolean' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new AuthError('usage_error', error instanceof Error ? error.message : 'bad flags');
  }
  if (values.help === true) {
    io.stderr.write(USAGE);
    return 0;
  }
  const logger: Logger = values.verbose === true ? createCliLogger(io.stderr, 'info') : silentLogger;
  const dir = await mkdtemp(join(tmpdir(), 'iam-authenticator-demo-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    // An in-process CA vouches for the emulator as the real STS host, so tokens keep the real host name.
    const stsCa = await createSelfSignedCa({
      commonName: 'iam-authenticator demo STS CA',
      keyType: 'ecdsa',
      validityDays: 1,
    });
    const stsCert = await issueCertificate(stsCa, {
      commonName: STS_HOST,
      dnsNames: [STS_HOST, 'sts.amazonaws.com', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      keyType: 'ecdsa',
      validityDays: 1,
    });
    const clientCa = await createSelfSignedCa({
      commonName: 'demo kube-apiserver client CA',
      keyType: 'ecdsa',
      usage: 'client',
      validityDays: 1,
    });
    const client = await issueCertificate(clientCa, {
      commonName: 'kube-apiserver',
      keyType: 'ecdsa',
      usage: 'client',
      validityDays: 1,
    });
    await writeFile(join(dir, 'sts-ca.pem'), stsCa.certPem);
    await writeFile(join(dir, 'client-ca.pem'), clientCa.certPem);

    const sts: StsEmulator = await startStsEmulator({
      identities: DEMO_IDENTITIES,
      tls: { cert: stsCert.certPem, key: stsCert.keyPem },
      now: io.now,
    });
    cleanups.push(() => sts.close());
    // EC2 DescribeInstances for {{EC2PrivateDNSName}}: a plain-HTTP emulator instance the AWS SDK can reach.
    const ec2 = await startStsEmulator({ identities: DEMO_IDENTITIES, now: io.now });
    cleanups.push(() => ec2.close());
    const ec2Resolver = createEc2DnsResolver({
      region: DEMO_REGION,
      endpoint: ec2.url,
      credentials: {
        accessKeyId: DEMO_USERS.alice.accessKeyId,
        secretAccessKey: DEMO_USERS.alice.secretAccessKey,
      },
    });
    cleanups.push(() => {
      ec2Resolver.close();
    });

    const resolved = resolveServerConfig(
      {
        clusterID: DEMO_CLUSTER_ID,
        server: {
          port: 0,
          healthPort: 0,
          healthAddress: '127.0.0.1',
          stateDir: join(dir, 'state'),
          generateKubeconfig: join(dir, 'kubeconfig.yaml'),
          ...DEMO_MAPPINGS,
        },
      },
      {
        'sts-endpoint-override': sts.url,
        'sts-ca': join(dir, 'sts-ca.pem'),
        'client-ca': join(dir, 'client-ca.pem'),
      },
      {},
    );
    if (resolved.config === undefined)
      throw new AuthError('internal_error', `demo config: ${resolved.problems.join('; ')}`);
    const server = createServer(resolved.config, { logger, now: io.now, pipeline: { ec2: ec2Resolver } });
    const started = await server.start();
    cleanups.push(() => server.stop({ drainMs: 1000 }));
    const servingCa = await readFile(join(dir, 'state', 'cert.pem'), 'utf8');

    const credentialsFor = async (signer: DemoCase['signer']): Promise<AwsCredentials> => {
      if ('user' in signer) {
        const u = DEMO_USERS[signer.user];
        return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
      }
      return demoAssumeRole({
        credentials: {
          accessKeyId: DEMO_USERS.alice.accessKeyId,
          secretAccessKey: DEMO_USERS.alice.secretAccessKey,
        },
        roleArn: DEMO_ROLES[signer.role].arn,
        sessionName: signer.sessionName,
        region: DEMO_REGION,
        host: STS_HOST,
        endpointUrl: sts.url,
        ca: stsCa.certPem,
        now: io.now,
      });
    };

    const review = async (token: string, withClientCert: boolean): Promise<Outcome> => {
      const result = await httpsCall({
        url: `${started.url}/authenticate`,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token },
        }),
        ca: servingCa,
        servername: 'localhost',
        ...(withClientCert ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      const body = JSON.parse(result.body) as {
        status?: { authenticated?: boolean; error?: string; user?: { username?: string; groups?: string[] } };
      };
      return {
        allowed: body.status?.authenticated === true,
        username: body.status?.user?.username ?? '',
        groups: body.status?.user?.groups ?? [],
        reason: body.status?.error ?? '',
        status: result.status,
      };
    };

    const rows: string[][] = [['IDENTITY', 'RESULT', 'USERNAME', 'GROUPS', 'REASON', 'AS EXPECTED']];
    let failures = 0;
    for (const demoCase of DEMO_CASES) {
      let outcome: Outcome;
      try {
        const credentials = await credentialsFor(demoCase.signer);
        const signedAt =
          demoCase.variant === 'expired' ? new Date(io.now().getTime() - 20 * 60_000) : io.now();
        const { token } = await presignCallerIdentity({
          credentials,
          clusterId: demoCase.variant === 'other-cluster' ? 'some-other-cluster' : DEMO_CLUSTER_ID,
          region: DEMO_REGION,
          now: () => signedAt,
        });
        outcome = await review(token, true);
      } catch (error) {
        outcome = {
          allowed: false,
          username: '',
          groups: [],
          reason: `demo error: ${error instanceof Error ? error.message : 'unknown'}`,
          status: 0,
        };
      }
      const ok = matches(demoCase.expect, outcome);
      if (!ok) failures++;
      rows.push([
        demoCase.name,
        outcome.allowed ? 'allowed' : 'denied',
        outcome.username === '' ? '-' : outcome.username,
        outcome.groups.length === 0 ? '-' : outcome.groups.join(','),
        outcome.reason === '' ? '-' : outcome.reason,
        ok
          ? 'yes'
          : `NO (expected ${demoCase.expect.allowed ? `allowed as ${demoCase.expect.username}` : demoCase.expect.reason})`,
      ]);
    }

    // mTLS: the same valid request without a client certificate never reaches the handler.
    let mtlsRefused = false;
    try {
      const { token } = await presignCallerIdentity({
        credentials: {
          accessKeyId: DEMO_USERS.alice.accessKeyId,
          secretAccessKey: DEMO_USERS.alice.secretAccessKey,
        },
        clusterId: DEMO_CLUSTER_ID,
        region: DEMO_REGION,
        now: io.now,
      });
      await review(token, false);
    } catch {
      mtlsRefused = true;
    }
    if (!mtlsRefused) failures++;
    rows.push([
      'caller without client certificate',
      mtlsRefused ? 'refused (TLS)' : 'ANSWERED',
      '-',
      '-',
      '-',
      mtlsRefused ? 'yes' : 'NO',
    ]);

    io.stdout.write(table(rows));
    const counts = sts.counts();
    io.stderr.write(
      `demo: webhook ${started.url}/authenticate (mTLS), STS emulator ${sts.url} as ${STS_HOST}; ` +
        `STS calls: GetCallerIdentity=${counts['GetCallerIdentity'] ?? 0} AssumeRole=${counts['AssumeRole'] ?? 0}\n` +
        (failures === 0
          ? 'demo: every outcome is as expected\n'
          : `demo: ${failures} unexpected outcome(s)\n`) +
        (values.keep === true ? `demo: files kept in ${dir}\n` : ''),
    );
    return failures === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        /* best effort */
      }
    }
    if (values.keep !== true) await rm(dir, { recursive: true, force: true });
  }
}
