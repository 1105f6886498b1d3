import { describeExecution, type ExecutionView } from '../aws/describe-execution.js';
import { PIPELINE_VARIABLES } from '../../pipeline/contracts.js';
import { diagnoseConnection } from '../../pipeline/diagnose-connection.js';
import { isTerminal } from '../../pipeline/execution-status.js';
import {
  findCheckRun,
  findCheckRuns,
  fitCheckText,
  writeCheckRun,
  type ExistingCheckRun,
} from '../github/check-runs.js';
import { CHECK_NAMES, fullName, type GitHubClient, type RepoRef } from '../github/repo-ref.js';
import type { PipelineEvent } from '../pipeline-event.js';
import { executionExternalId, provenanceOf, renderPipelineCheck } from '../render/render-pipeline-check.js';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { isFeaturePipeline, isOwnPipeline, servesRepository } from '../settings.js';
import type { HandlerDeps } from './deps.js';
import { publishSecurityCheck, type PublishResult } from './publish-security-check.js';

/** An installation client for a repository (the Lambda resolves the installation with the App's JWT). */
export type ClientFor = (ref: RepoRef) => Promise<GitHubClient>;

export interface SyncResult {
  outcome: 'skipped' | 'written' | 'unchanged' | 'stale';
  reason?: string;
  checkRunId?: number;
  security?: PublishResult | 'not-run' | 'waiting';
}

/**
 * Writes the pipeline check for an execution, unless it would only repeat what the run shows, or the run
 * already follows another execution that is still going while this one is over (events arrive out of
 * order; the newer, running execution keeps the check).
 */
export async function writePipelineCheck(
  deps: HandlerDeps,
  octokit: GitHubClient,
  ref: RepoRef,
  view: ExecutionView & { revision: NonNullable<ExecutionView['revision']> },
  /** `existing`: the run as just looked up (null: the commit has none), instead of a lookup here. */
  options: { note?: string; existing?: ExistingCheckRun | null; connection?: string } = {},
): Promise<SyncResult> {
  const sha = view.revision.sha;
  const externalId = executionExternalId(view.pipeline, view.executionId);
  // This instance's last write stands in for a lookup while the execution runs and the check follows it;
  // a final state is always checked against GitHub (another execution may have taken the check meanwhile).
  const cached = deps.checkRuns?.get(ref, sha, CHECK_NAMES.pipeline);
  const given = options.existing !== undefined;
  const fromCache = !given && cached?.externalId === externalId && !isTerminal(view.status);
  const existing = given
    ? (options.existing ?? undefined)
    : fromCache
      ? cached
      : await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId);
  if (existing && !fromCache) deps.checkRuns?.set(ref, sha, CHECK_NAMES.pipeline, existing);
  // Who started this very execution for a fork stays on the check while it shows this execution.
  const provenance = existing?.externalId === externalId ? provenanceOf(existing.summary) : undefined;
  const fields = renderPipelineCheck(view, {
    ...(deps.settings.region ? { region: deps.settings.region } : {}),
    ...(options.note ? { note: options.note } : {}),
    ...(provenance ? { provenance } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
  });
  if (
    existing &&
    existing.externalId &&
    existing.externalId !== fields.external_id &&
    existing.status !== 'completed' &&
    isTerminal(view.status)
  )
    return { outcome: 'stale', reason: `the check follows ${existing.externalId}`, checkRunId: existing.id };
  if (
    existing &&
    !options.note &&
    existing.externalId === fields.external_id &&
    existing.status === fields.status &&
    (fields.status !== 'completed' || existing.conclusion === fields.conclusion) &&
    existing.title === fields.output.title &&
    existing.summary === fitCheckText(fields.output.summary)
  )
    return { outcome: 'unchanged', checkRunId: existing.id };
  let written;
  try {
    written = await writeCheckRun(
      octokit,
      ref,
      { sha, name: CHECK_NAMES.pipeline, ...(existing ? { existingId: existing.id } : {}) },
      fields,
    );
  } catch (error) {
    deps.checkRuns?.delete(ref, sha, CHECK_NAMES.pipeline);
    throw error;
  }
  deps.checkRuns?.set(ref, sha, CHECK_NAMES.pipeline, {
    id: written.id,
    status: fields.status,
    conclusion: fields.conclusion ?? null,
    externalId: fields.external_id ?? '',
    annotationsCount: existing?.annotationsCount ?? 0,
    title: fields.output.title,
    summary: fitCheckText(fields.output.summary),
  });
  return { outcome: 'written', checkRunId: written.id };
}

/** Pull request numbers from the execution's PULL_REQUEST variable, when it holds one. */
function pullRequestOf(view: ExecutionView): number[] | undefined {
  const value = view.variables[PIPELINE_VARIABLES.pullRequest];
  return value && /^\d+$/.test(value) ? [Number(value)] : undefined;
}

/**
 * Why the Source action failed, when its GitHub connection is PENDING or in ERROR (the same diagnosis as the
 * action's and `pipewarden doctor`'s); undefined otherwise, or when the connection cannot be read.
 */
