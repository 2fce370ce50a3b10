/** The demo's world: one cluster, two AWS accounts, sample identities, and the aws-auth they are mapped by. */

export const DEMO_CLUSTER_ID = 'demo-cluster';
export const DEMO_REGION = 'us-east-1';
export const DEMO_ACCOUNT = '111122223333';
export const DEMO_OTHER_ACCOUNT = '444455556666';
export const DEMO_INSTANCE_ID = 'i-0123456789abcdef0';
export const DEMO_INSTANCE_DNS = 'ip-10-0-1-23.ec2.internal';

const user = (name: string, account: string, key: string, id: string) => ({
  accessKeyId: `AKIA${key}`,
  secretAccessKey: `demo-secret-${name}-0000000000000000000000`,
  arn: `arn:aws:iam::${account}:user/${name}`,
  userId: `AIDA${id}`,
});

export const DEMO_USERS = {
  alice: user('alice', DEMO_ACCOUNT, 'DEMOALICE0000001', 'DEMOALICE00000001'),
  mallory: user('mallory', DEMO_ACCOUNT, 'DEMOMALLORY00001', 'DEMOMALLORY000001'),
  carol: user('carol', DEMO_OTHER_ACCOUNT, 'DEMOCAROL0000001', 'DEMOCAROL00000001'),
} as const;

const root = `arn:aws:iam::${DEMO_ACCOUNT}:root`;
export const DEMO_ROLES = {
  developer: {
    arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/teams/dev/Developer`,
    roleId: 'AROADEMODEVELOPER01',
    trustedPrincipals: [root],
  },
  sso: {
    arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdminAccess_0123456789abcdef`,
    roleId: 'AROADEMOSSOADMIN001',
    trustedPrincipals: [root],
  },
  node: {
    arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/EksNodeRole`,
    roleId: 'AROADEMONODEROLE001',
    trustedPrincipals: [root],
  },
} as const;

export const DEMO_IDENTITIES = {
  users: Object.values(DEMO_USERS),
  roles: Object.values(DEMO_ROLES).map((r) => ({ ...r, trustedPrincipals: [...r.trustedPrincipals] })),
  instances: [{ instanceId: DEMO_INSTANCE_ID, privateDnsName: DEMO_INSTANCE_DNS }],
};

/** The server's MountedFile mappings (reference config keys). */
export const DEMO_MAPPINGS = {
  mapUsers: [{ userarn: DEMO_USERS.alice.arn, username: 'alice', groups: ['system:masters'] }],
  mapRoles: [
    // Written with its path: DESIGN difference 4 (aia#268) makes it match.
    { rolearn: DEMO_ROLES.developer.arn, username: 'dev:{{SessionName}}', groups: ['developers'] },
    {
      sso: { permissionSetName: 'AdminAccess', accountID: DEMO_ACCOUNT },
      username: 'sso:{{SessionName}}',
      groups: ['sso-admins'],
    },
    {
      rolearn: DEMO_ROLES.node.arn,
      username: 'system:node:{{EC2PrivateDNSName}}',
      groups: ['system:bootstrappers', 'system:nodes'],
    },
  ],
  mapAccounts: [DEMO_OTHER_ACCOUNT],
};

export interface DemoCase {
  readonly name: string;
  /** Who signs: a user key, or a role assumed by alice with this session name. */
  readonly signer:
    | { readonly user: keyof typeof DEMO_USERS }
    | { readonly role: keyof typeof DEMO_ROLES; readonly sessionName: string };
  /** Token variations that must be refused. */
  readonly variant?: 'other-cluster' | 'expired';
  readonly expect:
    | { readonly allowed: true; readonly username: string; readonly groups: readonly string[] }
    | { readonly allowed: false; readonly reason: string };
}

export const DEMO_CASES: readonly DemoCase[] = [
  {
    name: 'IAM user alice (admin)',
    signer: { user: 'alice' },
    expect: { allowed: true, username: 'alice', groups: ['system:masters'] },
  },
  {
    name: 'role with a path (AssumeRole)',
    signer: { role: 'developer', sessionName: 'dev-session' },
    expect: { allowed: true, username: 'dev:dev-session', groups: ['developers'] },
  },
  {
    name: 'SSO permission set role',
    signer: { role: 'sso', sessionName: 'jane@example.com' },
    expect: { allowed: true, username: 'sso:jane-example.com', groups: ['sso-admins'] },
  },
  {
    name: 'node role (EC2 instance)',
    signer: { role: 'node', sessionName: DEMO_INSTANCE_ID },
    expect: {
      allowed: true,
      username: `system:node:${DEMO_INSTANCE_DNS}`,
      groups: ['system:bootstrappers', 'system:nodes'],
    },
  },
  {
    name: 'user of a mapped account',
    signer: { user: 'carol' },
    expect: { allowed: true, username: DEMO_USERS.carol.arn, groups: [] },
  },
  {
    name: 'unmapped IAM user mallory',
    signer: { user: 'mallory' },
    expect: { allowed: false, reason: 'identity_unmapped' },
  },
  {
    name: 'token for another cluster',
    signer: { user: 'alice' },
    variant: 'other-cluster',
    expect: { allowed: false, reason: 'sts_rejected' },
  },
  {
    name: 'expired token (20 min old)',
    signer: { user: 'alice' },
    variant: 'expired',
    expect: { allowed: false, reason: 'token_expired' },
  },
];
