import { describeAwsFailure } from '../aws/describe-aws-failure.js';
import type { Context } from 'probot';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { startPipeline } from '../aws/start-pipeline.js';
import { findCheckRun, writeCheckRun } from '../github/check-runs.js';
import { CONFIG_FILE, loadConfig } from '../github/load-config.js';
import { judgeHead, isOnBranch, type HeadTrust, type PayloadPull } from '../github/head-trust.js';
import { atLeast, mayAct } from '../github/may-act.js';
import { CHECK_NAMES, isCheckName } from '../github/repo-ref.js';
import {
  executionExternalId,
  executionUrl,
  parseExecutionExternalId,
  PROVENANCE_PREFIX,
} from '../render/render-pipeline-check.js';
import { isFeaturePipeline, mainBranchOf, servesRepository } from '../settings.js';
import type { RepoConfig } from '../../findings/config/repo-config.js';
import { pullRequestPipeline } from './create-checks.js';
import type { HandlerDeps } from './deps.js';

type RerunEvent = 'check_run.rerequested' | 'check_suite.rerequested';

/**
 * "Re-run" on a check or on the suite: the pipeline starts again at that commit. The pipeline is the one
 * the check last showed (its external_id), else the pull-request pipeline. The token is the delivery id,
 * so a redelivered click starts one run, not two.
 *
 * Who may: write access for a head of this repository; maintain or admin (or a listed approver) for a
 * fork's head or a commit GitHub ties to no pull request or branch here, recorded on the check; and a
 * pipeline other than the feature pipeline (the main one, which deploys) only at a commit on the main
 * branch, whoever asks.
 */
