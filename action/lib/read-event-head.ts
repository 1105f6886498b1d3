/**
 * What the workflow's event says about the code it was triggered for: the pull request's (or the triggering
 * run's) head commit and the repository that commit comes from. The default commit-sha and the fork rule
 * (check-fork-head.ts) are both read from here.
 */

/**
 * Events whose workflow runs with the base repository's secrets and `id-token: write` even when a fork
 * triggered it: starting a pipeline at the fork's head there is the "pwn request" pattern.
 */
export const PRIVILEGED_EVENTS: ReadonlySet<string> = new Set(['pull_request_target', 'workflow_run']);

export interface EventHead {
  /** The head commit (lower case): the pull request's head, or the head of the run behind workflow_run. */
  sha: string;
  /** Other commits that carry the head's code (the pull request's test merge commit), lower case. */
  alsoCarrying: string[];
  /** `owner/name` the head commit comes from; null when that repository was deleted. */
  repository: string | null;
  /** `owner/name` the workflow runs in; null when the payload does not say (the fork rule then fails closed). */
  base: string | null;
  /** How the head is named in messages: "pull request #12", "the pull_request run 30433642". */
  label: string;
  /** Whether this head is the default commit-sha (false for a workflow_run not triggered by a pull request). */
  isDefault: boolean;
}

export type EventRead =
  /** The event names no head commit (push, schedule, workflow_dispatch…). */
  | { kind: 'none'; event: string }
  | { kind: 'head'; event: string; head: EventHead }
  /** GITHUB_EVENT_PATH is unset, unreadable or not the expected JSON. */
  | { kind: 'unreadable'; event: string; why: string };

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/* The payload is the runner's JSON: read only the fields used, each checked for its type. */
type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const fullName = (repo: unknown): string | null => str(obj(repo)?.full_name) ?? null;

export function readEventHead(env: NodeJS.ProcessEnv, readEvent: (path: string) => string): EventRead {
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (!PULL_REQUEST_EVENTS.has(event) && event !== 'workflow_run') return { kind: 'none', event };
  if (!env.GITHUB_EVENT_PATH) return { kind: 'unreadable', event, why: 'GITHUB_EVENT_PATH is not set' };
  let payload: Json | undefined;
  try {
    payload = obj(JSON.parse(readEvent(env.GITHUB_EVENT_PATH)));
  } catch (error) {
    return { kind: 'unreadable', event, why: `${env.GITHUB_EVENT_PATH}: ${(error as Error).message}` };
  }
  const unexpected = (what: string): EventRead => ({
    kind: 'unreadable',
    event,
    why: `${env.GITHUB_EVENT_PATH} has no ${what}`,
  });

  if (PULL_REQUEST_EVENTS.has(event)) {
    const pr = obj(payload?.pull_request);
    const head = obj(pr?.head);
    const sha = str(head?.sha);
    const base = fullName(obj(pr?.base)?.repo) ?? fullName(payload?.repository);
    if (!pr || !sha) return unexpected('pull_request.head.sha');
    const merge = str(pr.merge_commit_sha);
    return {
      kind: 'head',
      event,
      head: {
        sha: sha.toLowerCase(),
        alsoCarrying: merge ? [merge.toLowerCase()] : [],
        repository: fullName(head?.repo),
        base,
        label: typeof pr.number === 'number' ? `pull request #${pr.number}` : 'the pull request',
        isDefault: true,
      },
    };
  }

  const run = obj(payload?.workflow_run);
  const sha = str(run?.head_sha);
  const base = fullName(run?.repository) ?? fullName(payload?.repository);
  if (!run || !sha) return unexpected('workflow_run.head_sha');
  const trigger = str(run.event) ?? 'unknown';
  return {
    kind: 'head',
    event,
    head: {
      sha: sha.toLowerCase(),
      alsoCarrying: [],
      repository: fullName(run.head_repository),
      base,
      label: typeof run.id === 'number' ? `the ${trigger} run ${run.id}` : `the ${trigger} run`,
      isDefault: PULL_REQUEST_EVENTS.has(trigger),
    },
  };
}
