// Bundles the CLI with esbuild, split into chunks per command so `token` on a cache hit loads only
// what it needs (STYLE.md: start-up time). Packages that do not bundle cleanly stay external.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const outdir = new URL('../packages/cli/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { bin: new URL('../packages/cli/dist/bin.js', import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@kubernetes/client-node', 'pino', 'thread-stream', 'express', 'prom-client'],
  banner: {
    // Bundled CommonJS dependencies still call require(); give them one.
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
