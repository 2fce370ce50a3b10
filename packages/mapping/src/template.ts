import { AuthError, quote } from '@iam-authenticator/core';
import type { Identity } from '@iam-authenticator/token';
import type { Ec2DnsResolver } from './ec2-dns-resolver.js';

export const EC2_PRIVATE_DNS_NAME = '{{EC2PrivateDNSName}}';

/** An EC2 instance id as the reference accepts it in a session name: `^i-(\w{8}|\w{17})$`. */
const INSTANCE_ID = /^i-(\w{8}|\w{17})$/;

export function isInstanceId(sessionName: string): boolean {
  return INSTANCE_ID.test(sessionName);
}

export interface TemplateValues {
  readonly accountId: string;
  readonly sessionName: string;
  readonly accessKeyId: string;
  /** The caller's private DNS name; only needed when a template holds {{EC2PrivateDNSName}}. */
  readonly ec2PrivateDnsName?: string;
}

/**
 * Plain string substitution in the reference's order (token-and-webhook.md §3.5): EC2PrivateDNSName,
 * AccountID, SessionName (`@` → `-`), SessionNameRaw, AccessKeyID. Unknown `{{…}}` stays literal.
 */
export function substituteTemplate(template: string, values: TemplateValues): string {
  if (!template.includes('{{')) return template;
  if (!hasBraces(values)) {
    // One pass gives the same text as the reference's sequential replaces when no value holds "{{".
    return template.replace(PLACEHOLDER, (whole, name: string) => {
      switch (name) {
        case 'EC2PrivateDNSName':
          return values.ec2PrivateDnsName ?? whole;
        case 'AccountID':
          return values.accountId;
        case 'SessionName':
          return values.sessionName.replaceAll('@', '-');
        case 'SessionNameRaw':
          return values.sessionName;
        default:
          return values.accessKeyId;
      }
    });
  }
  let out = template;
  if (out.includes(EC2_PRIVATE_DNS_NAME) && values.ec2PrivateDnsName !== undefined) {
    out = out.replaceAll(EC2_PRIVATE_DNS_NAME, values.ec2PrivateDnsName);
  }
  out = out.replaceAll('{{AccountID}}', values.accountId);
  out = out.replaceAll('{{SessionName}}', values.sessionName.replaceAll('@', '-'));
  out = out.replaceAll('{{SessionNameRaw}}', values.sessionName);
  out = out.replaceAll('{{AccessKeyID}}', values.accessKeyId);
  return out;
}

const PLACEHOLDER = /\{\{(EC2PrivateDNSName|AccountID|SessionName|SessionNameRaw|AccessKeyID)\}\}/g;

function hasBraces(values: TemplateValues): boolean {
  return (
    values.accountId.includes('{{') ||
    values.sessionName.includes('{{') ||
    values.accessKeyId.includes('{{') ||
    (values.ec2PrivateDnsName?.includes('{{') ?? false)
  );
}

export interface RenderedMapping {
  readonly username: string;
  readonly groups: string[];
}

/**
 * Renders a mapping's username and groups for an identity. {{EC2PrivateDNSName}} needs an instance-id
 * session name and an EC2 lookup (done once per call). Any failure is `AuthError('mapping_render_failed')`,
 * which denies the request without falling through to another mapping.
 */
/** True when the username or a group needs the EC2 lookup. */
export function needsEc2PrivateDnsName(username: string, groups: readonly string[]): boolean {
  return username.includes(EC2_PRIVATE_DNS_NAME) || groups.some((g) => g.includes(EC2_PRIVATE_DNS_NAME));
}

export async function renderMapping(
  username: string,
  groups: readonly string[],
  identity: Pick<Identity, 'accountId' | 'sessionName' | 'accessKeyId'>,
  ec2?: Ec2DnsResolver,
): Promise<RenderedMapping> {
  const needsDns =
    username.includes(EC2_PRIVATE_DNS_NAME) || groups.some((g) => g.includes(EC2_PRIVATE_DNS_NAME));
  let ec2PrivateDnsName: string | undefined;
  if (needsDns) {
    const which = username.includes(EC2_PRIVATE_DNS_NAME)
      ? `username template ${quote(username)}`
      : `group template ${quote(groups.find((g) => g.includes(EC2_PRIVATE_DNS_NAME)))}`;
    if (!isInstanceId(identity.sessionName)) {
      throw new AuthError(
        'mapping_render_failed',
        `error rendering ${which}: session name must be an instance id (i- and 8 or 17 characters), received ${quote(identity.sessionName)}`,
      );
    }
    if (ec2 === undefined) {
      throw new AuthError(
        'mapping_render_failed',
        `error rendering ${which}: no EC2 resolver is configured for {{EC2PrivateDNSName}}`,
      );
    }
    try {
      ec2PrivateDnsName = await ec2.resolve(identity.sessionName);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new AuthError('mapping_render_failed', `error rendering ${which}: ${detail}`, { cause: err });
    }
  }
  const values: TemplateValues = {
    accountId: identity.accountId,
    sessionName: identity.sessionName,
    accessKeyId: identity.accessKeyId,
    ...(ec2PrivateDnsName === undefined ? {} : { ec2PrivateDnsName }),
  };
  return {
    username: substituteTemplate(username, values),
    groups: groups.map((g) => substituteTemplate(g, values)),
  };
}
