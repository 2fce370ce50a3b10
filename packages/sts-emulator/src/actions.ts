import type { CredentialStore, Principal } from './credential-store.js';
import type { EmulatedInstance, IdentitiesFile } from './identities.js';
import { roleNameOf } from './identities.js';
import type { RenderedResponse, ResponseFormat } from './responses.js';
import { EC2_XMLNS, StsFault, renderStsResult, toXml } from './responses.js';

/** The parameters of an AssumeRole call, as the emulator received them (for tests). */
export interface AssumeRoleRecord {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId?: string;
  /** The `x-amz-source-arn` header (confused-deputy protection), when sent. */
  readonly sourceArn?: string;
  /** The `x-amz-source-account` header, when sent. */
  readonly sourceAccount?: string;
}

export interface ActionContext {
  readonly principal: Principal;
  readonly params: ReadonlyMap<string, string>;
  readonly requestId: string;
  readonly format: ResponseFormat;
  readonly now: Date;
  readonly store: CredentialStore;
  readonly identities: IdentitiesFile;
}

export function getCallerIdentity(ctx: ActionContext): RenderedResponse {
  const { arn, userId, account } = ctx.principal;
  return renderStsResult(
    'GetCallerIdentity',
    { Arn: arn, UserId: userId, Account: account },
    { Account: account, Arn: arn, UserId: userId },
    ctx.requestId,
    ctx.format,
  );
}

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const DEFAULT_DURATION_SECONDS = 3600;
/** The default MaxSessionDuration of a role; role chaining is also capped at one hour. */
const MAX_DURATION_SECONDS = 3600;

