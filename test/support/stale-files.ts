import { statSync } from 'node:fs';

/** Not touched for an hour: a cache entry of older sources that no run still reads. */
export function isStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 3_600_000;
  } catch {
    return false;
  }
}