async function sourceConnectionProblem(deps: HandlerDeps, view: ExecutionView): Promise<string | undefined> {
  const source = view.source;
  if (view.status !== 'Failed' || source?.status !== 'Failed' || !source.connectionArn) return undefined;
  const diagnosis = await diagnoseConnection(deps.aws.connections, source.connectionArn);
  if (diagnosis.error)
    deps.log.warn(
      { connection: source.connectionArn, error: diagnosis.error },
      'GitHub connection not read (needs codestar-connections:GetConnection)',
    );
  return diagnosis.problem;
}

/** An execution that ended before its gate: the security check says nothing was checked (fail closed). */
async function markNotChecked(
  deps: HandlerDeps,
  octokit: GitHubClient,
  ref: RepoRef,
  view: ExecutionView & { revision: NonNullable<ExecutionView['revision']> },
  existing: ExistingCheckRun | undefined,
): Promise<void> {
  if (existing?.status === 'completed') return;
  await writeCheckRun(
    octokit,
    ref,
    { sha: view.revision.sha, name: CHECK_NAMES.security, ...(existing ? { existingId: existing.id } : {}) },
    {
      status: 'completed',
      conclusion: 'cancelled',
      output: {
        title: 'Not checked',
        summary: `Pipeline **${escapeMarkdown(view.pipeline)}** execution \`${view.executionId}\` ended (**${view.status}**) before the ${escapeMarkdown(deps.settings.gateStage)} stage ran: nothing was checked. Re-run the checks to try again.`,
      },
    },
  );
}

/**
 * Why an event changes nothing a check shows on its own, or undefined; decided before anything is read.
 * Each event costs GitHub requests (issue 16), so the pipeline check is written at the execution's start,
 * at a manual approval's start (its Approve / Reject buttons), at the start of the stage after one
 * (`followsApproval`), at the gate's end and at the execution's end: any other action's start or end, a
 * stage's end and the gate's start show at the next of those. The check is rendered from
 * GetPipelineExecution when handled, so it shows everything that happened by then.
 */
export function quietEvent(deps: HandlerDeps, event: PipelineEvent): string | undefined {
  if (event.kind === 'action')
    return approvalStarts(event) ? undefined : 'action events show at the next event the check follows';
  if (event.kind !== 'stage') return undefined;
  if (event.stage === deps.settings.gateStage)
    return event.state === 'SUCCEEDED' || event.state === 'FAILED'
      ? undefined
      : 'the gate shows at its end or the execution’s end';
  if (event.state !== 'STARTED')
    return 'a stage’s end shows at the next stage the check follows or the execution’s end';
  return undefined;
}

/**
 * A manual approval's start: the check gets its Approve / Reject buttons. Its own stage's start does not
 * show them: that stage may start before the approval does (GetPipelineState has no token yet), and the
 * approval's start follows anyway, so one write either way.
 */
const approvalStarts = (event: PipelineEvent) =>
  event.kind === 'action' && event.category === 'Approval' && event.state === 'STARTED';

const hasApproval = (stage: ExecutionView['stages'][number] | undefined) =>
  stage?.actions.some((a) => a.category === 'Approval') ?? false;

/**
 * Whether a stage's start is shown: it follows a stage that held a manual approval (the decision, however
 * it was made, takes the buttons off). That approval ran in this execution, so its category is known.
 */
function followsApproval(view: ExecutionView, stage: string): boolean {
  const at = view.stages.findIndex((s) => s.name === stage);
  return at > 0 && hasApproval(view.stages[at - 1]);
}

/**
 * Whether a stage is the first after the source stage: where the commit is known at the latest. CodePipeline
 * may know a trigger-started run's commit only once its Source action has finished, after the execution's
 * STARTED event (which then wrote nothing), so this stage's start shows the run when nothing else has.
 */
function firstAfterSource(view: ExecutionView, stage: string): boolean {
  const source = view.stages.findIndex((s) => s.actions.some((a) => a.category === 'Source'));
  return source >= 0 && view.stages[source + 1]?.name === stage;
}

/** Open pull requests whose head is the commit, from what is known without asking GitHub for them. */
function knownPullRequests(
  deps: HandlerDeps,
  view: ExecutionView,
  runs: (ExistingCheckRun | undefined)[],
): number[] | undefined {
  const variable = pullRequestOf(view);
  if (variable) return variable;
  // GitHub lists a run's open pull requests of this repository with the run (never a fork's).
  const listed = [...new Set(runs.flatMap((r) => r?.pullRequests ?? []))];
  if (listed.length) return listed;
  // A deploying pipeline runs commits of the main branch: a fork's pull request does not have one as head.
  if (runs.some((r) => r?.pullRequests) && !isFeaturePipeline(deps.settings, view.pipeline)) return [];
  return undefined;
}

/**
 * A CodePipeline state change → the commit's checks. The owner, repository and commit come from the
 * execution itself (its GitHub source revision), the stage table from the pipeline. When the gate stage
 * of this execution has finished, the security check is published from what that gate wrote in the
 * findings store (this pipeline's, this execution's key; never a key another run could write): at the
 * gate's end when stages follow it, else at the execution's end, which follows at once.
 */
