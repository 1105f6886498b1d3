import { escapeMarkdown } from '../../findings/render/escape-text.js';
import { statusIcon } from '../../pipeline/execution-status.js';
import { duration, oneLine, span, clock } from './format.js';
import type { SourceAction } from './find-source-action.js';
import type { ActionRecord, GitHubRun, PipelineShape } from './types.js';

export interface Report {
  pipeline: PipelineShape;
  executionId: string;
  url: string;
  status: string;
  commitSha: string;
  sourceAction: SourceAction;
  run: GitHubRun;
  actions: ActionRecord[];
  variableNames: string[];
  startedAt: Date;
  endedAt: Date;
  failure?: string;
}

/**
 * Text from CodePipeline, safe inside a Markdown table cell: the same escaping as every other Markdown the
 * project writes (no links, mentions, references or markup from a remote message).
 */
export function cell(text: string | undefined, max = 300): string {
  return escapeMarkdown(oneLine(text, max));
}

/** A name shown in a code span: a backtick would end the span and a bar the cell. */
const code = (text: string | undefined): string =>
  `\`${oneLine(text).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

const status = (s: string) => `${statusIcon(s)} ${s}`.trim();

/**
 * The job summary: the result and its links, then every action of the pipeline in stage order with its
 * status, start, duration, link and message; actions that never ran are listed as not run.
 */
export function renderSummary(r: Report): string {
  const lines: string[] = [];
  const commitUrl = `${r.run.serverUrl}/${r.run.repository}/commit/${r.commitSha}`;
  lines.push(`### ${status(r.status)} — CodePipeline \`${r.pipeline.name}\``, '');
  if (r.failure) lines.push(`> ${cell(r.failure, 1000)}`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| Execution | [${r.executionId}](${r.url}) |`);
  const repo = r.sourceAction.repository ? ` (${cell(r.sourceAction.repository)})` : '';
  lines.push(
    `| Commit | [\`${r.commitSha.slice(0, 12)}\`](${commitUrl}) through source action ${code(r.sourceAction.name)}${repo} |`,
  );
  if (r.variableNames.length > 0) lines.push(`| Variables | ${r.variableNames.map(code).join(', ')} |`);
  lines.push(`| Followed for | ${duration(r.endedAt.getTime() - r.startedAt.getTime()) || '0s'} |`, '');

  lines.push('| Stage | Action | Status | Started | Duration | Details |', '|---|---|---|---|---|---|');
  const used = new Set<string>();
  const row = (stage: string, action: string, a: ActionRecord | undefined) => {
    if (!a) return `| ${cell(stage)} | ${cell(action)} | not run | | | |`;
    used.add(a.id);
    const link = a.url ? `[${a.provider === 'CodeBuild' ? 'logs' : 'details'}](${a.url}) ` : '';
    const text = a.status === 'Succeeded' ? a.summary : (a.errorMessage ?? a.summary);
    return `| ${cell(stage)} | ${cell(action)} | ${status(a.status)} | ${clock(a.startTime)} | ${duration(span(a.startTime, a.lastUpdateTime))} | ${`${link}${cell(text, 200)}`.trim()} |`;
  };
  for (const stage of r.pipeline.stages) {
    const ordered = [...stage.actions].sort((a, b) => a.runOrder - b.runOrder);
    for (const action of ordered) {
      const runs = r.actions.filter((a) => a.stage === stage.name && a.action === action.name);
      if (runs.length === 0) lines.push(row(stage.name, action.name, undefined));
      for (const a of runs) lines.push(row(stage.name, action.name, a));
    }
  }
  // Actions the structure we read does not have (the pipeline was edited meanwhile).
  for (const a of r.actions) if (!used.has(a.id)) lines.push(row(a.stage, a.action, a));
  lines.push(
    '',
    `<sub>Started by [workflow run ${r.run.runId}](${r.run.serverUrl}/${r.run.repository}/actions/runs/${r.run.runId}) with pipewarden.</sub>`,
    '',
  );
  return lines.join('\n');
}
