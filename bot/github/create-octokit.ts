import { ProbotOctokit } from 'probot';

export interface GitHubLimits {
  /** The longest wait for a rate limit to reset that is worth it: past it, fail and let the caller retry later. */
  maxWaitSeconds: number;
  /** How often one request is retried after a rate limit. */
  maxRetries: number;
  /** Retries of 5xx and network errors (back-off 1 s, 4 s, 9 s…). */
  serverErrorRetries: number;
}

/**
 * A webhook delivery has 10 s: waiting out an hour-long primary limit helps nobody, while a secondary
 * limit's retry-after is usually a few seconds. Beyond `maxWaitSeconds` the request fails; Lambda's
 * asynchronous retries run a failed pipeline event again, GitHub shows a failed delivery.
 */
export const DEFAULT_LIMITS: GitHubLimits = { maxWaitSeconds: 20, maxRetries: 2, serverErrorRetries: 2 };

type Options = NonNullable<ConstructorParameters<typeof ProbotOctokit>[0]>;
type LimitHandler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: { log: { warn: (message: string) => void } },
  retryCount: number,
) => boolean;

/**
 * Probot's Octokit with pipewarden's rate-limit policy. The throttling plugin also serialises writes
 * (one per second per installation, GitHub's advice against secondary limits); the retry plugin
 * retries server errors. The policy is applied last, over Probot's own defaults.
 */
export function createOctokitClass(limits: GitHubLimits = DEFAULT_LIMITS): typeof ProbotOctokit {
  const decide =
    (what: string): LimitHandler =>
    (retryAfter, options, octokit, retryCount) => {
      const retry = retryCount < limits.maxRetries && retryAfter <= limits.maxWaitSeconds;
      octokit.log.warn(
        `GitHub ${what} on ${options.method} ${options.url}: ${retry ? `retrying in ${retryAfter} s` : `not waiting ${retryAfter} s`}`,
      );
      return retry;
    };
  return ProbotOctokit.defaults((instance: Options) => {
    const throttle = instance.throttle;
    return {
      ...instance,
      retry: { retries: limits.serverErrorRetries, ...instance.retry },
      throttle:
        throttle?.enabled === false
          ? throttle
          : {
              ...throttle,
              onRateLimit: decide('rate limit'),
              onSecondaryRateLimit: decide('secondary rate limit'),
            },
    };
  });
}
