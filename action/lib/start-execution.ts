import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { requestToken, startAtCommit } from '../../pipeline/start-at-commit.js';
import { explainAwsError } from './explain-aws-error.js';
import type { SourceAction } from './find-source-action.js';
import type { PipelineVariable } from './parse-variables.js';
import type { GitHubRun } from './types.js';

/**
 * StartPipelineExecution's idempotency token: the same workflow run attempt starting the same pipeline at the
 * same commit with the same variables gets the same execution back instead of a second one.
 */
export function clientRequestToken(
  run: GitHubRun,
  pipelineName: string,
  commitSha: string,
  variables: PipelineVariable[],
): string {
  const parts = [run.repository, run.runId, run.runAttempt, pipelineName, commitSha];
  const vars = [...variables].sort((a, b) => a.name.localeCompare(b.name)).map((v) => [v.name, v.value]);
  return requestToken([parts, vars]);
}

export interface StartParams {
  pipelineName: string;
  sourceAction: SourceAction;
  commitSha: string;
  variables: PipelineVariable[];
  token: string;
  region?: string;
}

/** Starts the execution at the exact commit; returns its id. */
export async function startExecution(
  client: CodePipelineClient,
  p: StartParams,
  abortSignal?: AbortSignal,
): Promise<string> {
  try {
    return await startAtCommit(
      client,
      {
        pipelineName: p.pipelineName,
        sourceAction: p.sourceAction.name,
        commitSha: p.commitSha,
        variables: p.variables,
        clientRequestToken: p.token,
      },
      abortSignal,
    );
  } catch (error) {
    throw explainAwsError(error, {
      operation: 'StartPipelineExecution',
      pipelineName: p.pipelineName,
      region: p.region,
      commitSha: p.commitSha,
      sourceActionName: p.sourceAction.name,
    });
  }
}
