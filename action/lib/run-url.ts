/** The workflow run, for the stop reason and the summary (AWS console links: pipeline/console-url.ts). */
export function runUrl(run: {
  serverUrl: string;
  repository: string;
  runId: string;
  runAttempt: string;
}): string {
  return `${run.serverUrl}/${run.repository}/actions/runs/${run.runId}/attempts/${run.runAttempt}`;
}
