import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsClients {
  codepipeline: CodePipelineClient;
  s3: S3Client;
  ecr: ECRClient;
  /** Reads the GitHub connection of a Source action that failed, to say why (PENDING, ERROR). */
  connections: CodeStarConnectionsClient;
}

/**
 * One client per service, made once per Lambda instance. Standard retry mode retries throttling and
 * transient errors with exponential back-off and jitter; 5 attempts stay inside the Lambda's 30 s.
 * Endpoints follow AWS_ENDPOINT_URL_<SERVICE> when set (tests point them at a local server).
 */
export function createAwsClients(region?: string): AwsClients {
  const common = { region, maxAttempts: 5, retryMode: 'standard' as const };
  return {
    codepipeline: new CodePipelineClient(common),
    s3: new S3Client(common),
    ecr: new ECRClient(common),
    connections: new CodeStarConnectionsClient(common),
  };
}