export async function syncPipelineCheck(
  deps: HandlerDeps,
  clientFor: ClientFor,
  event: PipelineEvent,
): Promise<SyncResult> {
  if (!isOwnPipeline(deps.settings, event.pipeline))
    return {
      outcome: 'skipped',
      reason: deps.settings.pipelines.length
        ? `${event.pipeline} is not one of PIPEWARDEN_PIPELINES`
        : 'PIPEWARDEN_PIPELINES is not set',
    };
  const quiet = quietEvent(deps, event);
  if (quiet) return { outcome: 'skipped', reason: quiet };
  const view = await describeExecution(deps.aws.codepipeline, event.pipeline, event.executionId);
  if (!view.revision)
    return { outcome: 'skipped', reason: 'the execution has no GitHub commit as its source' };
  const ref: RepoRef = { owner: view.revision.owner, repo: view.revision.repo };
  if (!servesRepository(deps.settings, fullName(ref)))
    return { outcome: 'skipped', reason: `${fullName(ref)} is not PIPEWARDEN_REPOSITORY` };

  const gateAt = view.stages.findIndex((s) => s.name === deps.settings.gateStage);
  const gate = view.stages[gateAt];
  const gateDone = gate?.status === 'Succeeded' || gate?.status === 'Failed';
  const sha = view.revision.sha;
  const externalId = executionExternalId(view.pipeline, view.executionId);
  // The first stage after the source writes only when the check does not follow this execution yet (its
  // STARTED event found no commit): this instance's record first, else a lookup.
  let lookedUp: ExistingCheckRun | null | undefined;
  let client: GitHubClient | undefined;
  if (
    event.kind === 'stage' &&
    event.stage !== deps.settings.gateStage &&
    !followsApproval(view, event.stage!)
  ) {
    if (!firstAfterSource(view, event.stage!))
      return {
        outcome: 'skipped',
        reason:
          'no approval was decided before this stage: it shows at the next event (an approval at its own start)',
      };
    if (deps.checkRuns?.get(ref, sha, CHECK_NAMES.pipeline)?.externalId === externalId)
      return { outcome: 'skipped', reason: 'the check already follows this execution' };
    client = await clientFor(ref);
    lookedUp = (await findCheckRun(client, ref, sha, CHECK_NAMES.pipeline, deps.appId)) ?? null;
    if (lookedUp?.externalId === externalId) {
      deps.checkRuns?.set(ref, sha, CHECK_NAMES.pipeline, lookedUp);
      return { outcome: 'unchanged', checkRunId: lookedUp.id, security: 'waiting' };
    }
  }
  if (event.kind === 'stage' && event.stage === deps.settings.gateStage) {
    if (!gateDone) return { outcome: 'skipped', reason: 'the gate has not finished in this execution' };
    // Nothing runs after the gate (its last stage, or it failed): the execution's end follows at once.
    if (gateAt === view.stages.length - 1 || gate.status === 'Failed' || isTerminal(view.status))
      return { outcome: 'skipped', reason: 'the execution’s end, which follows at once, shows the gate' };
  }

  const octokit = client ?? (await clientFor(ref));
  const withRevision = view as ExecutionView & { revision: NonNullable<ExecutionView['revision']> };
  const connection = await sourceConnectionProblem(deps, view);
  const publishes =
    gateDone &&
    (event.kind === 'execution' || (event.kind === 'stage' && event.stage === deps.settings.gateStage));
  const settles = event.kind === 'execution' && isTerminal(view.status);
  // Where the security check is concerned, both runs are looked up in one request.
  let runs: { pipeline: ExistingCheckRun | null; security: ExistingCheckRun | null } | undefined;
  if (publishes || settles) {
    const found = await findCheckRuns(
      octokit,
      ref,
      sha,
      [CHECK_NAMES.pipeline, CHECK_NAMES.security],
      deps.appId,
    );
    runs = {
      pipeline: found.get(CHECK_NAMES.pipeline) ?? null,
      security: found.get(CHECK_NAMES.security) ?? null,
    };
  }
  const result = await writePipelineCheck(deps, octokit, ref, withRevision, {
    ...(connection ? { connection } : {}),
    ...(runs ? { existing: runs.pipeline } : lookedUp !== undefined ? { existing: lookedUp } : {}),
  });

  if (publishes) {
    const pullRequests = knownPullRequests(deps, view, [
      runs?.pipeline ?? undefined,
      runs?.security ?? undefined,
    ]);
    result.security = await publishSecurityCheck(
      deps,
      octokit,
      {
        ref,
        sha: view.revision.sha,
        pipeline: view.pipeline,
        executionId: view.executionId,
        ...(pullRequests ? { pullRequests } : {}),
      },
      undefined,
      runs?.security ?? null,
    );
  } else if (settles) {
    await markNotChecked(deps, octokit, ref, withRevision, runs?.security ?? undefined);
    result.security = 'not-run';
  } else result.security = 'waiting';
  deps.log.info(
    { pipeline: event.pipeline, execution: event.executionId, state: event.state, outcome: result.outcome },
    'pipeline event handled',
  );
  return result;
}
