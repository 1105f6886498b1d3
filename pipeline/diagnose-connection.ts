import { GetConnectionCommand, type CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { connectionConsoleUrl } from './console-url.js';

/*
 * What a GitHub connection's state means for the pipelines, shared by `pipewarden doctor`, the action's
 * and the bot's explanation of a failed Source action.
 */

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

export interface ConnectionDiagnosis {
  /** AVAILABLE, PENDING, ERROR… when it could be read. */
  status?: string;
  /** The sentence for a user (connectionProblem), when the connection is not AVAILABLE. */
  problem?: string;
  /** Why it could not be read (the role lacks codestar-connections:GetConnection…): returned, never thrown. */
  error?: unknown;
}

/**
 * Reads the state of the connection a failed Source action reads through, to explain the failure. A failure
 * to read it is returned, never thrown: the run has already failed and this only explains why.
 */
export async function diagnoseConnection(
  client: CodeStarConnectionsClient,
  arn: string,
  abortSignal?: AbortSignal,
): Promise<ConnectionDiagnosis> {
  try {
    const { Connection } = await client.send(
      new GetConnectionCommand({ ConnectionArn: arn }),
      abortSignal ? { abortSignal } : {},
    );
    const status = Connection?.ConnectionStatus;
    const problem = connectionProblem(arn, status);
    return { ...(status ? { status } : {}), ...(problem ? { problem } : {}) };
  } catch (error) {
    return { error };
  }
}
