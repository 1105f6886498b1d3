import { afterEach, beforeEach, expect } from '@jest/globals';
import { PIPELINE_VARIABLES } from '../../../pipeline/contracts.js';
import type { Execution } from './fake-aws.js';
import { example, PIPELINES, startHarness, type Harness } from './harness.js';

/*
 * The per-test harness every bot test file set up by hand: a fresh bot for each test (optionally with an
 * open pull request its installation can see), and after it no request outside GitHub's OpenAPI description,
 * then everything closed. Kept apart from harness.ts, which the demo and the simulation load outside Jest.
 */

type HarnessOptions = NonNullable<Parameters<typeof startHarness>[0]>;

/** The open pull request the PR-driven tests run against: @octokit/webhooks-examples' pull_request.opened. */
export function openedPullRequest() {
  const pr = example('pull_request', 'opened');
  const [owner, repo] = (pr.repository.full_name as string).split('/') as [string, string];
  return {
    pr,
    owner,
    repo,
    sha: pr.pull_request.head.sha as string,
    number: pr.pull_request.number as number,
    branch: pr.pull_request.head.ref as string,
  };
}
export type OpenedPullRequest = ReturnType<typeof openedPullRequest>;

export interface UseHarnessOptions extends HarnessOptions {
  /** Make this pull request visible: its repository installed, its head commit's open pull request. */
  pullRequest?: OpenedPullRequest;
  /** More per-test setup, after the harness started. */
  setup?: (h: Harness) => void | Promise<void>;
}

/**
 * Registers beforeEach/afterEach: `use` receives each test's harness. Returns `restart`, for a test that
 * needs other settings: it closes the current harness and hands `use` a new one, set up the same way.
 */
export function useHarness(
  use: (h: Harness) => void,
  options: UseHarnessOptions = {},
): (overrides?: HarnessOptions) => Promise<Harness> {
  let current: Harness | undefined;
  const begin = async (overrides: HarnessOptions = {}) => {
    const { pullRequest, setup, ...start } = options;
    const h = await startHarness({ ...start, ...overrides });
    current = h;
    if (pullRequest) {
      const { owner, repo, sha, number } = pullRequest;
      h.github.installations.set(`${owner}/${repo}`, pullRequest.pr.installation.id as number);
      h.github.pulls.set(sha, [{ number, state: 'open', head: { sha } }]);
    }
    await setup?.(h);
    use(h);
    return h;
  };
  beforeEach(async () => {
    await begin();
  });
  afterEach(async () => {
    const h = current;
    current = undefined;
    if (!h) return;
    try {
      expect(h.github.violations).toEqual([]);
    } finally {
      await h.close();
    }
  });
  return async (overrides) => {
    await current?.close();
    current = undefined;
    return begin(overrides);
  };
}

/** A run of `pipeline` at the pull request's head, as the bot starts it (the feature one with PULL_REQUEST). */
export function pullRequestRun(
  h: Harness,
  pullRequest: OpenedPullRequest,
  pipeline: string = PIPELINES.feature,
): Execution {
  const { owner, repo, sha, number, branch } = pullRequest;
  return h.aws.pipelines.execute(pipeline, {
    sha,
    owner,
    repo,
    branch,
    variables: pipeline === PIPELINES.feature ? { [PIPELINE_VARIABLES.pullRequest]: String(number) } : {},
  });
}
