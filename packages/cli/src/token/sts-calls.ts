import { AuthError } from '@iam-authenticator/core';
import type { AwsCredentials } from '@iam-authenticator/token';
import { classifyAwsError } from './aws-errors.js';

export interface StsCallOptions {
  credentials: AwsCredentials;
  region: string;
  /** AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL: where these calls go. The token's host is never changed. */
  endpoint: string | undefined;
}

export interface AssumeRoleOptions extends StsCallOptions {
  roleArn: string;
  externalId: string | undefined;
  sessionName: string;
}

async function createClient(options: StsCallOptions) {
  const sts = await import('@aws-sdk/client-sts');
  const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
  const client = new sts.STSClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    credentials:
      sessionToken === undefined
        ? { accessKeyId, secretAccessKey }
        : { accessKeyId, secretAccessKey, sessionToken },
    maxAttempts: 2,
  });
  return { sts, client };
}

export async function callGetCallerIdentity(
  options: StsCallOptions,
): Promise<{ arn: string; userId: string }> {
  const { sts, client } = await createClient(options);
  try {
    const answer = await client.send(new sts.GetCallerIdentityCommand({}));
    if (answer.Arn === undefined || answer.UserId === undefined) {
      throw new AuthError('aws_unavailable', 'GetCallerIdentity answered without Arn or UserId');
    }
    return { arn: answer.Arn, userId: answer.UserId };
  } catch (error) {
    throw classifyAwsError(error, 'GetCallerIdentity');
  } finally {
    client.destroy();
  }
}

export async function callAssumeRole(options: AssumeRoleOptions): Promise<AwsCredentials> {
  const { sts, client } = await createClient(options);
  try {
    const answer = await client.send(
      new sts.AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName,
        ...(options.externalId === undefined ? {} : { ExternalId: options.externalId }),
      }),
    );
    const credentials = answer.Credentials;
    if (credentials?.AccessKeyId === undefined || credentials.SecretAccessKey === undefined) {
      throw new AuthError('aws_unavailable', 'AssumeRole answered without credentials');
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  } catch (error) {
    throw classifyAwsError(error, 'AssumeRole');
  } finally {
    client.destroy();
  }
}
