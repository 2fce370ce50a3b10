import { AuthError, quote } from '@iam-authenticator/core';
import type { CliIo } from '../io.js';

const USAGE = `usage: iam-authenticator mapping <subcommand> [flags]

subcommands:
  get      [--arn ARN] [-o table|json|yaml]
  create   --arn ARN [--username U] [--group G]... | --account ID | --sso permissionSetName=…,accountID=…[,partition=…]
           [--allow-duplicate] [--no-duplicate-arns]
  delete   --arn ARN | --account ID [--all]
  update   --arn ARN [--username U] [--group G]... [--add-group G]... [--remove-group G]...
  lint     [-o table|json]            exit 0 clean, 1 warnings, 2 errors
  explain  --arn ARN [--session-name S] [--access-key-id K] [-o json]
           | --token T --cluster-id ID [--partition P] [--sts-endpoint-override URL] [--sts-ca F]
  undo     [--to N]                   restore a saved version (see history)
  history  [-o table|json]
  export   --format access-entries|terraform|json

common flags:
  --kubeconfig F --context C --namespace NS (kube-system) --name N (aws-auth)
  --file F (edit a local ConfigMap manifest instead of the cluster) --backup-dir D
  --dry-run (print a unified diff, change nothing) --yes (never prompt) --force
`;

/** `mapping …`: safe edits and diagnosis of aws-auth (DESIGN.md difference 8). */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.stderr.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stderr.write(USAGE);
    return 0;
  }
  switch (sub) {
    case 'get':
      return (await import('../mapping-cli/view-commands.js')).runGet(rest, io);
    case 'lint':
      return (await import('../mapping-cli/view-commands.js')).runLint(rest, io);
    case 'export':
      return (await import('../mapping-cli/view-commands.js')).runExport(rest, io);
    case 'explain':
      return (await import('../mapping-cli/explain.js')).runExplain(rest, io);
    case 'create':
      return (await import('../mapping-cli/edit-commands.js')).runCreate(rest, io);
    case 'delete':
      return (await import('../mapping-cli/edit-commands.js')).runDelete(rest, io);
    case 'update':
      return (await import('../mapping-cli/edit-commands.js')).runUpdate(rest, io);
    case 'undo':
      return (await import('../mapping-cli/edit-commands.js')).runUndo(rest, io);
    case 'history':
      return (await import('../mapping-cli/edit-commands.js')).runHistory(rest, io);
    default:
      throw new AuthError(
        'usage_error',
        `unknown mapping subcommand ${quote(sub)}; expected get, create, delete, update, lint, explain, undo, history or export`,
      );
  }
}
