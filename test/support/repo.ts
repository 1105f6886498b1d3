import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where test caches (the CLI bundle, synthesized apps) live: inside this checkout, not the shared temp
 * directory, whose names anyone on the machine could compute from the sources and plant ahead of a run.
 */
export function testCacheDir(): string {
  const dir = join(REPO, 'node_modules', '.cache', 'pipewarden');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
