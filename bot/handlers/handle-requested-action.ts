import { describeAwsFailure } from '../aws/describe-aws-failure.js';
import { PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import type { Context } from 'probot';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { stopExecution, type StopOutcome } from '../../pipeline/stop-execution.js';
import { describeExecution, type ExecutionView } from '../aws/describe-execution.js';
import { fitCheckText, writeCheckRun } from '../github/check-runs.js';
import { CONFIG_FILE, loadConfig } from '../github/load-config.js';
import { mayAct } from '../github/may-act.js';
import { CHECK_NAMES } from '../github/repo-ref.js';
import { BUTTONS, parseExecutionExternalId, type ButtonId } from '../render/render-pipeline-check.js';
import { isOwnPipeline, servesRepository } from '../settings.js';
import type { HandlerDeps } from './deps.js';
import { writePipelineCheck } from './sync-pipeline-check.js';

/** CodePipeline's answers to an approval that mean "already decided": a second click changes nothing. */
const ALREADY_DONE = new Set(['ApprovalAlreadyCompletedException', 'InvalidApprovalTokenException']);

/** What the check says after Stop, per outcome of pipeline/stop-execution.ts (a second stop is not an error). */
const STOP_NOTES: Record<StopOutcome, (who: string, at: string) => string> = {
  stopped: (who, at) => `⏹️ Stopped by **${who}** at ${at}.`,
  'already-stopping': (who, at) =>
    `ℹ️ **Stop** by **${who}** at ${at}: the execution is already stopping; nothing more was done.`,
  'already-finished': (who, at) =>
    `ℹ️ **Stop** by **${who}** at ${at}: the execution had already finished; nothing was done.`,
  'not-found': (who, at) =>
    `ℹ️ **Stop** by **${who}** at ${at}: CodePipeline no longer knows this execution; nothing was done.`,
};

const isButton = (id: string): id is ButtonId => Object.hasOwn(BUTTONS, id);

/**
 * A button on the pipeline check: Approve / Reject a waiting manual approval (PutApprovalResult with the
 * token from GetPipelineState), or Stop the execution. The sender must have the permission the config
 * asks for (default maintain) or be a listed approver; anyone else is refused on the check and nothing
 * happens. The decision, who made it and when go into CodePipeline (the approval's summary) and the check.
 */
export async function handleRequestedAction(
  deps: HandlerDeps,
  context: Context<'check_run.requested_action'>,
): Promise<void> {
  const { check_run: run, requested_action: requested, sender, repository } = context.payload;
  if (run.name !== CHECK_NAMES.pipeline || !requested?.identifier || !isButton(requested.identifier)) return;
  const button = requested.identifier;
  const ref = context.repo();
  const octokit = context.octokit;
  const at = new Date().toISOString();
  const who = escapeMarkdown(sender.login);
  // Refusals and failures go on top of what the check showed, which stays as it was.
  const annotate = (note: string) =>
    writeCheckRun(
      octokit,
      ref,
      { sha: run.head_sha, name: CHECK_NAMES.pipeline, existingId: run.id },
      {
        status: run.status as 'queued' | 'in_progress' | 'completed',
        ...(run.status === 'completed' && run.conclusion ? { conclusion: run.conclusion as 'success' } : {}),
        output: {
          title: run.output.title ?? 'pipewarden / pipeline',
          summary: fitCheckText(`${note}\n\n${run.output.summary ?? ''}`),
        },
      },
    );

  const target = parseExecutionExternalId(run.external_id);
  if (!target) {
    await annotate(
      `⚠️ **${BUTTONS[button].label}** by **${who}** at ${at}: this check shows no pipeline execution, nothing was done.`,
    );
    return;
  }
  if (
    !isOwnPipeline(deps.settings, target.pipeline) ||
    !servesRepository(deps.settings, repository.full_name)
  ) {
    await annotate(
      `⚠️ **${BUTTONS[button].label}** by **${who}** at ${at}: pipeline ${escapeMarkdown(target.pipeline)} is not one this bot may control (\`PIPEWARDEN_PIPELINES\`, \`PIPEWARDEN_REPOSITORY\`); nothing was done.`,
    );
    return;
  }
  const { config, error } = await loadConfig(() => context.config(CONFIG_FILE));
  if (error) {
    // Who may approve comes from the config: without a readable one, nobody does.
    await annotate(
      `⛔ **${BUTTONS[button].label}** by **${who}** refused at ${at}: ${escapeMarkdown(error)}. Nothing was done.`,
    );
    return;
  }
  const decision = await mayAct(octokit, ref, sender.login, config.approvals);
  if (!decision.allowed) {
    deps.log.warn({ sender: sender.login, button, pipeline: target.pipeline }, 'requested action refused');
    await annotate(
      `⛔ **${BUTTONS[button].label}** by **${who}** refused at ${at}: ${escapeMarkdown(decision.reason)}. Nothing was done.`,
    );
    return;
  }

  const codepipeline = deps.aws.codepipeline;
  let view: ExecutionView = await describeExecution(codepipeline, target.pipeline, target.executionId);
  let note: string;
  try {
    if (button === 'stop') {
      const outcome = await stopExecution(codepipeline, {
        pipelineName: target.pipeline,
        executionId: target.executionId,
        reason: `Stopped by ${sender.login} from GitHub at ${at}`,
      });
      note = STOP_NOTES[outcome](who, at);
    } else if (!view.approval) {
      note = `ℹ️ **${BUTTONS[button].label}** by **${who}** at ${at}: no approval of this execution is waiting; nothing was done.`;
    } else {
      const status = button === 'approve' ? 'Approved' : 'Rejected';
      await codepipeline.send(
        new PutApprovalResultCommand({
          pipelineName: target.pipeline,
          stageName: view.approval.stage,
          actionName: view.approval.action,
          token: view.approval.token,
          result: { status, summary: `${status} by ${sender.login} on GitHub at ${at}` },
        }),
      );
      note = `${button === 'approve' ? '✅' : '🚫'} ${status} by **${who}** at ${at} (${escapeMarkdown(decision.reason)}).`;
    }
  } catch (err) {
    if (!ALREADY_DONE.has((err as Error).name)) {
      deps.log.error({ err, button, pipeline: target.pipeline }, 'requested action failed');
      await annotate(
        `⚠️ **${BUTTONS[button].label}** by **${who}** at ${at}: ${escapeMarkdown(describeAwsFailure(BUTTONS[button].label, err))}`,
      );
      return;
    }
    note = `ℹ️ **${BUTTONS[button].label}** by **${who}** at ${at}: already done (${escapeMarkdown((err as Error).name)}).`;
  }
  deps.log.info(
    { sender: sender.login, button, pipeline: target.pipeline, execution: target.executionId },
    'requested action done',
  );
  view = await describeExecution(codepipeline, target.pipeline, target.executionId);
  const sha = view.revision?.sha ?? run.head_sha;
  await writePipelineCheck(
    deps,
    octokit,
    ref,
    { ...view, revision: view.revision ?? { ...ref, sha } },
    {
      note,
      existing: {
        id: run.id,
        status: run.status,
        conclusion: run.conclusion,
        externalId: run.external_id ?? '',
        annotationsCount: 0,
        title: run.output.title ?? '',
        summary: run.output.summary ?? '',
      },
    },
  );
}
