import { context as importedContext } from '@actions/github';
import { existsSync } from 'node:fs';
import { errorMessage } from '../../findings/errors.js';

/**
 * What the workflow's event says about the code it was triggered for: the pull request's (or the triggering
 * run's, merge group's, push's) head commit and the repository that commit comes from. The default
 * commit-sha and the fork rule (check-fork-head.ts) are both read from here. The event comes from
 * @actions/github's context (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH's payload, GITHUB_SHA, GITHUB_REF).
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
  /** The head's ref when the event names one: the pull request's branch, the merge group's, the pushed ref. */
  ref: string | null;
}

/** What the action reads of @actions/github's context. */
export type EventContext = Pick<typeof importedContext, 'eventName' | 'payload' | 'sha' | 'ref'>;

/** The context, and why its payload could not be read when it could not (the fork rule then fails closed). */
export interface ContextRead {
  context: EventContext;
  unreadable?: string;
}

type ContextClass = new () => typeof importedContext;

/**
 * The workflow's event through @actions/github. Its exported `context` is made once, when the module is
 * first loaded; a new one of the same class reads the environment as it is now (the post step, tests). A
 * missing or unparsable event file is returned as `unreadable`, never thrown. It reads process.env, as the
 * Context does.
 */
export function readEventContext(): ContextRead {
  const env = process.env;
  const fallback: EventContext = {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload: {},
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
  };
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return { context: fallback, unreadable: 'GITHUB_EVENT_PATH is not set' };
  // Checked here: the Context would print a line and go on with an empty payload.
  if (!existsSync(path)) return { context: fallback, unreadable: `${path} does not exist` };
  try {
    return { context: new (importedContext.constructor as ContextClass)() };
  } catch (error) {
    return { context: fallback, unreadable: `${path}: ${errorMessage(error)}` };
  }
}

export type EventRead =
  /** The event names no head commit (push, schedule, workflow_dispatch…). */
  | { kind: 'none'; event: string }
  | { kind: 'head'; event: string; head: EventHead }
  /** GITHUB_EVENT_PATH is unset, unreadable or not the expected payload. */
  | { kind: 'unreadable'; event: string; why: string };

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/* The payload is the runner's JSON: read only the fields used, each checked for its type. */
type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const fullName = (repo: unknown): string | null => str(obj(repo)?.full_name) ?? null;

/** What each event's payload says of its head; `missing` names the field an unexpected payload lacks. */
interface HeadFields {
  sha: string | undefined;
  missing: string;
  /** The pull request's test merge commit. */
  merge?: string | undefined;
  repository: string | null;
  base: string | null;
  label: string;
  isDefault?: boolean;
  ref: string | undefined;
}

/** Events whose payload names the head (without it, unreadable, the fork rule fails closed): one reader each. */
const HEAD_READERS: Record<string, (payload: Json | undefined) => HeadFields> = {
  pull_request: readPullRequest,
  pull_request_target: readPullRequest,
  merge_group(payload) {
    // The merge queue's commit lives in the repository itself: its head is never a fork's.
    const group = obj(payload?.merge_group);
    const sha = str(group?.head_sha);
    const repository = fullName(payload?.repository);
    return {
      sha: group && sha,
      missing: 'merge_group.head_sha',
      repository,
      base: repository,
      label: `the merge group ${str(group?.head_ref) ?? sha}`,
      ref: str(group?.head_ref),
    };
  },
  workflow_run(payload) {
    const run = obj(payload?.workflow_run);
    const trigger = str(run?.event) ?? 'unknown';
    return {
      sha: run && str(run.head_sha),
      missing: 'workflow_run.head_sha',
      repository: fullName(run?.head_repository),
      base: fullName(run?.repository) ?? fullName(payload?.repository),
      label: typeof run?.id === 'number' ? `the ${trigger} run ${run.id}` : `the ${trigger} run`,
      isDefault: PULL_REQUEST_EVENTS.has(trigger),
      ref: str(run?.head_branch),
    };
  },
};

function readPullRequest(payload: Json | undefined): HeadFields {
  const pr = obj(payload?.pull_request);
  const head = obj(pr?.head);
  return {
    sha: pr && str(head?.sha),
    missing: 'pull_request.head.sha',
    merge: str(pr?.merge_commit_sha),
    repository: fullName(head?.repo),
    base: fullName(obj(pr?.base)?.repo) ?? fullName(payload?.repository),
    label: typeof pr?.number === 'number' ? `pull request #${pr.number}` : 'the pull request',
    ref: str(head?.ref),
  };
}

/** The head, commits in lower case (git and the API compare them so). */
function toHead(event: string, fields: HeadFields & { sha: string }): EventRead {
  return {
    kind: 'head',
    event,
    head: {
      sha: fields.sha.toLowerCase(),
      alsoCarrying: fields.merge ? [fields.merge.toLowerCase()] : [],
      repository: fields.repository,
      base: fields.base,
      label: fields.label,
      isDefault: fields.isDefault ?? true,
      ref: fields.ref ?? null,
    },
  };
}

export function readEventHead(read: ContextRead): EventRead {
  const { context, unreadable } = read;
  const event = context.eventName ?? '';
  if (event === 'push') {
    // GITHUB_SHA is the pushed commit; a push names no other repository.
    const sha = str(context.sha);
    if (!sha) return { kind: 'none', event };
    const repository = fullName(context.payload.repository);
    const ref = str(context.ref);
    return toHead(event, {
      sha,
      missing: 'sha',
      repository,
      base: repository,
      label: `the push to ${ref ?? 'an unnamed ref'}`,
      ref,
    });
  }
  const reader = HEAD_READERS[event];
  if (!reader) return { kind: 'none', event };
  if (unreadable) return { kind: 'unreadable', event, why: unreadable };
  const fields = reader(obj(context.payload));
  if (!fields.sha) return { kind: 'unreadable', event, why: `the ${event} event has no ${fields.missing}` };
  return toHead(event, { ...fields, sha: fields.sha });
}
