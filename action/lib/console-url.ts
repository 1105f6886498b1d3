/** The AWS console's domain for a region's partition (aws, aws-cn, aws-us-gov). */
export function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

/** The execution's timeline in the CodePipeline console. */
export function executionUrl(region: string, pipelineName: string, executionId: string): string {
  return `${consoleOrigin(region)}/codesuite/codepipeline/pipelines/${encodeURIComponent(pipelineName)}/executions/${encodeURIComponent(executionId)}/timeline?region=${region}`;
}

/** A CodeBuild build's log page, from the action's external execution id (`project:build-uuid`). */
export function codeBuildLogUrl(region: string, externalExecutionId: string): string | undefined {
  const colon = externalExecutionId.indexOf(':');
  if (colon <= 0) return undefined;
  const project = externalExecutionId.slice(0, colon);
  return `${consoleOrigin(region)}/codesuite/codebuild/projects/${encodeURIComponent(project)}/build/${encodeURIComponent(externalExecutionId)}/log?region=${region}`;
}

/** The workflow run, for the stop reason and the summary. */
export function runUrl(run: {
  serverUrl: string;
  repository: string;
  runId: string;
  runAttempt: string;
}): string {
  return `${run.serverUrl}/${run.repository}/actions/runs/${run.runId}/attempts/${run.runAttempt}`;
}
