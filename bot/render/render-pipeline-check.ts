import { safeUrl } from '../../findings/render/escape-text.js';
import { escapeMarkdown } from '../../findings/render/render-markdown.js';
import { executionUrl as consoleExecutionUrl, isRegion } from '../../pipeline/console-url.js';
import { statusIcon } from '../../pipeline/execution-status.js';
import type { ExecutionView } from '../aws/describe-execution.js';
import type { CheckAction, CheckConclusion, CheckRunFields } from '../github/check-runs.js';

/** The buttons of the pipeline check (GitHub: ≤ 3, label ≤ 20, description ≤ 40, identifier ≤ 20). */
export const BUTTONS = {
  approve: { label: 'Approve', description: 'Deploy this commit past the approval', identifier: 'approve' },
  reject: { label: 'Reject', description: 'Reject the deployment at the approval', identifier: 'reject' },
  stop: { label: 'Stop', description: 'Stop this pipeline run', identifier: 'stop' },
} as const satisfies Record<string, CheckAction>;

export type ButtonId = keyof typeof BUTTONS;

const CONCLUSION: Record<string, CheckConclusion> = {
  Succeeded: 'success',
  Failed: 'failure',
  Stopped: 'cancelled',
  Cancelled: 'cancelled',
  Superseded: 'neutral',
};

/**
 * The line that records who started an execution for untrusted code (a fork's head), and when. The bot
 * writes it when it starts the run and keeps it on the check for as long as the check shows that run.
 */
export const PROVENANCE_PREFIX = '🔐 Started for ';

/**
 * The provenance line of a check's summary, if it has one: looked for only in the bot's own lines above
 * the execution's table (`Pipeline **…`), never in the text below it that comes from CodePipeline.
 */
export function provenanceOf(summary: string | null | undefined): string | undefined {
  const lines = (summary ?? '').split('\n');
  const body = lines.findIndex((line) => line.startsWith('Pipeline **'));
  return lines.slice(0, body < 0 ? undefined : body).find((line) => line.startsWith(PROVENANCE_PREFIX));
}

/** `pipeline:execution-id`: which execution a check run shows (external_id), read back by the buttons. */
export function executionExternalId(pipeline: string, executionId: string): string {
  return `${pipeline}:${executionId}`;
}

export function parseExecutionExternalId(
  externalId: string | null | undefined,
): { pipeline: string; executionId: string } | undefined {
  const m = /^([A-Za-z0-9.@_-]{1,100}):([0-9a-f-]{36})$/i.exec(externalId ?? '');
  return m ? { pipeline: m[1]!, executionId: m[2]! } : undefined;
}

/** The execution's stage view in the console of the region's partition (aws, aws-cn, aws-us-gov). */
export function executionUrl(
  region: string | undefined,
  pipeline: string,
  executionId: string,
): string | undefined {
  return isRegion(region) ? consoleExecutionUrl(region, pipeline, executionId, 'visualization') : undefined;
}

function title(view: ExecutionView): string {
  if (view.approval) return `Waiting for approval (${view.approval.stage})`;
  const running = view.stages.find((s) => s.status === 'InProgress');
  switch (view.status) {
    case 'InProgress':
      return running ? `Running: ${running.name}` : 'Running';
    case 'Stopping':
      return 'Stopping';
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed': {
      const failed = view.stages.find((s) => s.status === 'Failed');
      return failed ? `Failed in ${failed.name}` : 'Failed';
    }
    case 'Superseded':
      return 'Superseded by a newer run';
    default:
      return view.status;
  }
}

function actionCell(a: ExecutionView['stages'][number]['actions'][number]): string {
  const name = escapeMarkdown(a.name);
  const url = safeUrl(a.url);
  const label = url ? `[${name}](${url})` : name;
  return `${statusIcon(a.status)} ${label}`.trim();
}

/**
 * The "pipewarden / pipeline" check for one execution: status and conclusion, a table of the stages with
 * this execution's actions, approval notes (who approved and when, as CodePipeline recorded it), a link
 * to the execution, and the buttons that apply now: Approve / Reject / Stop at an approval, Stop while
 * running, none once it is over. `note` (a refusal, a confirmation) goes first, then `provenance` (who
 * started this run for a fork). `connection` says why the Source action failed when its GitHub connection
 * is not AVAILABLE, with the fix.
 */
export function renderPipelineCheck(
  view: ExecutionView,
  options: { region?: string; note?: string; provenance?: string; connection?: string } = {},
): CheckRunFields {
  const running = view.status === 'InProgress' || view.status === 'Stopping';
  const url = executionUrl(options.region, view.pipeline, view.executionId);
  const lines: string[] = [];
  if (options.note) lines.push(options.note, '');
  if (options.provenance) lines.push(options.provenance, '');
  const id = url ? `[${view.executionId}](${url})` : `\`${view.executionId}\``;
  lines.push(`Pipeline **${escapeMarkdown(view.pipeline)}**, execution ${id}: **${view.status}**.`);
  if (options.connection) lines.push('', `⚠️ Source failed because ${escapeMarkdown(options.connection)}`);
  if (view.statusSummary) lines.push('', escapeMarkdown(view.statusSummary));
  lines.push('', '| Stage | Status | Actions |', '|---|---|---|');
  for (const s of view.stages) {
    const actions = s.actions.map(actionCell).join(' · ');
    lines.push(
      `| ${escapeMarkdown(s.name)} | ${statusIcon(s.status)} ${s.status === 'NotReached' ? '—' : s.status} | ${actions} |`,
    );
  }
  const notes = view.stages.flatMap((s) =>
    s.actions
      .filter((a) => a.summary)
      .map(
        (a) =>
          `- **${escapeMarkdown(s.name)} / ${escapeMarkdown(a.name)}** (${a.status}${a.updatedAt ? `, ${a.updatedAt.toISOString()}` : ''}): ${escapeMarkdown(a.summary!)}`,
      ),
  );
  if (notes.length) lines.push('', '#### Notes', '', ...notes);
  if (view.approval)
    lines.push(
      '',
      `**${escapeMarkdown(view.approval.stage)} / ${escapeMarkdown(view.approval.action)}** waits for a decision: use **Approve** or **Reject** above (needs the permission set in \`approvals\` of .github/pipewarden.yml).`,
    );
  const actions: CheckAction[] = view.approval
    ? [BUTTONS.approve, BUTTONS.reject, BUTTONS.stop]
    : running && view.status !== 'Stopping'
      ? [BUTTONS.stop]
      : [];
  const fields: CheckRunFields = {
    status: running ? 'in_progress' : 'completed',
    external_id: executionExternalId(view.pipeline, view.executionId),
    output: { title: title(view), summary: lines.join('\n') },
    actions,
    ...(url ? { details_url: url } : {}),
    ...(view.startedAt ? { started_at: view.startedAt.toISOString() } : {}),
  };
  if (!running) fields.conclusion = CONCLUSION[view.status] ?? 'neutral';
  return fields;
}