export async function rerunPipeline(deps: HandlerDeps, context: Context<RerunEvent>): Promise<void> {
  const payload = context.payload;
  const ref = context.repo();
  const octokit = context.octokit;
  let sha: string;
  let pullRequests: PayloadPull[];
  let headBranch: string | undefined;
  if ('check_run' in payload) {
    if (!isCheckName(payload.check_run.name)) return;
    sha = payload.check_run.head_sha;
    pullRequests = payload.check_run.pull_requests;
    headBranch = payload.check_run.check_suite?.head_branch ?? undefined;
  } else {
    sha = payload.check_suite.head_sha;
    pullRequests = payload.check_suite.pull_requests;
    headBranch = payload.check_suite.head_branch ?? undefined;
  }
  const first = pullRequests[0];
  let pull: HeadTrust['pull'] = first
    ? {
        number: first.number,
        ...(headBranch ? { headBranch } : {}),
        ...(first.base?.ref ? { baseBranch: first.base.ref } : {}),
      }
    : undefined;
  const existing = await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId);
  let existingId = existing?.id;
  const write = async (fields: Parameters<typeof writeCheckRun>[3]) => {
    const written = await writeCheckRun(
      octokit,
      ref,
      { sha, name: CHECK_NAMES.pipeline, ...(existingId !== undefined ? { existingId } : {}) },
      fields,
    );
    existingId = written.id;
    return written;
  };
  const refuse = (summary: string) =>
    write({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Not re-run', summary: `⚠️ ${summary}` },
    });

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
  const repository = payload.repository;
  if (
    !deps.settings.pipelines.includes(choice.pipeline) ||
    !servesRepository(deps.settings, repository.full_name)
  ) {
    await refuse(
      `pipeline "${escapeMarkdown(choice.pipeline)}" may not be started for this repository by the bot (PIPEWARDEN_PIPELINES, PIPEWARDEN_REPOSITORY).`,
    );
    return;
  }
  const pipelineName = `**${escapeMarkdown(choice.pipeline)}**`;
  const short = `\`${sha.slice(0, 12)}\``;

  // Who may start what. The run uses this system's AWS credentials: at least write access, whatever
  // GitHub showed the button to. The main pipeline deploys: only reviewed code, a commit on the main
  // branch. Code from a fork (or a head GitHub ties to no pull request or branch of this repository):
  // maintain or admin, or a listed approver, and the check records who started it.
  let rule: RepoConfig['approvals'] = { permission: 'write', approvers: [] };
  let untrusted: Extract<HeadTrust, { trusted: false }> | undefined;
  if (!isFeaturePipeline(deps.settings, choice.pipeline)) {
    const main = mainBranchOf(deps.settings, repository.default_branch);
    if (!main) {
      await refuse(
        `${pipelineName} deploys and no main branch is known (\`PIPEWARDEN_MAIN_BRANCH\`). Nothing was started.`,
      );
      return;
    }
    if (!(await isOnBranch(octokit, ref, sha, main))) {
      await refuse(
        `${pipelineName} deploys, so the bot starts it only at a commit on ${escapeMarkdown(main)}; ${short} is not on it. Nothing was started.`,
      );
      return;
    }
  } else {
    const head = await judgeHead(octokit, ref, {
      repositoryId: repository.id,
      sha,
      pulls: pullRequests,
      branches: [headBranch, mainBranchOf(deps.settings, repository.default_branch)],
    });
    pull ??= head.pull;
    if (!head.trusted) {
      untrusted = head;
      rule = {
        permission: atLeast('maintain', config.approvals.permission),
        approvers: config.approvals.approvers,
      };
    }
  }
  const sender = payload.sender.login;
  const decision = await mayAct(octokit, ref, sender, rule);
  if (!decision.allowed) {
    deps.log.warn({ sender, sha, pipeline: choice.pipeline, fork: untrusted?.fork }, 're-run refused');
    await refuse(
      untrusted
        ? `${short} is untrusted code: ${escapeMarkdown(untrusted.why)}. ${escapeMarkdown(decision.reason)}. Nothing was started.`
        : `${escapeMarkdown(decision.reason)}. Nothing was started.`,
    );
    return;
  }
  // A commit without a pipeline check gets one before the run exists: the run's STARTED event (another
  // Lambda instance, maybe first) then updates it rather than creating a second one.
  if (existingId === undefined)
    await write({
      status: 'queued',
      output: { title: 'Starting again', summary: `**${escapeMarkdown(sender)}** asked for a re-run.` },
    });
  let executionId: string;
  try {
    executionId = await startPipeline(deps.aws.codepipeline, {
      pipeline: choice.pipeline,
      sourceAction: deps.settings.sourceAction,
      sha,
      ...(pull ? { pullRequest: pull.number } : {}),
      ...((pull?.headBranch ?? headBranch) ? { headBranch: pull?.headBranch ?? headBranch } : {}),
      ...(pull?.baseBranch ? { baseBranch: pull.baseBranch } : {}),
      idempotencyToken: context.id,
    });
  } catch (err) {
    deps.log.error({ err, pipeline: choice.pipeline }, 'StartPipelineExecution failed');
    await refuse(escapeMarkdown(describeAwsFailure(`starting ${choice.pipeline}`, err)));
    return;
  }
  const at = new Date().toISOString();
  const who = escapeMarkdown(sender);
  const provenance = untrusted
    ? `${PROVENANCE_PREFIX}${untrusted.fork ? `fork ${escapeMarkdown(untrusted.fork)}` : 'an untrusted head'} by @${who} (${escapeMarkdown(decision.role)}) at ${at}, commit \`${sha}\`.`
    : undefined;
  deps.log.info(
    {
      sender,
      sha,
      pipeline: choice.pipeline,
      execution: executionId,
      fork: untrusted?.fork,
      role: decision.role,
    },
    're-run started',
  );
  const url = executionUrl(deps.settings.region, choice.pipeline, executionId);
  await write({
    status: 'in_progress',
    external_id: executionExternalId(choice.pipeline, executionId),
    ...(url ? { details_url: url } : {}),
    output: {
      title: 'Started again',
      summary: [
        ...(provenance ? [provenance, ''] : []),
        `**${who}** asked for a re-run: pipeline ${pipelineName}, execution \`${executionId}\`, at ${at}.`,
        ...(untrusted ? ['', `Untrusted code: ${escapeMarkdown(untrusted.why)}.`] : []),
      ].join('\n'),
    },
    actions: [],
  });
}
