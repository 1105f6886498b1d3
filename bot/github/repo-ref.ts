import type { ProbotOctokit } from 'probot';

/** An installation-authenticated client, as handlers receive it (context.octokit or app.auth(id)). */
export type GitHubClient = ProbotOctokit;

export interface RepoRef {
  owner: string;
  repo: string;
}

export const fullName = (ref: RepoRef) => `${ref.owner}/${ref.repo}`;

/** The check runs the bot owns, by name: one of each per commit. */
export const CHECK_NAMES = {
  pipeline: 'pipewarden / pipeline',
  security: 'pipewarden / security',
} as const;

export type CheckName = (typeof CHECK_NAMES)[keyof typeof CHECK_NAMES];

export const isCheckName = (name: string): name is CheckName =>
  name === CHECK_NAMES.pipeline || name === CHECK_NAMES.security;
