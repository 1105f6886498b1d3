import { DEFAULT_CONFIG, parseRepoConfig, type RepoConfig } from '../../findings/config/repo-config.js';
import { errorMessage } from '../../findings/errors.js';
import type { ConfigCache } from './config-cache.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

export const CONFIG_FILE = 'pipewarden.yml';
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

export interface LoadedConfig {
  config: RepoConfig;
  /** Why the repository's config could not be used (the defaults are then returned); names the field. */
  error?: string;
  /** GitHub requests the read took (the repository's file, then the owner's `.github`, `_extends`). */
  requests?: number;
}

/**
 * `.github/pipewarden.yml` of the default branch (Probot's `context.config`, which also follows `_extends`
 * and the organisation's `.github` repository). The default branch, never the pull request's head: a pull
 * request cannot change who may approve its own deployment.
 */
export async function loadConfig(read: () => Promise<unknown>): Promise<LoadedConfig> {
  let value: unknown;
  try {
    value = await read();
  } catch (error) {
    const status = (error as { status?: number }).status;
    // A GitHub outage is not a broken config: let the caller fail (and be retried).
    if (status !== undefined && status >= 500) throw error;
    return {
      config: DEFAULT_CONFIG,
      error: `${CONFIG_PATH}: cannot be read (${errorMessage(error).replace(/^\[@probot\/octokit-plugin-config\]\s*/, '')})`,
    };
  }
  try {
    return { config: parseRepoConfig(value ?? {}, CONFIG_PATH) };
  } catch (error) {
    return { config: DEFAULT_CONFIG, error: errorMessage(error).replace(/^pipewarden:\s*/, '') };
  }
}

/**
 * The same through the plugin behind `context.config` (the repository's file, else the organisation's
 * `.github`, then `_extends`), with the instance's cache when given (`ConfigCache`: a config change shows
 * within its time to live).
 */
export async function loadConfigFor(
  octokit: GitHubClient,
  ref: RepoRef,
  cache?: ConfigCache,
): Promise<LoadedConfig> {
  cache?.attach(octokit, CONFIG_PATH);
  const before = cache?.fetches ?? 0;
  let requests = 1;
  const loaded = await loadConfig(async () => {
    const got = await octokit.config.get({ ...ref, path: CONFIG_PATH });
    requests = cache ? cache.fetches - before : Math.max(1, got.files.length);
    return got.config;
  });
  return { ...loaded, requests };
}
