import { canonicalizeArn, classifyArn, parseArn, stripRolePath } from './arn.js';
import { reasonOf } from './reason-of.test-support.js';

describe('parseArn', () => {
  it('splits into six sections and keeps colons in the resource', () => {
    expect(parseArn('arn:aws:testservice::123:some/wacky:resource:with:colon')).toEqual({
      partition: 'aws',
      service: 'testservice',
      region: '',
      accountId: '123',
      resource: 'some/wacky:resource:with:colon',
    });
  });
  it.each([
    ['no arn: prefix', 'NOT AN ARN'],
    ['wrong prefix', 'nar:aws:iam::123456789012:user/Alice'],
    ['five sections', 'arn:aws:iam::123456789012'],
    ['empty', ''],
  ])('rejects %s with arn_invalid', (_name, arn) => {
    expect(reasonOf(() => parseArn(arn))).toBe('arn_invalid');
  });
});

describe('canonicalizeArn (reference pkg/arn/arn_test.go TestUserARN)', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/Alice', 'arn:aws:iam::123456789012:user/Alice'],
    ['arn:aws:iam::123456789012:role/Users', 'arn:aws:iam::123456789012:role/Users'],
    ['arn:aws:sts::123456789012:assumed-role/Admin/Session', 'arn:aws:iam::123456789012:role/Admin'],
    ['arn:aws:sts::123456789012:federated-user/Bob', 'arn:aws:sts::123456789012:federated-user/Bob'],
    ['arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:root'],
    [
      'arn:aws:sts::123456789012:assumed-role/Org/Team/Admin/Session',
      'arn:aws:iam::123456789012:role/Org/Team/Admin',
    ],
    ['arn:aws-iso:iam::123456789012:user/Chris', 'arn:aws-iso:iam::123456789012:user/Chris'],
    ['arn:aws-iso-b:iam::123456789012:user/Chris', 'arn:aws-iso-b:iam::123456789012:user/Chris'],
    // beyond the reference's vectors
    ['arn:aws-cn:sts::123456789012:assumed-role/Dev/i-0abc', 'arn:aws-cn:iam::123456789012:role/Dev'],
    ['arn:aws-us-gov:iam::123456789012:role/team/x', 'arn:aws-us-gov:iam::123456789012:role/team/x'],
    [
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef',
    ],
    ['arn:aws-eusc:iam::123456789012:user/a', 'arn:aws-eusc:iam::123456789012:user/a'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalizeArn(input)).toBe(expected);
  });

  it.each([
    ['not an ARN (reference vector)', 'NOT AN ARN'],
    ['too few sections', 'arn:aws:iam::123456789012'],
    ['unknown partition', 'arn:aws-not-a-partition:iam::123456789012:user/Alice'],
    ['assumed-role without a session', 'arn:aws:sts::123456789012:assumed-role/Admin'],
    ['assumed-role with an empty role', 'arn:aws:sts::123456789012:assumed-role//Session'],
    ['sts resource type unknown', 'arn:aws:sts::123456789012:user/Alice'],
    ['iam resource type unknown', 'arn:aws:iam::123456789012:group/Admins'],
    ['iam root with a suffix', 'arn:aws:iam::123456789012:root/x'],
    ['user without a name', 'arn:aws:iam::123456789012:user/'],
    ['role without a name', 'arn:aws:iam::123456789012:role'],
    ['federated-user without a name', 'arn:aws:sts::123456789012:federated-user'],
    ['another service', 'arn:aws:s3:::my-bucket'],
    ['resource type case differs', 'arn:aws:iam::123456789012:User/Alice'],
    ['service case differs', 'arn:aws:IAM::123456789012:user/Alice'],
  ])('rejects %s with arn_invalid', (_name, arn) => {
    expect(reasonOf(() => canonicalizeArn(arn))).toBe('arn_invalid');
  });

  it('classifies every kind', () => {
    expect(classifyArn('arn:aws:iam::1:root').kind).toBe('root');
    expect(classifyArn('arn:aws:iam::1:user/a').kind).toBe('user');
    expect(classifyArn('arn:aws:iam::1:role/a').kind).toBe('role');
    expect(classifyArn('arn:aws:sts::1:assumed-role/a/b').kind).toBe('assumed-role');
    expect(classifyArn('arn:aws:sts::1:federated-user/a').kind).toBe('federated-user');
  });

  it('says what was expected and what was received', () => {
    expect(() => canonicalizeArn('arn:aws:s3:::bucket')).toThrow(
      'arn service must be iam or sts for an identity, received "s3"',
    );
  });
});

describe('stripRolePath (reference TestStripPath)', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/Org/Team/Admin', 'arn:aws:iam::123456789012:role/Admin'],
    ['arn:aws:iam::123456789012:role/Admin', 'arn:aws:iam::123456789012:role/Admin'],
    ['arn:aws:iam::123456789012:user/Alice', 'arn:aws:iam::123456789012:user/Alice'],
    ['arn:aws:sts::123456789012:federated-user/Bob', 'arn:aws:sts::123456789012:federated-user/Bob'],
    [
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_0123456789abcdef',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_A_0123456789abcdef',
    ],
    ['arn:aws:iam::123456789012:user/path/Alice', 'arn:aws:iam::123456789012:user/path/Alice'],
  ])('%s → %s', (input, expected) => {
    expect(stripRolePath(input)).toBe(expected);
  });
  it('rejects NOT AN ARN', () => {
    expect(reasonOf(() => stripRolePath('NOT AN ARN'))).toBe('arn_invalid');
  });
});
