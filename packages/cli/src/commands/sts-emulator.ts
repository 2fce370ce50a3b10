import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthError, quote, silentLogger } from '@iam-authenticator/core';
import type { Logger } from '@iam-authenticator/core';
import { loadIdentitiesFile, startStsEmulator } from '@iam-authenticator/sts-emulator';
import type { CliIo } from '../io.js';

const USAGE = `usage: iam-authenticator sts-emulator --identities FILE [--port N] [--host H] [--tls-cert F --tls-key F] [--verbose]

Runs a local STS (GetCallerIdentity, AssumeRole) and EC2 DescribeInstances with real SigV4 checks.
Prints {"url": …} on stdout once listening and serves until SIGINT or SIGTERM.
Test control API under /_emulator/ (counts, faults, clock): see packages/sts-emulator/README.md.
`;

function readPem(path: string, what: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new AuthError('usage_error', `cannot read ${what} ${quote(path)}: ${(error as Error).message}`);
  }
}

/** JSON lines on stderr (pino's shape); the emulator never passes secrets to its logger. */
function stderrLogger(io: CliIo, bindings: Record<string, unknown> = {}): Logger {
  const write =
    (level: number) =>
    (fields: Record<string, unknown>, msg: string): void => {
      io.stderr.write(
        `${JSON.stringify({ level, time: io.now().getTime(), ...bindings, ...fields, msg })}\n`,
      );
    };
  return {
    debug: write(20),
    info: write(30),
    warn: write(40),
    error: write(50),
    child: (more) => stderrLogger(io, { ...bindings, ...more }),
  };
}

export async function run(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        identities: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new AuthError('usage_error', `sts-emulator: ${(error as Error).message}`);
  }
  if (values.help === true) {
    io.stderr.write(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (values.identities === undefined) problems.push('--identities FILE is required');
  let port = 0;
  if (values.port !== undefined) {
    port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port >= 0 && port <= 65535)) {
      problems.push(`--port: expected an integer in 0..65535, received ${quote(values.port)}`);
    }
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    problems.push('--tls-cert and --tls-key must be given together');
  }
  if (problems.length > 0 || values.identities === undefined) {
    io.stderr.write(USAGE);
    throw new AuthError('usage_error', `sts-emulator: ${problems.join('; ')}`);
  }
  const identities = loadIdentitiesFile(resolve(io.cwd, values.identities));
  const certPath = values['tls-cert'];
  const keyPath = values['tls-key'];
  const tls =
    certPath !== undefined && keyPath !== undefined
      ? { cert: readPem(certPath, 'TLS certificate', io.cwd), key: readPem(keyPath, 'TLS key', io.cwd) }
      : undefined;
  // Handlers go in before the url is printed: a caller may signal as soon as it reads that line.
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((done) => {
    stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let emulator;
  try {
    emulator = await startStsEmulator({
      identities,
      port,
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(tls === undefined ? {} : { tls }),
      logger: values.verbose === true ? stderrLogger(io) : silentLogger,
    });
  } catch (error) {
    stop();
    throw error;
  }
  io.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  await stopped;
  await emulator.close();
  return 0;
}
