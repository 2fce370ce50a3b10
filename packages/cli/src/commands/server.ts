import { accessSync, constants, statSync } from 'node:fs';
import { AuthError, REASONS, quote } from '@iam-authenticator/core';
import { createServer, resolveServerConfig } from '@iam-authenticator/server';
import type { ServerFlags } from '@iam-authenticator/server';
import type { CliIo } from '../io.js';
import { readConfigFile } from '../server-cli/config-file.js';
import {
  createCliLogger,
  createServerLogger,
  logLevelProblem,
  parseServerLogFormat,
} from '../server-cli/logger.js';
import { SERVER_FLAG_OPTIONS } from '../server-cli/server-flags.js';
import { parsePflagArgs } from '../token/parse-flags.js';

const USAGE = `usage: iam-authenticator server --config FILE [flags]

Runs the TokenReview webhook (HTTPS, default 127.0.0.1:21362; plain health on :21363).
flags: -c/--config, -i/--cluster-id, --partition, --state-dir, --generate-kubeconfig, --kubeconfig-pregenerated,
  --kubeconfig, --master, --address, --port, --backend-mode, --ec2-describeInstances-qps/-burst, --feature-gates,
  --client-ca FILE, --identity-cache-ttl 60s, --sts-endpoint-override URL, --sts-ca FILE, --sts-max-concurrency N,
  --region R (repeatable), --health-port, -v/--log-verbosity, -l/--log-format json|text (default json)
`;

const INIT_FLAG_OPTIONS = { ...SERVER_FLAG_OPTIONS, 'client-cert': { type: 'boolean' } } as const;

function parse(args: string[]) {
  try {
    return { values: parsePflagArgs(args, INIT_FLAG_OPTIONS) };
  } catch (error) {
    throw new AuthError('usage_error', error instanceof Error ? error.message : 'bad flags');
  }
}

/** Shared by `server` and `init`: flags > env > file > defaults, once, every problem listed. */
export async function loadServerConfig(
  args: string[],
  io: CliIo,
  options: { allowClientCert?: boolean } = {},
) {
  const { values } = parse(args);
  if (values['client-cert'] !== undefined && options.allowClientCert !== true) {
    throw new AuthError('usage_error', 'unknown option --client-cert (it belongs to init)');
  }
  const fileValues = await readConfigFile(values.config);
  const NOT_SERVER_KEYS = new Set(['config', 'log-format', 'log-verbosity', 'help', 'client-cert']);
  const flags: ServerFlags = Object.fromEntries(
    Object.entries(values).filter(([key]) => !NOT_SERVER_KEYS.has(key)),
  );
  // `server` reads the CA files at start; `init` may be about to write them.
  const resolved = resolveServerConfig(
    fileValues,
    flags,
    io.env,
    options.allowClientCert === true ? {} : { fileProblem },
  );
  const verbosity = values['log-verbosity'] ?? io.env['AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY'];
  const levelProblem = logLevelProblem(verbosity);
  if (levelProblem === undefined) return { values, resolved, verbosity };
  // Listed with the other problems; the warnings are still logged, at info.
  return {
    values,
    resolved: {
      problems: [...resolved.problems, `-v/--log-verbosity: ${levelProblem}`],
      warnings: resolved.warnings,
    },
    verbosity: 'info',
  };
}

/** Why a file the server reads at start cannot be read (as it will read it: relative to the cwd). */
function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${quote(path)} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `cannot read ${quote(path)}${code === undefined ? '' : ` (${code})`}`;
  }
}

/** Every problem on its own line (an AuthError message would be cut at 200 characters). */
export function reportProblems(problems: readonly string[], io: CliIo): number {
  io.stderr.write(
    `iam-authenticator: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`,
  );
  for (const problem of problems) io.stderr.write(`  ${problem}\n`);
  return REASONS.config_invalid.exit;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, resolved, verbosity } = await loadServerConfig(args, io);
  if (values.help === true) {
    io.stderr.write(USAGE);
    return 0;
  }
  // On the real stderr, batch the per-review lines; an injected stream (in-process tests) gets every line at once.
  const { format, warning: formatWarning } = parseServerLogFormat(values['log-format']);
  const buffered = io.stderr === process.stderr ? createServerLogger(verbosity, 2, format) : undefined;
  const logger = buffered?.logger ?? createCliLogger(io.stderr, verbosity, format);
  const warnings = formatWarning === undefined ? resolved.warnings : [formatWarning, ...resolved.warnings];
  for (const warning of warnings) logger.warn({ detail: warning }, 'config warning');
  if (resolved.config === undefined) return reportProblems(resolved.problems, io);
  const server = createServer(resolved.config, { logger, now: io.now, env: io.env });
  let started;
  try {
    started = await server.start();
  } catch (error) {
    await server.stop({ drainMs: 0 });
    await buffered?.close();
    throw error;
  }
  io.stderr.write(`iam-authenticator: serving ${started.url}/authenticate (health ${started.healthUrl})\n`);
  await new Promise<void>((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ signal }, 'shutting down, draining in-flight reviews');
      resolveSignal();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await server.stop();
  await buffered?.close();
  return 0;
}
