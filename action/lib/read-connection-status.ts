import { CodeStarConnectionsClient, GetConnectionCommand } from '@aws-sdk/client-codestar-connections';
import { errorMessage } from '../../findings/errors.js';

/**
 * The state of the GitHub connection a failed Source action reads through (AVAILABLE, PENDING, ERROR), to
 * explain the failure; what went wrong reading it is returned, never thrown, as the run has already failed.
 * The role needs codestar-connections:GetConnection (docs/iam/action-policy.json).
 */
export async function readConnectionStatus(
  client: CodeStarConnectionsClient,
  arn: string,
  signal?: AbortSignal,
): Promise<{ status?: string; error?: string }> {
  try {
    const { Connection } = await client.send(
      new GetConnectionCommand({ ConnectionArn: arn }),
      signal ? { abortSignal: signal } : {},
    );
    return { status: Connection?.ConnectionStatus };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** The client for it, in the pipeline's region, made at the edge like the CodePipeline client. */
export function createConnectionsClient(region: string): CodeStarConnectionsClient {
  return new CodeStarConnectionsClient({
    region,
    retryMode: 'standard',
    maxAttempts: 3,
    customUserAgent: 'pipewarden-action',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
}
