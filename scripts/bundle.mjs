// Bundles the CLI with esbuild, split into chunks per dynamic import so `token` on a cache hit loads
// only what it needs (STYLE.md: start-up time). Packages that do not bundle cleanly stay external.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';

const finalDir = new URL('../packages/cli/bundle', import.meta.url).pathname;
// Built beside the live bundle (same depth, so source map paths hold) and swapped in at the end:
// several people and test runs use the bundle at once, and a half-written one fails them.
const outdir = new URL(`../packages/cli/.bundle-building-${process.pid}`, import.meta.url).pathname;

/**
 * Our workspace packages have no import-time side effects. Saying so lets esbuild drop every module
 * of `@iam-authenticator/token` that the token command's cache-hit path does not use (presign, verify,
 * arn, …) instead of pulling them into the command's chunk.
 */
const workspaceSideEffectFree = {
  name: 'workspace-side-effect-free',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@iam-authenticator\// }, async (args) => {
      if (args.pluginData?.skip === true) return undefined;
      const result = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { skip: true },
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return { ...result, sideEffects: false };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
try {
  await build({
    entryPoints: { bin: new URL('../packages/cli/dist/bin.js', import.meta.url).pathname },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Prefer the SDK's ES module builds: they tree-shake, and esbuild cannot give named exports to a
    // CommonJS module reached through a split dynamic import.
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [workspaceSideEffectFree],
    define: {
      // The SDK's Node 20 deprecation notice would be a stray stderr block in every kubectl call that
      // signs a token (stdout/stderr are the exec plugin's protocol); the engines field states the need.
      'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"',
    },
    external: ['@kubernetes/client-node', 'pino', 'thread-stream', 'express', 'prom-client'],
    banner: {
      // Bundled CommonJS dependencies still call require(); give them one.
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  // token/get-token: CommonJS (no ES module loader on kubectl's hot path), in two files. token.cjs holds
  // what a cache hit runs; token-mint.cjs, required only on a miss, holds the signer, credentials and
  // cache writer (V8 parses every byte of a file it loads, so a hit should not carry the signing code).
  // The SDK pieces needed only for profiles, roles and SSO, and yaml (only for -c/--cache), stay in
  // node_modules and load on demand. Modules both files need are copied into each; AuthError is
  // recognised across copies (core's errors.ts).
  const mintEntry = new URL('../packages/cli/dist/token/mint-and-cache.js', import.meta.url).pathname;
  const mintExternal = {
    name: 'token-mint-external',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /mint-and-cache\.js$/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: './token-mint.cjs', external: true } : undefined,
      );
    },
  };
  await build({
    entryPoints: {
      token: new URL('../packages/cli/dist/token-bin.js', import.meta.url).pathname,
      'token-mint': mintEntry,
    },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [mintExternal, workspaceSideEffectFree],
    // import() of token-mint.cjs as require(): no ES module loader on a miss either.
    supported: { 'dynamic-import': false },
    mainFields: ['module', 'main'],
    // Smaller source for V8 to read on every kubectl call; stack traces map back through the source map.
    minify: true,
    keepNames: true,
    external: ['@aws-sdk/*', '@smithy/shared-ini-file-loader', 'yaml'],
  });
} catch (error) {
  rmSync(outdir, { recursive: true, force: true });
  throw error;
}
const oldDir = new URL(`../packages/cli/.bundle-old-${process.pid}`, import.meta.url).pathname;
try {
  renameSync(finalDir, oldDir);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
renameSync(outdir, finalDir);
rmSync(oldDir, { recursive: true, force: true });
