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
/** Events whose payload names the head: without it (unreadable) the fork rule fails closed. */
const PAYLOAD_EVENTS = new Set([...PULL_REQUEST_EVENTS, 'workflow_run', 'merge_group']);

/* The payload is the runner's JSON: read only the fields used, each checked for its type. */
type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const fullName = (repo: unknown): string | null => str(obj(repo)?.full_name) ?? null;

export function readEventHead(read: ContextRead): EventRead {
  const { context, unreadable } = read;
  const event = context.eventName ?? '';
  if (event === 'push') {
    // GITHUB_SHA is the pushed commit; a push names no other repository.
    const sha = str(context.sha);
    if (!sha) return { kind: 'none', event };
    const repository = fullName(context.payload.repository);
    return {
      kind: 'head',
      event,
      head: {
        sha: sha.toLowerCase(),
        alsoCarrying: [],
        repository,
        base: repository,
        label: `the push to ${str(context.ref) ?? 'an unnamed ref'}`,
        isDefault: true,
        ref: str(context.ref) ?? null,
      },
    };
  }
  if (!PAYLOAD_EVENTS.has(event)) return { kind: 'none', event };
  if (unreadable) return { kind: 'unreadable', event, why: unreadable };
  const payload = obj(context.payload);
  const unexpected = (what: string): EventRead => ({
    kind: 'unreadable',
    event,
    why: `the ${event} event has no ${what}`,
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
        ref: str(head?.ref) ?? null,
      },
    };
  }

  if (event === 'merge_group') {
    // The merge queue's commit lives in the repository itself: its head is never a fork's.
    const group = obj(payload?.merge_group);
    const sha = str(group?.head_sha);
    const repository = fullName(payload?.repository);
    if (!group || !sha) return unexpected('merge_group.head_sha');
    return {
      kind: 'head',
      event,
      head: {
        sha: sha.toLowerCase(),
        alsoCarrying: [],
        repository,
        base: repository,
        label: `the merge group ${str(group.head_ref) ?? sha}`,
        isDefault: true,
        ref: str(group.head_ref) ?? null,
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
      ref: str(run.head_branch) ?? null,
    },
  };
}
