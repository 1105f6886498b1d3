import { CodePipelineClient } from '@aws-sdk/client-codepipeline';

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
