import { describeAwsFailure } from '../aws/describe-aws-failure.js';
import { BOT_ENV } from '../../pipeline/contracts.js';
import type { Context } from 'probot';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { startPipeline } from '../aws/start-pipeline.js';
import {
  findCheckRun,
  writeCheckRun,
  type CheckRunFields,
  type ExistingCheckRun,
} from '../github/check-runs.js';
import { loadConfigFor, CONFIG_FILE } from '../github/load-config.js';
import { isOnBranch } from '../github/head-trust.js';
import { CHECK_NAMES, type GitHubClient, type RepoRef } from '../github/repo-ref.js';
import { executionExternalId, executionUrl } from '../render/render-pipeline-check.js';
import {
  isFeaturePipeline,
  isOwnPipeline,
  mainBranchOf,
  missingSetting,
  servesRepository,
  type BotSettings,
} from '../settings.js';
import type { HandlerDeps } from './deps.js';

type PullRequestEvent = 'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened';

/**
 * What the pipeline check says before a run reports on the commit: where none will on its own (a fork's
 * pull request: CodePipeline builds no fork's code; a maintainer can start it with **Re-run**), and before
 * the bot starts the pipeline itself (the run's events then update this run).
 */
const QUEUED: CheckRunFields = {
  status: 'queued',
  output: {
    title: 'Waiting for the pipeline',
    summary: 'This check follows the pipeline run of this commit.',
  },
};

/** Which pipeline to start for a pull request, or why none can be (Markdown, outside values escaped). */
export function pullRequestPipeline(
  settings: BotSettings,
  configured: string | undefined,
): { pipeline: string } | { problem: string } {
  const pipeline = configured ?? settings.featurePipeline;
  if (!pipeline)
    return {
      problem: `no pipeline to start: set \`pipeline.name\` in .github/${CONFIG_FILE} or \`PIPEWARDEN_FEATURE_PIPELINE\``,
    };
  if (!isOwnPipeline(settings, pipeline))
    return {
      problem: settings.pipelines.length
        ? `pipeline **${escapeMarkdown(pipeline)}** is not one of this system's pipelines (\`PIPEWARDEN_PIPELINES\`)`
        : missingSetting(BOT_ENV.pipelines, 'start pipelines'),
    };
  return { pipeline };
}

/**
 * Writes the commit's pipeline check, updating the run it has (a redelivery, a reopen, a pipeline run that
 * reported first) rather than adding a second one. `keep`: never replace a run the commit has (a fork's pull
 * request may have a same-repository commit as its head, and must not turn that commit's failed check
 * neutral, which satisfies a required check); a queued check never replaces one either. Returns the run's
 * id, and the run as it was before, if any.
 */
async function writeOwnCheck(
  deps: HandlerDeps,
  octokit: GitHubClient,
  ref: RepoRef,
  sha: string,
  fields: CheckRunFields,
  keep = fields.status === 'queued',
): Promise<{ id: number; existing?: ExistingCheckRun }> {
  const existing = await findCheckRun(octokit, ref, sha, CHECK_NAMES.pipeline, deps.appId);
  if (existing && keep) return { id: existing.id, existing };
  const { id } = await writeCheckRun(
    octokit,
    ref,
    { sha, name: CHECK_NAMES.pipeline, ...(existing ? { existingId: existing.id } : {}) },
    fields,
  );
  return { id, ...(existing ? { existing } : {}) };
}

/**
 * A pull request opened, updated or reopened. Where the repository's config asks for it (no V2
 * pull-request trigger), the pipeline check is written queued, the pipeline started at the head commit, and
 * the check updated to say so (written before the start, as the run's own STARTED event, perhaps handled
 * by another instance first, must find it rather than create a second one); else
 * the pipeline run CodePipeline's trigger starts creates the check when it starts (issue 16: a queued
 * check written here cost a lookup and a create on every update). The security check is created when the
 * gate has run (`publish-security-check.ts`); until then a required check shows "Expected".
 */
