import { AuthError } from '@iam-authenticator/core';
import { presignCallerIdentity, validateToken } from '@iam-authenticator/token';
import type { ValidatedToken } from '@iam-authenticator/token';

/** The signing time of the STS client tests' tokens, and the clock they are validated with. */
export const STS_TEST_NOW = new Date('2023-04-28T00:05:00Z');
export const STS_TEST_CLUSTER = 'test-cluster';

/** STS's JSON answer to GetCallerIdentity for an assumed role, as the STS stand-ins of the tests send it. */
export const STS_TEST_OK_BODY = JSON.stringify({
  GetCallerIdentityResponse: {
    GetCallerIdentityResult: {
      Arn: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
      Account: '123456789012',
      UserId: 'AROAEXAMPLEID:alice',
    },
    ResponseMetadata: { RequestId: '01234567-89ab-cdef-0123-456789abcdef' },
  },
});

/** A real token from our generator (session credentials), validated as the server would. */
export async function validatedTestToken(
  options: { region?: string; clusterId?: string; session?: string } = {},
): Promise<ValidatedToken> {
  const { token } = await presignCallerIdentity({
    credentials: {
      accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
      secretAccessKey: 'secret',
      sessionToken: options.session ?? 'SESSIONTOKENsecretvalue',
    },
    clusterId: options.clusterId ?? STS_TEST_CLUSTER,
    region: options.region ?? 'us-west-2',
    now: () => STS_TEST_NOW,
  });
  return validateToken(token, { partition: 'aws', now: () => STS_TEST_NOW });
}

/** The AuthError a promise rejects with (anything else, or success, fails the test). */
export async function authErrorOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError, got success');
}
