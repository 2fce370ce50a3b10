/**
 * Entry of the `token`/`get-token` fast bundle (CommonJS, see scripts/bundle.mjs). kubectl runs the
 * exec plugin on every call, so this path avoids the ES module loader and every other command: on a
 * cache hit it loads only the flag parser, the cache reader and the ExecCredential formatter.
 */
import { runGetToken, run as runToken } from './commands/token.js';
import { runAtEdge } from './edge.js';
import { processIo } from './process-io.js';

export function runTokenBin(argv: readonly string[]): void {
  // The SDK (loaded only on a cache miss) would print a Node 20 support notice on stderr, which is
  // the exec plugin's channel to the user; the engines field already states the Node version.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io = processIo();
  const [name, ...rest] = argv;
  void runAtEdge(() => (name === 'get-token' ? runGetToken(rest, io) : runToken(rest, io)), io.stderr).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
