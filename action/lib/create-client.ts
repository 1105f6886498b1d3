import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';

/**
 * One client for the whole step. Credentials, region and endpoint come from the environment the usual way
 * (aws-actions/configure-aws-credentials; AWS_ENDPOINT_URL_CODEPIPELINE for a local endpoint); the SDK's
 * standard retry strategy absorbs throttling with jittered back-off before the poll loop ever sees it.
 */
export function createCodePipelineClient(): CodePipelineClient {
  return new CodePipelineClient({
    retryMode: 'standard',
    maxAttempts: 6,
    customUserAgent: 'pipewarden-action',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
}

/**
 * The client that reads a failed Source action's GitHub connection, in the pipeline's region. The role
 * needs codestar-connections:GetConnection (docs/iam/action-policy.json).
 */
export function createConnectionsClient(region: string): CodeStarConnectionsClient {
  return new CodeStarConnectionsClient({
    region,
    retryMode: 'standard',
    maxAttempts: 3,
    customUserAgent: 'pipewarden-action',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
}
