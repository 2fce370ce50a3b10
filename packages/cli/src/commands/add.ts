import { AuthError, quote } from '@iam-authenticator/core';
import { checkMappingArn, parseSsoFlag, ssoWarnings } from '@iam-authenticator/mapping';
import type { EditChange } from '@iam-authenticator/mapping';
import type { CliIo } from '../io.js';
import {
  COMMON_OPTIONS,
  askYesNo,
  bool,
  commonFlags,
  parseFlags,
  runEdit,
  str,
  strs,
} from '../mapping-cli/common.js';

const USAGE = `usage: iam-authenticator add user --userarn ARN --username U --groups G[,G…] [flags]
       iam-authenticator add role (--rolearn ARN | --sso permissionSetName=…,accountID=…[,partition=…]) --username U --groups G[,G…] [flags]

flags: --prompt[=false] (ask before writing; default true) --kubeconfig F --kubeconfig-context C
       --namespace NS --name N --file F --dry-run --yes --force
`;

const ADD_OPTIONS = {
  ...COMMON_OPTIONS,
  userarn: { type: 'string' },
  rolearn: { type: 'string' },
  sso: { type: 'string' },
  username: { type: 'string' },
  groups: { type: 'string', multiple: true },
  'no-prompt': { type: 'boolean' },
} as const;

/** Go bool flags: `--prompt`, `--prompt=true`, `--prompt=false`. */
function normalisePrompt(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '--prompt' || arg === '--prompt=true' || arg === '--prompt=1') continue;
    if (arg === '--prompt=false' || arg === '--prompt=0') out.push('--no-prompt');
    else if (arg.startsWith('--prompt='))
      throw new AuthError('usage_error', `--prompt expects true or false, received ${quote(arg.slice(9))}`);
    else out.push(arg);
  }
  return out;
}

/** The reference's `add user` / `add role`, on the same safe write path as `mapping create`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h' || kind === 'help') {
    io.stderr.write(USAGE);
    return kind === undefined ? 2 : 0;
  }
  if (kind !== 'user' && kind !== 'role') {
    throw new AuthError('usage_error', `add expects user or role, received ${quote(kind)}`);
  }
  const values = parseFlags(normalisePrompt(rest), ADD_OPTIONS);
  if (bool(values, 'help')) {
    io.stderr.write(USAGE);
    return 0;
  }
  const flags = commonFlags(values, io);
  const username = str(values, 'username') ?? '';
  const groups = strs(values, 'groups');
  let change: EditChange;
  let action: string;
  if (kind === 'user') {
    const userarn = str(values, 'userarn') ?? '';
    if (userarn === '' || username === '' || groups.length === 0) {
      throw new AuthError(
        'usage_error',
        `invalid empty value in userARN ${quote(userarn)}, username ${quote(username)}, groups ${quote(groups)}`,
      );
    }
    const checked = checkMappingArn(userarn);
    if (checked.key !== 'mapUsers') {
      throw new AuthError(
        'usage_error',
        `--userarn expects a user arn, received ${quote(userarn, 120)} (use add role)`,
      );
    }
    change = {
      kind: 'create',
      target: { type: 'arn', key: 'mapUsers', field: 'userarn', arn: userarn },
      username,
      groups,
    };
    action = `add user ${userarn}`;
  } else {
    const rolearn = str(values, 'rolearn');
    const sso = str(values, 'sso');
    if (rolearn !== undefined && sso !== undefined) {
      throw new AuthError('usage_error', 'only one of --rolearn or --sso can be supplied');
    }
    if ((rolearn ?? sso ?? '') === '' || username === '' || groups.length === 0) {
      throw new AuthError(
        'usage_error',
        `invalid empty value in rolearn ${quote(rolearn ?? '')}, username ${quote(username)}, groups ${quote(groups)}`,
      );
    }
    if (rolearn !== undefined) {
      const checked = checkMappingArn(rolearn);
      if (checked.key !== 'mapRoles') {
        throw new AuthError(
          'usage_error',
          `--rolearn expects a role arn, received ${quote(rolearn, 120)} (use add user)`,
        );
      }
      for (const warning of checked.warnings) io.stderr.write(`warning: ${warning}\n`);
      change = {
        kind: 'create',
        target: { type: 'arn', key: 'mapRoles', field: 'rolearn', arn: rolearn },
        username,
        groups,
      };
      action = `add role ${rolearn}`;
    } else {
      const parsed = parseSsoFlag(sso ?? '');
      for (const warning of ssoWarnings(parsed)) io.stderr.write(`warning: ${warning}\n`);
      change = { kind: 'create', target: { type: 'sso', sso: parsed }, username, groups };
      action = `add role sso ${parsed.permissionSetName}@${parsed.accountID}`;
    }
  }
  const prompt = !bool(values, 'no-prompt') && !flags.yes && !flags.dryRun;
  await runEdit(flags, io, {
    change,
    ...(prompt
      ? {
          ask: async ({ diff }) => {
            io.stderr.write(diff);
            const yes = await askYesNo(io, `Ready to ${quote(action, 200)}, should we continue? [y/N]: `);
            if (!yes) io.stderr.write(`cancelled ${quote(action, 200)}\n`);
            return yes;
          },
        }
      : {}),
  });
  return 0;
}
