import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AuthError, isAuthError, silentLogger } from '@iam-authenticator/core';
import { createStsClient, isPartitionId, verifyToken } from '@iam-authenticator/token';
import type { CliIo } from '../io.js';

const USAGE = `usage: iam-authenticator verify -t TOKEN -i CLUSTER [-o json] [--partition P] [--region R]

Validates a token locally, calls STS with the cluster ID, and prints the identity it proves.
  -t, --token           the token (k8s-aws-v1.…); never printed back
  -i, --cluster-id      the cluster ID the token must be signed for (env KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID)
  -o, --output          json (the reference's field names) or text (default)
      --partition       aws (default), aws-cn, aws-us-gov, …
      --region          only accept STS hosts of this region (repeatable)
      --sts-endpoint-override URL, --sts-ca FILE   send the STS call elsewhere (tests, the emulator)
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        token: { type: 'string', short: 't' },
        'cluster-id': { type: 'string', short: 'i' },
        output: { type: 'string', short: 'o' },
        partition: { type: 'string' },
        region: { type: 'string', multiple: true },
        'sts-endpoint-override': { type: 'string' },
        'sts-ca': { type: 'string' },
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
  const clusterId = values['cluster-id'] ?? io.env['KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID'] ?? '';
  const problems: string[] = [];
  if (values.token === undefined || values.token === '') problems.push('-t/--token: expected a token');
  if (clusterId === '') problems.push('-i/--cluster-id: cluster ID cannot be empty');
  const partition = values.partition ?? 'aws';
  if (!isPartitionId(partition)) problems.push(`--partition: unknown partition ${JSON.stringify(partition)}`);
  const output = values.output ?? 'text';
  if (output !== 'json' && output !== 'text')
    problems.push(`-o/--output: expected json or text, received ${JSON.stringify(output)}`);
  if (problems.length > 0 || !isPartitionId(partition))
    throw new AuthError('usage_error', problems.join('; '));
  const ca = values['sts-ca'] === undefined ? undefined : await readFile(values['sts-ca'], 'utf8');
  if (values['sts-endpoint-override'] !== undefined) {
    io.stderr.write(
      `iam-authenticator: warning: STS calls go to ${values['sts-endpoint-override']}, not AWS\n`,
    );
  }
  const sts = createStsClient({
    logger: silentLogger,
    env: io.env,
    ...(values['sts-endpoint-override'] === undefined
      ? {}
      : { endpointOverride: values['sts-endpoint-override'] }),
    ...(ca === undefined ? {} : { ca }),
  });
  try {
    const identity = await verifyToken(values.token ?? '', {
      clusterId,
      partition,
      ...(values.region === undefined ? {} : { regions: values.region }),
      now: io.now,
      sts,
    });
    if (output === 'json') {
      io.stdout.write(
        `${JSON.stringify(
          {
            ARN: identity.arn,
            CanonicalARN: identity.canonicalArn,
            AccountID: identity.accountId,
            UserID: identity.userId,
            SessionName: identity.sessionName,
            AccessKeyID: identity.accessKeyId,
            STSEndpoint: identity.stsEndpoint,
          },
          null,
          4,
        )}\n`,
      );
    } else {
      io.stdout.write(
        `arn: ${identity.arn}\ncanonicalArn: ${identity.canonicalArn}\naccountId: ${identity.accountId}\n` +
          `userId: ${identity.userId}\nsessionName: ${identity.sessionName}\naccessKeyId: ${identity.accessKeyId}\n` +
          `stsEndpoint: ${identity.stsEndpoint}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (!isAuthError(error)) throw error;
    io.stderr.write(`iam-authenticator: token refused (${error.reason}): ${error.message}\n`);
    return error.exitCode;
  } finally {
    sts.close();
  }
}
