import { z } from 'zod';
import { PipewardenError } from '../../findings/errors.js';
import { describeIssueDetail } from '../../findings/describe-zod-issues.js';
import { checkForkHead } from './check-fork-head.js';
import { readEventContext, readEventHead, type ContextRead } from './read-event-head.js';
import { parseVariables, type PipelineVariable } from './parse-variables.js';

/** Every input of action.yml, as the runner hands them over (unset inputs are ''). */
export const INPUT_NAMES = [
  'pipeline-name',
  'commit-sha',
  'source-action-name',
  'variables',
  'wait',
  'timeout-minutes',
  'stop-on-cancel',
  'allow-fork-head',
] as const;
export type InputName = (typeof INPUT_NAMES)[number];
export type RawInputs = Record<InputName, string>;

export interface ActionInputs {
  pipelineName: string;
  commitSha: string;
  sourceActionName?: string;
  variables: PipelineVariable[];
  wait: boolean;
  timeoutMinutes: number;
  stopOnCancel: boolean;
  /** Set when allow-fork-head: true let a fork's head through on a privileged event: a line to log. */
  forkHeadAllowed?: string;
}

/** A workflow run can wait up to 7 days for a manual approval; longer than that is a typo. */
const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;
const AWS_NAME = /^[A-Za-z0-9.@\-_]+$/;

const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .refine((s) => /^(|true|True|TRUE|false|False|FALSE)$/.test(s), 'must be true or false')
    .transform((s) => (s === '' ? fallback : s.toLowerCase() === 'true'));

const schema = z.object({
  'pipeline-name': z
    .string()
    .trim()
    .min(1, 'is required: the name of a CodePipeline V2 pipeline')
    .max(100, 'is longer than the 100 characters CodePipeline allows')
    .regex(AWS_NAME, 'may only contain letters, digits, ., @, - and _ (it is a CodePipeline pipeline name)'),
  'commit-sha': z
    .string()
    .trim()
    .min(1, 'is empty and GITHUB_SHA is not set: pass the commit to start at')
    .regex(
      /^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/,
      'must be a full commit SHA (40 hex characters), e.g. ${{ github.sha }}',
    )
    .transform((s) => s.toLowerCase()),
  'source-action-name': z
    .string()
    .trim()
    .max(100, 'is longer than the 100 characters CodePipeline allows')
    .regex(
      /^[A-Za-z0-9.@\-_]*$/,
      'may only contain letters, digits, ., @, - and _ (it is a CodePipeline action name)',
    ),
  variables: z.string(),
  wait: boolean(true),
  'timeout-minutes': z
    .string()
    .trim()
    .transform((s) => (s === '' ? 60 : Number(s)))
    .refine(
      (n) => Number.isFinite(n) && n > 0 && n <= MAX_TIMEOUT_MINUTES,
      `must be a number of minutes above 0 and at most ${MAX_TIMEOUT_MINUTES}`,
    ),
  'stop-on-cancel': boolean(true),
  'allow-fork-head': boolean(false),
});

/**
 * Validates the raw inputs. `commit-sha` falls back to the pull request's head on pull_request and
 * pull_request_target events (GITHUB_SHA is then a merge or base commit), on a workflow_run triggered by
 * a pull request and on merge_group (its head_sha), to GITHUB_SHA otherwise (push: the pushed commit). Then the fork rule (check-fork-head.ts): a fork's head is refused
 * on pull_request_target and workflow_run unless allow-fork-head is true.
 */
export function parseInputs(raw: RawInputs, read: ContextRead = readEventContext()): ActionInputs {
  const event = readEventHead(read);
  const explicit = raw['commit-sha'].trim() !== '';
  const fallback = event.kind === 'head' && event.head.isDefault ? event.head.sha : (read.context.sha ?? '');
  const withDefaults = { ...raw, 'commit-sha': explicit ? raw['commit-sha'].trim() : fallback };
  const parsed = schema.safeParse(withDefaults);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const given = String(withDefaults[name as InputName] ?? '').trim();
    const shown = given === '' ? '' : ` (got "${given.length > 60 ? `${given.slice(0, 60)}…` : given}")`;
    throw new PipewardenError(`input ${name} ${describeIssueDetail(issue)}${shown}`);
  }
  const v = parsed.data;
  const forkHeadAllowed = checkForkHead(event, {
    commitSha: v['commit-sha'],
    explicit,
    allowForkHead: v['allow-fork-head'],
  });
  return {
    pipelineName: v['pipeline-name'],
    commitSha: v['commit-sha'],
    sourceActionName: v['source-action-name'] || undefined,
    variables: parseVariables(v.variables),
    wait: v.wait,
    timeoutMinutes: v['timeout-minutes'],
    stopOnCancel: v['stop-on-cancel'],
    ...(forkHeadAllowed ? { forkHeadAllowed } : {}),
  };
}

/**
 * Poll back-off: first interval and cap in milliseconds. The cap keeps "state change noticed within 5 s";
 * PIPEWARDEN_POLL_MS=<first>[,<cap>] (undocumented) lets tests and benchmarks poll faster.
 */
export function pollSettings(env: NodeJS.ProcessEnv = process.env): { initialMs: number; maxMs: number } {
  const fallback = { initialMs: 1000, maxMs: 4000 };
  const m = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$/.exec(env.PIPEWARDEN_POLL_MS ?? '');
  if (!m) return fallback;
  const initialMs = Math.max(1, Number(m[1]));
  return { initialMs, maxMs: Math.max(initialMs, Number(m[2] ?? m[1])) };
}
