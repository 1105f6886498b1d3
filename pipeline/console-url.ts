/*
 * AWS console links, right in every partition: aws (console.aws.amazon.com), aws-cn (console.amazonaws.cn)
 * and aws-us-gov (console.amazonaws-us-gov.com).
 */

/** A region name as AWS spells them (us-east-1, cn-north-1, us-gov-west-1, eu-isoe-west-1…). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export const isRegion = (region: string | undefined): region is string =>
  region !== undefined && REGION.test(region);

/** The AWS console's origin for a region's partition. */
export function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

/** The execution's page in the CodePipeline console (`timeline` or the stage `visualization`). */
export function executionUrl(
  region: string,
  pipelineName: string,
  executionId: string,
  view: 'timeline' | 'visualization' = 'timeline',
): string {
  return `${consoleOrigin(region)}/codesuite/codepipeline/pipelines/${encodeURIComponent(pipelineName)}/executions/${encodeURIComponent(executionId)}/${view}?region=${region}`;
}

/** A CodeBuild build's log page, from the action's external execution id (`project:build-uuid`). */
export function codeBuildLogUrl(region: string, externalExecutionId: string): string | undefined {
  const colon = externalExecutionId.indexOf(':');
  if (colon <= 0) return undefined;
  const project = externalExecutionId.slice(0, colon);
  return `${consoleOrigin(region)}/codesuite/codebuild/projects/${encodeURIComponent(project)}/build/${encodeURIComponent(externalExecutionId)}/log?region=${region}`;
}

const CONNECTION_ARN =
  /^arn:aws[\w-]*:(?:codestar-connections|codeconnections):([\w-]+):(\d{12}):connection\/([\w-]+)$/;

/**
 * The console page of a GitHub connection, where a PENDING one is completed: partition, region and account
 * come from its ARN (arn:<partition>:codestar-connections|codeconnections:<region>:<account>:connection/<id>).
 */
export function connectionConsoleUrl(arn: string): string {
  const m = CONNECTION_ARN.exec(arn);
  if (!m) return 'https://console.aws.amazon.com/codesuite/settings/connections';
  const [, region, account, id] = m as unknown as [string, string, string, string];
  return `${consoleOrigin(region)}/codesuite/settings/${account}/${region}/connections/${id}?region=${region}`;
}
