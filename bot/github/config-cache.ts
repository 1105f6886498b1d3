import { createHash } from 'node:crypto';
import type { GitHubClient } from './repo-ref.js';

/** How long a read `.github/pipewarden.yml` (or its absence) is used before it is read again. */
export const CONFIG_CACHE_TTL_MS = 5 * 60_000;

const CONTENTS_ROUTE = '/repos/{owner}/{repo}/contents/{path}';

interface Entry {
  at: number;
  /** The response (cloned on the way out: the config plugin deletes `_extends` from what it parsed). */
  response?: unknown;
  /** A 404: no such file, or no such repository (the organisation's `.github`). */
  notFound?: unknown;
}

/**
 * Whose reads a client makes: its installation (Probot's installation clients), else a digest of its
 * token, else none. The token is cached by the auth strategy (the request needs it anyway), so this costs
 * no request.
 */
async function identityOf(octokit: GitHubClient): Promise<string> {
  const auth = (await octokit.auth({ type: 'installation' })) as { installationId?: number; token?: string };
  if (auth.installationId) return `installation ${auth.installationId}`;
  if (auth.token) return `token ${createHash('sha256').update(auth.token).digest('hex').slice(0, 16)}`;
  return 'unauthenticated';
}

/**
 * The config files this bot instance read, by the repository they were read from: the repository's own
 * `.github/pipewarden.yml` per repository, and the organisation's fallback (`<owner>/.github`) once per
 * owner for all its repositories (issue 16: two reads, mostly 404s, on every pull-request update and
 * every publication). Each entry lives `ttlMs` (default 5 minutes): a config change shows within that
 * time. Only the webhook and the security check read through it; the buttons (who may approve) read
 * the file afresh. A Lambda instance's memory: another instance reads for itself. Kept per installation
 * too: an App installed in several organisations must not serve one installation's read (a private
 * `_extends: other/repo`, or its 404) to another.
 */
export class ConfigCache {
  readonly #entries = new Map<string, Entry>();
  readonly #hooked = new WeakSet<object>();
  /** Reads that went to GitHub (cache misses), for the request counts. */
  fetches = 0;

  constructor(readonly options: { ttlMs?: number; now?: () => number; capacity?: number } = {}) {}

  get #ttl() {
    return this.options.ttlMs ?? CONFIG_CACHE_TTL_MS;
  }

  #now() {
    return (this.options.now ?? Date.now)();
  }

  /** The response for `key` (who reads, then `owner/repo` in lower case), from memory while fresh, else from `read`. */
  async read(key: string, read: () => Promise<unknown>): Promise<unknown> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at >= 0 && now - hit.at < this.#ttl) {
      if (hit.notFound !== undefined) throw hit.notFound;
      return structuredClone(hit.response);
    }
    this.fetches++;
    let entry: Entry;
    try {
      const response = await read();
      entry = { at: now, response: structuredClone(response) };
      this.#store(key, entry);
      return response;
    } catch (error) {
      // Only "not there" is remembered; an outage or a rate limit is the caller's to retry.
      if ((error as { status?: number }).status !== 404) throw error;
      this.#store(key, { at: now, notFound: error });
      throw error;
    }
  }

  #store(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > (this.options.capacity ?? 5_000))
      this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /**
   * Makes `octokit`'s reads of `path` (the config plugin's, behind `octokit.config.get` and
   * `context.config`) go through this cache; once per client.
   */
  attach(octokit: GitHubClient, path: string): void {
    if (this.#hooked.has(octokit)) return;
    this.#hooked.add(octokit);
    octokit.hook.wrap('request', async (request, options) => {
      // Only the default branch's file (no `ref`): a read at another ref, say a pull request's head, must
      // never be remembered as the file that decides who may approve.
      if (
        options.method !== 'GET' ||
        options.url !== CONTENTS_ROUTE ||
        options.path !== path ||
        options.ref !== undefined
      )
        return request(options);
      const repo = `${String(options.owner)}/${String(options.repo)}`.toLowerCase();
      const key = `${await identityOf(octokit)}:${repo}`;
      return (await this.read(key, async () => request(options))) as Awaited<ReturnType<typeof request>>;
    });
  }
}
