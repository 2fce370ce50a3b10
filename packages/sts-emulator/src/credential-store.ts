import { randomBytes } from 'node:crypto';
import type { EmulatedRole, IdentitiesFile } from './identities.js';
import { accountOf, partitionOf, roleNameOf } from './identities.js';

/** Who signed a request, as GetCallerIdentity reports it. */
export interface Principal {
  readonly kind: 'user' | 'root' | 'assumed-role';
  /** As STS returns it: the user/root ARN, or arn:P:sts::ACCT:assumed-role/ROLE/SESSION. */
  readonly arn: string;
  /** STS UserId: AIDA…, the account id for root, or ROLEID:SESSION. */
  readonly userId: string;
  readonly account: string;
  /** For assumed roles, the full role ARN (with path); for users the user ARN. */
  readonly sourceArn: string;
  readonly accessKeyId: string;
}

export interface SigningSecret {
  readonly secretAccessKey: string;
  /** Present for temporary credentials: the request must carry exactly this token. */
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly principal: Principal;
}

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly principal: Principal;
}

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyId(prefix: string): string {
  let out = prefix;
  for (const byte of randomBytes(16)) out += ALNUM_UPPER[byte % 32] ?? 'A';
  return out;
}

/** Long-term keys from the identities file plus temporary keys issued by AssumeRole (in memory). */
export class CredentialStore {
  readonly #users = new Map<string, SigningSecret>();
  readonly #temporary = new Map<string, SigningSecret>();
  readonly #roles = new Map<string, EmulatedRole>();

  constructor(identities: IdentitiesFile) {
    for (const user of identities.users) {
      const root = /:root$/.test(user.arn);
      this.#users.set(user.accessKeyId, {
        secretAccessKey: user.secretAccessKey,
        principal: {
          kind: root ? 'root' : 'user',
          arn: user.arn,
          userId: user.userId,
          account: accountOf(user.arn),
          sourceArn: user.arn,
          accessKeyId: user.accessKeyId,
        },
      });
    }
    for (const role of identities.roles) this.#roles.set(role.arn, role);
  }

  lookup(accessKeyId: string): SigningSecret | undefined {
    return this.#users.get(accessKeyId) ?? this.#temporary.get(accessKeyId);
  }

  /** The role with exactly this ARN (path included, as real STS wants it). */
  findRole(roleArn: string): EmulatedRole | undefined {
    return this.#roles.get(roleArn);
  }

  /** The configured role behind an assumed-role session (to match trust entries written with a path). */
  roleForPrincipal(principal: Principal): EmulatedRole | undefined {
    return principal.kind === 'assumed-role' ? this.#roles.get(principal.sourceArn) : undefined;
  }

  issue(role: EmulatedRole, sessionName: string, durationSeconds: number, now: Date): TemporaryCredentials {
    const accessKeyId = randomKeyId('ASIA');
    const secretAccessKey = randomBytes(30).toString('base64');
    // Real session tokens are long opaque base64 strings, often several hundred characters.
    const sessionToken = `IQoJb3JpZ2luX2VtdWxhdG9y${randomBytes(240).toString('base64')}`;
    const expiration = new Date(Math.floor(now.getTime() / 1000) * 1000 + durationSeconds * 1000);
    const account = accountOf(role.arn);
    const principal: Principal = {
      kind: 'assumed-role',
      arn: `arn:${partitionOf(role.arn)}:sts::${account}:assumed-role/${roleNameOf(role.arn)}/${sessionName}`,
      userId: `${role.roleId}:${sessionName}`,
      account,
      sourceArn: role.arn,
      accessKeyId,
    };
    this.#temporary.set(accessKeyId, { secretAccessKey, sessionToken, expiration, principal });
    return { accessKeyId, secretAccessKey, sessionToken, expiration, principal };
  }
}
