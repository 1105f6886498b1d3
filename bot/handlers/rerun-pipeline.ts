import type { Context } from 'probot';
import { errorMessage } from '../../findings/errors.js';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { startPipeline } from '../aws/start-pipeline.js';
import { findCheckRun, writeCheckRun } from '../github/check-runs.js';
import { CONFIG_FILE, loadConfig } from '../github/load-config.js';
import { mayAct } from '../github/may-act.js';
import { CHECK_NAMES, isCheckName } from '../github/repo-ref.js';
import {
  executionExternalId,
  executionUrl,
  parseExecutionExternalId,
} from '../render/render-pipeline-check.js';
import { servesRepository } from '../settings.js';
import { pullRequestPipeline } from './create-checks.js';
import type { HandlerDeps } from './deps.js';

type RerunEvent = 'check_run.rerequested' | 'check_suite.rerequested';

/**
 * "Re-run" on a check or on the suite: the pipeline starts again at that commit. The pipeline is the one
 * the check last showed (its external_id), else the pull-request pipeline. The token is the delivery id,
 * so a redelivered click starts one run, not two.
 */
export async function rerunPipeline(deps: HandlerDeps, context: Context<RerunEvent>): Promise<void> {
  const payload = context.payload;
  const ref = context.repo();
  const octokit = context.octokit;
  let sha: string;
  let pullRequest: number | undefined;
  let headBranch: string | undefined;
  if ('check_run' in payload) {
    if (!isCheckName(payload.check_run.name)) return;
    sha = payload.check_run.head_sha;
    pullRequest = payload.check_run.pull_requests[0]?.number;
    headBranch = payload.check_run.check_suite?.head_branch ?? undefined;
  } else {
    sha = payload.check_suite.head_sha;
    pullRequest = payload.check_suite.pull_requests[0]?.number;
    headBranch = payload.check_suite.head_branch ?? undefined;
  }
  const existing = await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId);
  const write = (fields: Parameters<typeof writeCheckRun>[3]) =>
    writeCheckRun(
      octokit,
      ref,
      { sha, name: CHECK_NAMES.pipeline, ...(existing ? { existingId: existing.id } : {}) },
      fields,
    );
  const refuse = (summary: string) =>
    write({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Not re-run', summary: `⚠️ ${summary}` },
    });

  // The run uses this system's AWS credentials: at least write access, whatever GitHub showed the button to.
  const sender = payload.sender.login;
  const decision = await mayAct(octokit, ref, sender, { permission: 'write', approvers: [] });
  if (!decision.allowed) {
    await refuse(`${escapeMarkdown(decision.reason)}. Nothing was started.`);
    return;
  }
  const { config, error } = await loadConfig(() => context.config(CONFIG_FILE));
  if (error) {
    await refuse(`${escapeMarkdown(error)}. Fix the file on the default branch.`);
    return;
  }
  const previous = parseExecutionExternalId(existing?.externalId);
  const choice = previous
    ? { pipeline: previous.pipeline }
    : pullRequestPipeline(deps.settings, config.pipeline.name);
  if ('problem' in choice) {
    await refuse(`${choice.problem}.`);
    return;
  }
  if (
    !deps.settings.pipelines.includes(choice.pipeline) ||
    !servesRepository(deps.settings, payload.repository.full_name)
  ) {
    await refuse(
      `pipeline "${escapeMarkdown(choice.pipeline)}" may not be started for this repository by the bot (PIPEWARDEN_PIPELINES, PIPEWARDEN_REPOSITORY).`,
    );
    return;
  }
  let executionId: string;
  try {
    executionId = await startPipeline(deps.aws.codepipeline, {
      pipeline: choice.pipeline,
      sourceAction: deps.settings.sourceAction,
      sha,
      ...(pullRequest ? { pullRequest } : {}),
      ...(headBranch ? { headBranch } : {}),
      idempotencyToken: context.id,
    });
  } catch (err) {
    deps.log.error({ err, pipeline: choice.pipeline }, 'StartPipelineExecution failed');
    await refuse(
      `starting **${escapeMarkdown(choice.pipeline)}** failed: ${escapeMarkdown(errorMessage(err))}`,
    );
    return;
  }
  const url = executionUrl(deps.settings.region, choice.pipeline, executionId);
  await write({
    status: 'in_progress',
    external_id: executionExternalId(choice.pipeline, executionId),
    ...(url ? { details_url: url } : {}),
    output: {
      title: 'Started again',
      summary: `**${escapeMarkdown(sender)}** asked for a re-run: pipeline **${escapeMarkdown(choice.pipeline)}**, execution \`${executionId}\`, at ${new Date().toISOString()}.`,
    },
    actions: [],
  });
}
