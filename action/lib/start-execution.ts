import { createHash } from 'node:crypto';
import { StartPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PipewardenError } from '../../findings/errors.js';
import { explainAwsError } from './explain-aws-error.js';
import type { SourceAction } from './find-source-action.js';
import type { PipelineVariable } from './parse-variables.js';
import type { GitHubRun } from './types.js';

/**
 * StartPipelineExecution's idempotency token: the same workflow run attempt starting the same pipeline at the
 * same commit with the same variables gets the same execution back instead of a second one. CodePipeline takes
 * 1–128 characters of [a-zA-Z0-9-], so the parts are hashed.
 */
export function clientRequestToken(
  run: GitHubRun,
  pipelineName: string,
  commitSha: string,
  variables: PipelineVariable[],
): string {
  const parts = [run.repository, run.runId, run.runAttempt, pipelineName, commitSha];
  const vars = [...variables].sort((a, b) => a.name.localeCompare(b.name)).map((v) => [v.name, v.value]);
  const digest = createHash('sha256')
    .update(JSON.stringify([parts, vars]))
    .digest('hex');
  return `pipewarden-${digest}`;
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
  let answer;
  try {
    answer = await client.send(
      new StartPipelineExecutionCommand({
        name: p.pipelineName,
        clientRequestToken: p.token,
        sourceRevisions: [
          { actionName: p.sourceAction.name, revisionType: 'COMMIT_ID', revisionValue: p.commitSha },
        ],
        variables: p.variables.length > 0 ? p.variables : undefined,
      }),
      { abortSignal },
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
  if (!answer.pipelineExecutionId)
    throw new PipewardenError(`StartPipelineExecution returned no execution id for "${p.pipelineName}"`, {
      exitCode: 3,
    });
  return answer.pipelineExecutionId;
}
