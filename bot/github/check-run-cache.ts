import type { ExistingCheckRun } from './check-runs.js';
import type { CheckName, RepoRef } from './repo-ref.js';

/**
 * What this bot instance last wrote (or read) on a commit's check run, so a pipeline event that follows
 * the same execution can update it, or see nothing changed, without looking it up again (issue 16: the
 * lookups were 60 of 100 GitHub requests). A hint, not the truth: another Lambda instance may have written
 * since, so callers use an entry only where being behind is harmless (same execution, not yet final), and
 * look the run up otherwise. Bounded: the oldest entries go first.
 */
export class CheckRunCache {
  readonly #entries = new Map<string, ExistingCheckRun>();

  constructor(readonly capacity = 2_000) {}

  static key(ref: RepoRef, sha: string, name: CheckName): string {
    return `${ref.owner.toLowerCase()}/${ref.repo.toLowerCase()}@${sha}#${name}`;
  }

  get(ref: RepoRef, sha: string, name: CheckName): ExistingCheckRun | undefined {
    return this.#entries.get(CheckRunCache.key(ref, sha, name));
  }

  set(ref: RepoRef, sha: string, name: CheckName, run: ExistingCheckRun): void {
    const key = CheckRunCache.key(ref, sha, name);
    this.#entries.delete(key);
    this.#entries.set(key, run);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(ref: RepoRef, sha: string, name: CheckName): void {
    this.#entries.delete(CheckRunCache.key(ref, sha, name));
  }

  get size(): number {
    return this.#entries.size;
  }
}
