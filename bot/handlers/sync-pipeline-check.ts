import { describeExecution, type ExecutionView } from '../aws/describe-execution.js';
import { PIPELINE_VARIABLES } from '../../pipeline/contracts.js';
import { diagnoseConnection } from '../../pipeline/diagnose-connection.js';
import { isTerminal } from '../../pipeline/execution-status.js';
import { findCheckRun, fitCheckText, writeCheckRun, type ExistingCheckRun } from '../github/check-runs.js';
import { CHECK_NAMES, fullName, type GitHubClient, type RepoRef } from '../github/repo-ref.js';
import type { PipelineEvent } from '../pipeline-event.js';
import { executionExternalId, provenanceOf, renderPipelineCheck } from '../render/render-pipeline-check.js';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { isOwnPipeline, servesRepository } from '../settings.js';
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
  options: { note?: string; existing?: ExistingCheckRun; connection?: string } = {},
): Promise<SyncResult> {
  const sha = view.revision.sha;
  const externalId = executionExternalId(view.pipeline, view.executionId);
  // This instance's last write stands in for a lookup while the execution runs and the check follows it;
  // a final state is always checked against GitHub (another execution may have taken the check meanwhile).
  const cached = deps.checkRuns?.get(ref, sha, CHECK_NAMES.pipeline);
  const fromCache = !options.existing && cached?.externalId === externalId && !isTerminal(view.status);
  const existing =
    options.existing ??
    (fromCache ? cached : await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId));
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
): Promise<void> {
  const existing = await findCheckRun(octokit, ref, view.revision.sha, CHECK_NAMES.security, deps.appId);
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
 * Why an event changes nothing a check shows on its own, or undefined. Each event costs GitHub requests
 * (issue 16), so the bot follows the execution and its stages only: an action's start or end shows at its
 * stage's next event, and a stage's success (the gate's aside, which publishes the security check) at the
 * next stage's start or the execution's end, which always follow. The check is rendered from
 * GetPipelineExecution when handled, so it shows everything that happened by then.
 */
export function quietEvent(deps: HandlerDeps, event: PipelineEvent): string | undefined {
  if (event.kind === 'action') return 'action events show at their stage’s next event';
  if (event.kind === 'stage' && event.state === 'SUCCEEDED' && event.stage !== deps.settings.gateStage)
    return 'a stage’s success shows at the next stage’s start or the execution’s end';
  return undefined;
}

/**
 * A CodePipeline state change → the commit's checks. The owner, repository and commit come from the
 * execution itself (its GitHub source revision), the stage table from the pipeline. When the gate stage
 * of this execution has finished, the security check is published from what that gate wrote in the
 * findings store (this pipeline's, this execution's key; never a key another run could write).
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
  const octokit = await clientFor(ref);
  const withRevision = view as ExecutionView & { revision: NonNullable<ExecutionView['revision']> };
  const connection = await sourceConnectionProblem(deps, view);
  const result = await writePipelineCheck(deps, octokit, ref, withRevision, connection ? { connection } : {});

  // Security: when this execution's gate has finished; and a final execution event settles the rest.
  const gate = view.stages.find((s) => s.name === deps.settings.gateStage);
  const gateDone = gate?.status === 'Succeeded' || gate?.status === 'Failed';
  const concernsGate = event.kind === 'execution' || event.stage === deps.settings.gateStage;
  if (concernsGate && gateDone) {
    const pullRequests = pullRequestOf(view);
    result.security = await publishSecurityCheck(deps, octokit, {
      ref,
      sha: view.revision.sha,
      pipeline: view.pipeline,
      executionId: view.executionId,
      ...(pullRequests ? { pullRequests } : {}),
    });
  } else if (event.kind === 'execution' && isTerminal(view.status)) {
    await markNotChecked(deps, octokit, ref, withRevision);
    result.security = 'not-run';
  } else result.security = 'waiting';
  deps.log.info(
    { pipeline: event.pipeline, execution: event.executionId, state: event.state, outcome: result.outcome },
    'pipeline event handled',
  );
  return result;
}
