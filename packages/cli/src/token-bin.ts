/**
 * Entry of the `token`/`get-token` fast bundle (CommonJS, see scripts/bundle.mjs). kubectl runs the
 * exec plugin on every call, so this path avoids the ES module loader and every other command: on a
 * cache hit it loads only the flag parser, the cache reader and the ExecCredential formatter.
 */
import { runGetToken, run as runToken } from './commands/token.js';
import { runAtEdge } from './edge.js';
import { writeSync } from 'node:fs';
import type { TextSink } from './io.js';
import { processIo } from './process-io.js';

/**
 * stdout without building the process.stdout stream (a few ms of start-up on every kubectl call): the
 * credential is one small synchronous write. A descriptor that refuses a synchronous write (EAGAIN on a
 * non-blocking pipe) falls back to the stream for the rest.
 */
function syncStdout(): TextSink {
  let useStream = false;
  return {
    write(text) {
      if (useStream) return process.stdout.write(text);
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(1, bytes, offset);
      } catch {
        useStream = true;
        return process.stdout.write(bytes.subarray(offset).toString('utf8'));
      }
      return true;
    },
  };
}

export function runTokenBin(argv: readonly string[]): void {
  // The SDK (loaded only on a cache miss) would print a Node 20 support notice on stderr, which is
  // the exec plugin's channel to the user; the engines field already states the Node version.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io = processIo(syncStdout());
  const [name, ...rest] = argv;
  void runAtEdge(() => (name === 'get-token' ? runGetToken(rest, io) : runToken(rest, io)), io.stderr).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
