import { connectionProblem } from '../../pipeline/diagnose-connection.js';
import { oneLine } from './format.js';
import type { SourceAction } from './find-source-action.js';
import type { ActionRecord } from './types.js';

export interface FailureContext {
  pipelineName: string;
  executionId: string;
  status: string;
  statusSummary?: string;
  actions: ActionRecord[];
  sourceAction: SourceAction;
  commitSha: string;
  /** The source action's GitHub connection state, looked up when the source action failed. */
  connectionStatus?: string;
}

const MISSING_COMMIT = /commit|revision|reference|not found|does not exist|couldn'?t find|could not find/i;

/**
 * One line for a failed, stopped, superseded or cancelled execution: the first action that failed, its stage
 * and its message; a source action failing is called what it most likely is: a GitHub connection that is
 * PENDING or in ERROR (when its state is known), else a missing commit.
 */
export function describeFailure(c: FailureContext): string {
  const failed = c.actions
    .filter((a) => a.status === 'Failed')
    .sort((a, b) => (a.lastUpdateTime?.getTime() ?? 0) - (b.lastUpdateTime?.getTime() ?? 0))[0];
  const head = `pipewarden: pipeline "${c.pipelineName}" execution ${c.executionId} ${c.status}`;
  if (failed) {
    const message =
      oneLine(failed.errorMessage ?? failed.summary ?? c.statusSummary, 500) || 'no error message';
    let line = `${head} in stage "${failed.stage}", action "${failed.action}": ${message}`;
    const connection =
      failed.action === c.sourceAction.name && c.sourceAction.connectionArn && c.connectionStatus
        ? connectionProblem(c.sourceAction.connectionArn, c.connectionStatus)
        : undefined;
    // A connection that is not AVAILABLE explains a Source failure better than a missing commit does.
    if (connection) line += ` (${connection})`;
    else if (failed.action === c.sourceAction.name && MISSING_COMMIT.test(message)) {
      const repo = c.sourceAction.repository ? ` in ${c.sourceAction.repository}` : '';
      line += ` (commit ${c.commitSha} not found${repo}? push it, or set commit-sha)`;
    }
    if (failed.url) line += ` → ${failed.url}`;
    return line;
  }
  const why: Record<string, string> = {
    Superseded: 'a newer execution superseded it (the pipeline runs in SUPERSEDED mode)',
    Stopped: 'it was stopped',
    Cancelled: 'CodePipeline cancelled it',
  };
  const summary = oneLine(c.statusSummary, 500);
  return `${head}: ${summary || why[c.status] || 'no action failed'}`;
}
