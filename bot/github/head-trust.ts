import { fullName, type GitHubClient, type RepoRef } from './repo-ref.js';

/**
 * Whose code a commit is, as far as starting a pipeline goes. Trusted: the head of a pull request whose
 * head branch is in this repository, or a commit on one of its branches (someone with write access put
 * it there). Untrusted: the head of a pull request from a fork, or a commit GitHub ties to neither.
 */
export type HeadTrust = (
  | { trusted: true; why: string }
  | {
      trusted: false;
      /** `owner/name` of the fork whose pull request has this head, when there is one. */
      fork?: string;
      why: string;
    }
) & {
  /** The pull request whose head this commit is, when one was found: the run's PULL_REQUEST and branches. */
  pull?: { number: number; headBranch?: string; baseBranch?: string };
};

/** A `pull_requests` entry of a check_run / check_suite payload (its repos carry an id and a URL). */
export interface PayloadPull {
  number: number;
  head: { sha: string; ref?: string; repo: { id: number; url: string; name: string } | null };
  base?: { ref?: string };
}

type Pull = { number: number; head: { ref?: string }; base?: { ref?: string } };
const pullOf = (p: Pull) => ({
  pull: {
    number: p.number,
    ...(p.head.ref ? { headBranch: p.head.ref } : {}),
    ...(p.base?.ref ? { baseBranch: p.base.ref } : {}),
  },
});

/** `https://api.github.com/repos/<owner>/<name>` (or a GHE host's `/api/v3/repos/…`) → `owner/name`. */
const repoFromApiUrl = (url: string | undefined) => /\/repos\/([^/]+\/[^/]+)\/?$/.exec(url ?? '')?.[1];

/**
 * Whether `sha` is on `branch` of this repository: `GET /repos/{o}/{r}/compare/{branch}...{sha}` is
 * `identical` (the branch's head) or `behind` (an ancestor of it). `ahead` or `diverged` means commits
 * the branch does not have; 404 means the branch or the commit is unknown here.
 */
export async function isOnBranch(
  octokit: GitHubClient,
  ref: RepoRef,
  sha: string,
  branch: string,
): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      ...ref,
      basehead: `${branch}...${sha}`,
      per_page: 1,
    });
    return data.status === 'identical' || data.status === 'behind';
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 422) return false;
    throw error;
  }
}

/**
 * Judges the head commit a Re-run would build. First the pull requests the webhook names (GitHub lists
 * only same-repository ones there; a fork's check suite has none), then the pull requests GitHub
 * associates with the commit (`GET /repos/{o}/{r}/commits/{sha}/pulls`), comparing each head repository
 * with this one; a fork anywhere makes the head untrusted. With no pull request at all, the commit is
 * trusted only if it is on one of `branches` (the check suite's head branch, the main branch).
 */
export async function judgeHead(
  octokit: GitHubClient,
  ref: RepoRef,
  input: { repositoryId: number; sha: string; pulls: PayloadPull[]; branches: (string | undefined)[] },
): Promise<HeadTrust> {
  const self = fullName(ref);
  const named = input.pulls.filter((p) => p.head.sha === input.sha);
  const forked = named.find((p) => p.head.repo?.id !== input.repositoryId);
  if (forked) {
    const fork = repoFromApiUrl(forked.head.repo?.url);
    return {
      trusted: false,
      ...(fork ? { fork } : {}),
      why: `it is the head of #${forked.number}, from ${fork ? `the fork ${fork}` : 'a fork'}`,
      ...pullOf(forked),
    };
  }
  if (named.length)
    return { trusted: true, why: `it is the head of #${named[0]!.number} in ${self}`, ...pullOf(named[0]!) };

  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    ...ref,
    commit_sha: input.sha,
    per_page: 100,
  });
  const heads = data.filter((p) => p.head.sha === input.sha);
  const fromFork = heads.find((p) => p.head.repo?.full_name?.toLowerCase() !== self.toLowerCase());
  if (fromFork) {
    const fork = fromFork.head.repo?.full_name;
    return {
      trusted: false,
      ...(fork ? { fork } : {}),
      why: `it is the head of #${fromFork.number}, from ${fork ? `the fork ${fork}` : 'a deleted fork'}`,
      ...pullOf(fromFork),
    };
  }
  if (heads.length)
    return { trusted: true, why: `it is the head of #${heads[0]!.number} in ${self}`, ...pullOf(heads[0]!) };

  const branches = [...new Set(input.branches.filter((b): b is string => !!b))];
  for (const branch of branches)
    if (await isOnBranch(octokit, ref, input.sha, branch))
      return { trusted: true, why: `it is on the branch ${branch} of ${self}` };
  return {
    trusted: false,
    why: `no pull request of ${self} has it as its head and it is on none of its branches${branches.length ? ` checked (${branches.join(', ')})` : ''}`,
  };
}