export async function createChecks(deps: HandlerDeps, context: Context<PullRequestEvent>): Promise<void> {
  const pr = context.payload.pull_request;
  const ref = context.repo();
  const sha = pr.head.sha;
  const octokit = context.octokit;

  const { config, error } = await loadConfigFor(octokit, ref, deps.configCache);
  const write = (fields: CheckRunFields, keep?: boolean) =>
    writeOwnCheck(deps, octokit, ref, sha, fields, keep);
  const failure = (title: string, summary: string): CheckRunFields => ({
    status: 'completed',
    conclusion: 'failure',
    output: { title, summary },
  });
  const fail = (title: string, summary: string) => write(failure(title, summary));
  const update = (id: number, fields: CheckRunFields) =>
    writeCheckRun(octokit, ref, { sha, name: CHECK_NAMES.pipeline, existingId: id }, fields);
  if (error) {
    await fail(
      `Invalid .github/${CONFIG_FILE}`,
      `⚠️ ${escapeMarkdown(error)}. Fix the file on the default branch.`,
    );
    return;
  }
  const fromFork = pr.head.repo?.full_name !== context.payload.repository.full_name;
  if (!config.pipeline.startOnPullRequest) {
    // No trigger builds a fork's code: the check is there to say so, and for a maintainer's Re-run.
    if (fromFork) await write(QUEUED);
    return;
  }

  if (fromFork) {
    await write(
      {
        status: 'completed',
        conclusion: 'neutral',
        output: {
          title: 'Not started: pull request from a fork',
          summary: `The pipeline runs with this system’s AWS credentials, so a fork’s code is not built automatically. A user with the **maintain** or **admin** permission on this repository (or listed in \`approvals.approvers\` of .github/${CONFIG_FILE}) can press **Re-run** on this check to build it; the check then records who started it, at which commit and when.`,
        },
      },
      true,
    );
    return;
  }
  const choice = pullRequestPipeline(deps.settings, config.pipeline.name);
  const problem =
    'problem' in choice
      ? choice.problem
      : !servesRepository(deps.settings, context.payload.repository.full_name)
        ? `this system builds ${escapeMarkdown(deps.settings.repository ?? '')}, not ${escapeMarkdown(context.payload.repository.full_name)} (\`PIPEWARDEN_REPOSITORY\`)`
        : undefined;
  if (problem || !('pipeline' in choice)) {
    // Problems are Markdown already, with any outside value escaped.
    await fail('Pipeline not started', `⚠️ ${problem ?? ''}.`);
    return;
  }
  // Any pipeline but the feature pipeline deploys: never at a pull request's unreviewed head.
  if (!isFeaturePipeline(deps.settings, choice.pipeline)) {
    const main = mainBranchOf(deps.settings, context.payload.repository.default_branch);
    if (!main || !(await isOnBranch(octokit, ref, sha, main))) {
      await fail(
        'Pipeline not started',
        `⚠️ **${escapeMarkdown(choice.pipeline)}** deploys, so the bot starts it only at a commit on ${escapeMarkdown(main ?? 'the main branch')}; this pull request’s head \`${sha.slice(0, 12)}\` is not on it. Name the feature pipeline (\`PIPEWARDEN_FEATURE_PIPELINE\`) in \`pipeline.name\` of .github/${CONFIG_FILE}, or remove it.`,
      );
      return;
    }
  }
  // The check exists before the run does: the run's STARTED event (another Lambda instance, maybe before
  // this one goes on) finds it and updates it, so no order of the two can create a second run.
  const own = await write(QUEUED);
  let executionId: string;
  try {
    executionId = await startPipeline(deps.aws.codepipeline, {
      pipeline: choice.pipeline,
      sourceAction: deps.settings.sourceAction,
      sha,
      pullRequest: pr.number,
      headBranch: pr.head.ref,
      baseBranch: pr.base.ref,
      idempotencyToken: context.id,
    });
  } catch (err) {
    deps.log.error({ err, pipeline: choice.pipeline }, 'StartPipelineExecution failed');
    await update(
      own.id,
      failure(
        'Pipeline not started',
        `⚠️ ${escapeMarkdown(describeAwsFailure(`Starting ${choice.pipeline}`, err))}`,
      ),
    );
    return;
  }
  const externalId = executionExternalId(choice.pipeline, executionId);
  // A redelivery (the same execution, by its token) whose run already reported: its events keep the check.
  if (own.existing?.externalId === externalId) return;
  const url = executionUrl(deps.settings.region, choice.pipeline, executionId);
  await update(own.id, {
    status: 'in_progress',
    external_id: externalId,
    ...(url ? { details_url: url } : {}),
    output: {
      title: 'Started',
      summary: `Pipeline **${escapeMarkdown(choice.pipeline)}** started at this commit for #${pr.number}: execution \`${executionId}\`.`,
    },
  });
}
