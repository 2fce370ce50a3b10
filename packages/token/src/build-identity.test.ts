import { buildIdentity } from './build-identity.js';
import type { ValidatedToken } from './validate-token.js';
import { reasonOf } from './reason-of.test-support.js';

const VALIDATED: ValidatedToken = {
  presignedUrl: 'https://sts.amazonaws.com/?Action=GetCallerIdentity',
  host: 'sts.amazonaws.com',
  accessKeyId: 'AKIAVVVVVVVVVVVAGAVA',
  signingRegion: 'us-east-1',
  signedAt: new Date('2023-04-28T00:00:00Z'),
  expiresAt: new Date('2023-04-28T00:15:00Z'),
  sessionTokenPresent: false,
};
const ACCOUNT = '123456789012';

describe('buildIdentity (reference TestGetIdentityFromSTSResponse and the HTTP identity tests)', () => {
  it.each([
    [
      'root user',
      'arn:aws:iam::123456789012:root',
      '123456789012',
      'arn:aws:iam::123456789012:root',
      '123456789012',
      '',
    ],
    [
      'user',
      'arn:aws:iam::123456789012:user/Alice',
      'AIDAIYCCCMMMMMMMMGGDA',
      'arn:aws:iam::123456789012:user/Alice',
      'AIDAIYCCCMMMMMMMMGGDA',
      '',
    ],
    [
      'role with a colon-less UserId (reference: "malformed UserID", hidden by its test; §6.9)',
      'arn:aws:iam::123456789012:role/Alice',
      'AROAZZCCCNNNNNNNNFFFA',
      'arn:aws:iam::123456789012:role/Alice',
      'AROAZZCCCNNNNNNNNFFFA',
      '',
    ],
    [
      'role with a session (TestVerifySessionName)',
      'arn:aws:iam::123456789012:role/Alice',
      'Alice:session-name',
      'arn:aws:iam::123456789012:role/Alice',
      'Alice',
      'session-name',
    ],
    [
      'federated user keeps the whole UserId',
      'arn:aws:sts::123456789012:federated-user/Alice',
      '123456789012:Alice',
      'arn:aws:sts::123456789012:federated-user/Alice',
      '123456789012:Alice',
      '',
    ],
    [
      'assumed role (TestVerifyCanonicalARN)',
      'arn:aws:sts::123456789012:assumed-role/Alice/extra',
      'Alice:session-name',
      'arn:aws:iam::123456789012:role/Alice',
      'Alice',
      'session-name',
    ],
    [
      'EC2 instance role: the session is the instance id',
      'arn:aws:sts::123456789012:assumed-role/node/i-0123456789abcdef0',
      'AROAEXAMPLEROLEID:i-0123456789abcdef0',
      'arn:aws:iam::123456789012:role/node',
      'AROAEXAMPLEROLEID',
      'i-0123456789abcdef0',
    ],
  ])('%s', (_name, arn, userId, canonicalArn, expectedUserId, sessionName) => {
    expect(buildIdentity({ arn, account: ACCOUNT, userId }, VALIDATED)).toEqual({
      arn,
      canonicalArn,
      accountId: ACCOUNT,
      userId: expectedUserId,
      sessionName,
      accessKeyId: 'AKIAVVVVVVVVVVVAGAVA',
      stsEndpoint: 'sts.amazonaws.com',
      principalId: userId,
    });
  });

  it.each([
    ['invalid ARN (TestVerifyInvalidCanonicalARNError)', 'arn', '1000', 'userid', 'arn_invalid'],
    [
      'role UserId with two colons (TestVerifyInvalidUserIDError)',
      'arn:aws:iam::123456789012:role/Alice',
      ACCOUNT,
      'not:vailid:userid',
      'sts_response_invalid',
    ],
    [
      'assumed role without a session in UserId',
      'arn:aws:sts::123456789012:assumed-role/A/s',
      ACCOUNT,
      'AROAXXXX',
      'sts_response_invalid',
    ],
    [
      'assumed role with an empty session',
      'arn:aws:sts::123456789012:assumed-role/A/s',
      ACCOUNT,
      'AROAXXXX:',
      'sts_response_invalid',
    ],
    [
      'assumed role with an empty role id',
      'arn:aws:sts::123456789012:assumed-role/A/s',
      ACCOUNT,
      ':s',
      'sts_response_invalid',
    ],
    [
      'account differs from the ARN',
      'arn:aws:iam::123456789012:user/Alice',
      '210987654321',
      'AIDA',
      'sts_response_invalid',
    ],
    ['not an identity service', 'arn:aws:s3:::bucket', '', 'x', 'arn_invalid'],
  ])('rejects %s', (_name, arn, account, userId, reason) => {
    expect(reasonOf(() => buildIdentity({ arn, account, userId }, VALIDATED))).toBe(reason);
  });
});
