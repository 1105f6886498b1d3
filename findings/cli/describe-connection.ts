/*
 * What a GitHub connection's state means for the pipelines, shared by `pipewarden doctor` and the GitHub
 * Action's explanation of a failed Source action.
 */

/**
 * The console page of a connection, where a PENDING one is completed: region and account come from its
 * ARN (arn:aws:codestar-connections:<region>:<account>:connection/<id>, or codeconnections).
 */
export function connectionConsoleUrl(arn: string): string {
  const m =
    /^arn:aws[\w-]*:(?:codestar-connections|codeconnections):([\w-]+):(\d{12}):connection\/([\w-]+)$/.exec(
      arn,
    );
  if (!m) return 'https://console.aws.amazon.com/codesuite/settings/connections';
  const [, region, account, id] = m;
  return `https://${region}.console.aws.amazon.com/codesuite/settings/${account}/${region}/connections/${id}?region=${region}`;
}

/** What a connection's status means for the pipelines, and what to do; undefined when AVAILABLE. */
export function connectionProblem(arn: string, connectionStatus: string | undefined): string | undefined {
  const status = connectionStatus ?? 'unknown';
  if (status === 'AVAILABLE') return undefined;
  if (status === 'PENDING')
    return `the GitHub connection ${arn} is PENDING: complete the handshake in the console: ${connectionConsoleUrl(arn)}`;
  if (status === 'ERROR')
    return `the GitHub connection ${arn} is in ERROR (the GitHub App was uninstalled or its access revoked): update the pending connection in the console, or reinstall the AWS Connector for GitHub app: ${connectionConsoleUrl(arn)}`;
  return `the GitHub connection ${arn} is ${status}: check it in the console: ${connectionConsoleUrl(arn)}`;
}