function validationError(problems: readonly string[]): StsFault {
  const count = problems.length;
  return new StsFault(
    400,
    'ValidationError',
    `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  );
}

function lengthProblems(name: string, value: string, min: number, max: number): string[] {
  const problems: string[] = [];
  if (value.length < min) {
    problems.push(
      `Value '${value}' at '${name}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
    );
  }
  if (value.length > max) {
    problems.push(
      `Value '${value}' at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return problems;
}

/** The canonical form of the caller for trust checks: assumed roles become their role (path kept). */
function trustMatches(trusted: string, ctx: ActionContext): boolean {
  const caller = ctx.principal;
  if (trusted === '*') return true;
  if (trusted === `arn:${caller.arn.split(':')[1] ?? 'aws'}:iam::${caller.account}:root`) return true;
  if (caller.kind !== 'assumed-role') return trusted === caller.arn;
  if (trusted === caller.sourceArn) return true;
  // A trust entry written without the role's path still names the same role (IAM resolves it by name).
  const callerRoleName = roleNameOf(caller.sourceArn);
  return (
    trusted.startsWith(`arn:`) &&
    trusted.split(':')[4] === caller.account &&
    /:role\//.test(trusted) &&
    roleNameOf(trusted) === callerRoleName
  );
}

/**
 * AssumeRole: validation (ValidationError), trust and external id (AccessDenied), then temporary
 * ASIA… keys. `record` receives the parameters before they are checked.
 */
export function assumeRole(ctx: ActionContext, record: (call: AssumeRoleRecord) => void): RenderedResponse {
  const roleArn = ctx.params.get('RoleArn');
  const sessionName = ctx.params.get('RoleSessionName');
  const externalId = ctx.params.get('ExternalId');
  const durationText = ctx.params.get('DurationSeconds');
  record({
    roleArn: roleArn ?? '',
    sessionName: sessionName ?? '',
    ...(externalId === undefined ? {} : { externalId }),
  });
  const problems: string[] = [];
  if (roleArn === undefined) {
    problems.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  } else {
    problems.push(...lengthProblems('roleArn', roleArn, 20, 2048));
  }
  if (sessionName === undefined) {
    problems.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  } else {
    problems.push(...lengthProblems('roleSessionName', sessionName, 2, 64));
    if (!SESSION_NAME.test(sessionName)) {
      problems.push(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
  }
  if (externalId !== undefined) {
    problems.push(...lengthProblems('externalId', externalId, 2, 1224));
    if (!EXTERNAL_ID.test(externalId)) {
      problems.push(
        `Value '${externalId}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
      );
    }
  }
  let durationSeconds = DEFAULT_DURATION_SECONDS;
  if (durationText !== undefined) {
    durationSeconds = /^\d+$/.test(durationText) ? Number(durationText) : NaN;
    if (Number.isNaN(durationSeconds)) {
      problems.push(
        `Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must be a number`,
      );
    } else if (durationSeconds < 900) {
      problems.push(
        `Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    } else if (durationSeconds > 43200) {
      problems.push(
        `Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
      );
    }
  }
  if (problems.length > 0 || roleArn === undefined || sessionName === undefined)
    throw validationError(problems);
  const role = ctx.store.findRole(roleArn);
  const denied = new StsFault(
    403,
    'AccessDenied',
    `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
  );
  if (role === undefined) throw denied;
  if (!role.trustedPrincipals.some((trusted) => trustMatches(trusted, ctx))) throw denied;
  if (role.externalId !== undefined && role.externalId !== externalId) throw denied;
  if (durationSeconds > MAX_DURATION_SECONDS) {
    throw new StsFault(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const issued = ctx.store.issue(role, sessionName, durationSeconds, ctx.now);
  const expiration = issued.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return renderStsResult(
    'AssumeRole',
    {
      AssumedRoleUser: { AssumedRoleId: issued.principal.userId, Arn: issued.principal.arn },
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: expiration,
      },
    },
    {
      AssumedRoleUser: { Arn: issued.principal.arn, AssumedRoleId: issued.principal.userId },
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        Expiration: issued.expiration.getTime() / 1000,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
      },
      PackedPolicySize: null,
      SourceIdentity: null,
    },
    ctx.requestId,
    ctx.format,
  );
}

const INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

function privateIpOf(instance: EmulatedInstance): string {
  const match = /^ip-(\d+)-(\d+)-(\d+)-(\d+)\./.exec(instance.privateDnsName);
  return match === null ? '' : match.slice(1, 5).join('.');
}

/** EC2 DescribeInstances: `InstanceId.N` parameters (none = every instance), one reservation per instance. */
export function describeInstances(ctx: ActionContext): RenderedResponse {
  const ids: string[] = [];
  for (const [key, value] of ctx.params) {
    if (/^InstanceId\.\d+$/.test(key)) ids.push(value);
  }
  const malformed = ids.filter((id) => !INSTANCE_ID.test(id));
  if (malformed.length > 0) {
    throw new StsFault(400, 'InvalidInstanceID.Malformed', `Invalid id: "${malformed[0] ?? ''}"`);
  }
  const known = new Map(ctx.identities.instances.map((instance) => [instance.instanceId, instance]));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 1) {
    throw new StsFault(
      400,
      'InvalidInstanceID.NotFound',
      `The instance ID '${missing[0] ?? ''}' does not exist`,
    );
  }
  if (missing.length > 1) {
    throw new StsFault(
      400,
      'InvalidInstanceID.NotFound',
      `The instance IDs '${missing.join(', ')}' do not exist`,
    );
  }
  const selected =
    ids.length === 0
      ? ctx.identities.instances
      : [...new Set(ids)].map((id) => known.get(id)).filter((i) => i !== undefined);
  const items = selected.map((instance) => ({
    item: {
      reservationId: `r-${instance.instanceId.slice(2)}`,
      ownerId: ctx.principal.account,
      groupSet: '',
      instancesSet: {
        item: {
          instanceId: instance.instanceId,
          instanceState: { code: 16, name: 'running' },
          privateDnsName: instance.privateDnsName,
          dnsName: '',
          ...(privateIpOf(instance) === '' ? {} : { privateIpAddress: privateIpOf(instance) }),
        },
      },
    },
  }));
  const inner = toXml({ requestId: ctx.requestId, reservationSet: items });
  return {
    status: 200,
    contentType: 'text/xml;charset=UTF-8',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${EC2_XMLNS}">${inner}</DescribeInstancesResponse>`,
  };
}
