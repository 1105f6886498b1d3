import { PipewardenError } from '../../findings/errors.js';
import { PRIVILEGED_EVENTS, type EventRead } from './read-event-head.js';

export interface ForkHeadParams {
  /** The commit the pipeline would start at (validated, lower case). */
  commitSha: string;
  /** Whether commit-sha was set in the workflow (false: the default was taken from the event). */
  explicit: boolean;
  allowForkHead: boolean;
}

/**
 * The fork rule. On pull_request_target and workflow_run the workflow holds the base repository's secrets
 * and may assume its AWS role even when a fork triggered it, so starting a pipeline at the fork's head (or
 * at the pull request's merge commit, which carries the same code) runs unreviewed code with them: refused
 * unless allow-fork-head is true. On pull_request GitHub withholds secrets and OIDC tokens from forks, so
 * nothing changes there. An event file that cannot be read on a privileged event fails closed.
 *
 * Returns a line to log when allow-fork-head let a fork's head through; throws when it refuses.
 */
export function checkForkHead(read: EventRead, p: ForkHeadParams): string | undefined {
  if (read.kind === 'none' || !PRIVILEGED_EVENTS.has(read.event)) return undefined;
  const which = p.explicit ? 'input commit-sha' : 'the default commit-sha';
  if (read.kind === 'unreadable') {
    if (p.allowForkHead)
      return `${read.event} event not readable (${read.why}); starting at ${p.commitSha} unchecked because allow-fork-head is true`;
    throw new PipewardenError(
      `cannot tell whether ${which} ${p.commitSha} comes from a fork on ${read.event}: ${read.why}; fix the event file, or set input allow-fork-head: true only for a commit a maintainer has reviewed`,
    );
  }
  const { head } = read;
  if (head.base === null)
    return checkForkHead(
      { kind: 'unreadable', event: read.event, why: 'the event names no base repository' },
      p,
    );
  const fork = head.repository === null || head.repository.toLowerCase() !== head.base.toLowerCase();
  if (!fork) return undefined;
  const what =
    p.commitSha === head.sha ? 'head' : head.alsoCarrying.includes(p.commitSha) ? 'merge commit' : undefined;
  if (!what) return undefined;
  const from = head.repository === null ? 'a deleted fork' : `fork ${head.repository}`;
  const subject = `${p.commitSha} is the ${what} of ${head.label} from ${from}`;
  if (p.allowForkHead)
    return `${which} ${subject}; starting it on ${read.event} because allow-fork-head is true`;
  throw new PipewardenError(
    `input allow-fork-head is false and ${which} ${subject} on ${read.event}, a workflow holding ${head.base}'s secrets and AWS role: start pipelines for pull requests on pull_request, or set allow-fork-head: true only for a commit a maintainer has reviewed`,
  );
}
