import { describeExecution, type ExecutionView } from '../aws/describe-execution.js';
import { PIPELINE_VARIABLES } from '../aws/start-pipeline.js';
import { findCheckRun, writeCheckRun, type ExistingCheckRun } from '../github/check-runs.js';
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

const FINAL = new Set(['Succeeded', 'Failed', 'Stopped', 'Cancelled', 'Superseded']);

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
  options: { note?: string; existing?: ExistingCheckRun } = {},
): Promise<SyncResult> {
  const sha = view.revision.sha;
  const existing =
    options.existing ?? (await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId));
  // Who started this very execution for a fork stays on the check while it shows this execution.
  const provenance =
    existing?.externalId === executionExternalId(view.pipeline, view.executionId)
      ? provenanceOf(existing.summary)
      : undefined;
  const fields = renderPipelineCheck(view, {
    ...(deps.settings.region ? { region: deps.settings.region } : {}),
    ...(options.note ? { note: options.note } : {}),
    ...(provenance ? { provenance } : {}),
  });
  if (
    existing &&
    existing.externalId &&
    existing.externalId !== fields.external_id &&
    existing.status !== 'completed' &&
    FINAL.has(view.status)
  )
    return { outcome: 'stale', reason: `the check follows ${existing.externalId}`, checkRunId: existing.id };
  if (
    existing &&
    !options.note &&
    existing.externalId === fields.external_id &&
    existing.status === fields.status &&
    (fields.status !== 'completed' || existing.conclusion === fields.conclusion) &&
    existing.title === fields.output.title &&
    existing.summary === fields.output.summary
  )
    return { outcome: 'unchanged', checkRunId: existing.id };
  const written = await writeCheckRun(
    octokit,
    ref,
    { sha, name: CHECK_NAMES.pipeline, ...(existing ? { existingId: existing.id } : {}) },
    fields,
  );
  return { outcome: 'written', checkRunId: written.id };
}

/** Pull request numbers from the execution's PULL_REQUEST variable, when it holds one. */
function pullRequestOf(view: ExecutionView): number[] | undefined {
  const value = view.variables[PIPELINE_VARIABLES.pullRequest];
  return value && /^\d+$/.test(value) ? [Number(value)] : undefined;
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
  const view = await describeExecution(deps.aws.codepipeline, event.pipeline, event.executionId);
  if (!view.revision)
    return { outcome: 'skipped', reason: 'the execution has no GitHub commit as its source' };
  const ref: RepoRef = { owner: view.revision.owner, repo: view.revision.repo };
  if (!servesRepository(deps.settings, fullName(ref)))
    return { outcome: 'skipped', reason: `${fullName(ref)} is not PIPEWARDEN_REPOSITORY` };
  const octokit = await clientFor(ref);
  const withRevision = view as ExecutionView & { revision: NonNullable<ExecutionView['revision']> };
  const result = await writePipelineCheck(deps, octokit, ref, withRevision);

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
  } else if (event.kind === 'execution' && FINAL.has(view.status)) {
    await markNotChecked(deps, octokit, ref, withRevision);
    result.security = 'not-run';
  } else result.security = 'waiting';
  deps.log.info(
    { pipeline: event.pipeline, execution: event.executionId, state: event.state, outcome: result.outcome },
    'pipeline event handled',
  );
  return result;
}
