import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO, testCacheDir } from './repo.js';
import { buildOnce } from './build-once.js';
import { isStale } from './stale-files.js';
import { cliSourceBundle } from '../../scripts/lib/cli-source-bundle.js';

/** Every file the CLI bundle is built from: the findings/ sources, the locked dependencies, the build options. */
function bundleInputs(): string[] {
  const files: string[] = ['package.json', 'package-lock.json', 'scripts/lib/cli-source-bundle.ts'].map((f) =>
    join(REPO, f),
  );
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json|ya?ml)$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(REPO, 'findings'));
  for (const dir of ['pipeline', 'schemas']) if (existsSync(join(REPO, dir))) walk(join(REPO, dir));
  return files.sort();
}

/**
 * This repository's CLI, bundled from its TypeScript sources (esbuild, which tsx brings), so that tests
 * run the code as it is, not a committed bundle that may be older. The bundle is kept in the test cache
 * under a hash of its inputs, built once per change of the sources across Jest's workers (buildOnce: the
 * first worker bundles, the others wait for it instead of each running esbuild).
 */
export async function bundledCli(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of bundleInputs())
    hash.update(relative(REPO, file)).update('\0').update(readFileSync(file));
  const directory = join(testCacheDir(), `pipewarden-cli-${hash.digest('hex').slice(0, 16)}`);
  const outfile = join(directory, 'cli.mjs');
  if (existsSync(directory)) {
    utimesSync(directory, new Date(), new Date()); // in use: not stale
    return outfile;
  }
  const esbuild = (await import('esbuild')).default;
  buildOnce(directory, (building) => esbuild.buildSync(cliSourceBundle(REPO, join(building, 'cli.mjs'))));
  // Bundles of older sources, unused for an hour (another run may still read a recent one), go.
  for (const entry of readdirSync(testCacheDir())) {
    const path = join(testCacheDir(), entry);
    if (/^pipewarden-cli-[0-9a-f]{16}(\.mjs)?$/.test(entry) && path !== directory && isStale(path))
      rmSync(path, { recursive: true, force: true });
  }
  return outfile;
}
