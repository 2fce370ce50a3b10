import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AuthError } from '@iam-authenticator/core';
import type { AwsCredentials } from '@iam-authenticator/token';
import { httpsCall } from './https-call.js';

export interface DemoAssumeRoleOptions {
  readonly credentials: AwsCredentials;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly region: string;
  /** The real STS host the request is signed for (and the TLS name checked). */
  readonly host: string;
  /** Where the request is actually sent (the emulator). */
  readonly endpointUrl: string;
  readonly ca: string;
  readonly now: () => Date;
}

/** AssumeRole over SigV4 (a real signature the emulator verifies), sent to the emulator as the STS host. */
export async function demoAssumeRole(options: DemoAssumeRoleOptions): Promise<AwsCredentials> {
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: options.roleArn,
    RoleSessionName: options.sessionName,
  }).toString();
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    credentials: {
      accessKeyId: options.credentials.accessKeyId,
      secretAccessKey: options.credentials.secretAccessKey,
      ...(options.credentials.sessionToken === undefined
        ? {}
        : { sessionToken: options.credentials.sessionToken }),
    },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: options.host,
      path: '/',
      headers: {
        host: options.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        accept: 'application/json',
      },
      body,
    }),
    { signingDate: options.now() },
  );
  const result = await httpsCall({
    url: options.endpointUrl,
    method: 'POST',
    headers: signed.headers,
    body,
    ca: options.ca,
    servername: options.host,
  });
  if (result.status !== 200) {
    throw new AuthError(
      'assume_role_denied',
      `demo AssumeRole of ${options.roleArn} failed with HTTP ${result.status}`,
    );
  }
  const parsed = JSON.parse(result.body) as {
    AssumeRoleResponse?: {
      AssumeRoleResult?: {
        Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
      };
    };
  };
  const creds = parsed.AssumeRoleResponse?.AssumeRoleResult?.Credentials;
  if (
    creds?.AccessKeyId === undefined ||
    creds.SecretAccessKey === undefined ||
    creds.SessionToken === undefined
  ) {
    throw new AuthError('assume_role_denied', 'demo AssumeRole answered without credentials');
  }
  return {
    accessKeyId: creds.AccessKeyId,
    secretAccessKey: creds.SecretAccessKey,
    sessionToken: creds.SessionToken,
  };
}
