import { spawn } from 'node:child_process';

/** The built CLI (what users run). */
export const CLI_BIN = '/work/main/packages/cli/bin/iam-authenticator.js';

export interface ServerProcess {
  /** The `serving https://…/authenticate` URL the server printed. */
  readonly url: string;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The `server:` keys of a config file for a test server on loopback: free ports, and its state (serving
 * cert and key) and webhook kubeconfig under the given paths.
 */
export function loopbackServerKeys(stateDir: string, kubeconfigPath: string) {
  return {
    port: 0,
    healthPort: 0,
    healthAddress: '127.0.0.1',
    stateDir,
    generateKubeconfig: kubeconfigPath,
  };
}

/** Starts `iam-authenticator server ARGS` as a child process and waits for its `serving` line. */
export async function startServerProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI_BIN, 'server', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let exited: number | null | undefined;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolvePromise, reject) => {
    const onData = (): void => {
      const match = /serving (https:\/\/\S+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        child.stderr.off('data', onData);
        resolvePromise(match[1]);
      }
    };
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      exited = code;
      reject(new Error(`server exited early: ${stderr}`));
    });
  });
  return {
    url,
    stderr: () => stderr,
    stop: () =>
      exited !== undefined
        ? Promise.resolve(exited)
        : new Promise((resolvePromise) => {
            child.once('exit', (code) => {
              resolvePromise(code);
            });
            child.kill('SIGTERM');
          }),
  };
}
