import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * esbuild options that bundle the pipewarden CLI from this checkout's TypeScript sources into one ES module file,
 * dependencies inside, as dist/cli is bundled: what the tests run (test/support/bundled-cli.ts) and what the
 * benchmark measures (scripts/bench.ts), so that both see the code being changed rather than a committed bundle.
 */
export function cliSourceBundle(root: string, outfile: string): BuildOptions {
  return {
    entryPoints: [join(root, 'findings', 'cli', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies written as CommonJS call require(): give the ES module bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'error',
  };
}
