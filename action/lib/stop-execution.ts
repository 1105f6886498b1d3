import { GetPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { runUrl } from './run-url.js';
import { explainAwsError } from './explain-aws-error.js';
import { MAX_STOP_REASON, stopExecution as stop, type StopOutcome } from '../../pipeline/stop-execution.js';
import type { GitHubRun } from './types.js';

export type { StopOutcome };

export interface StopParams {
  pipelineName: string;
  executionId: string;
  reason: string;
  region?: string;
}

/** Why the action stops the execution, with the workflow run's link, in StopPipelineExecution's 200 characters. */
export function stopReason(why: string, run: GitHubRun): string {
  return `${why} ${runUrl(run)}`.slice(0, MAX_STOP_REASON);
}

/** Stops the execution (in-progress actions finish); a second stop or a finished execution is an outcome. */
export async function stopExecution(
  client: CodePipelineClient,
  p: StopParams,
  abortSignal?: AbortSignal,
): Promise<StopOutcome> {
  try {
    return await stop(client, p, abortSignal);
  } catch (error) {
    throw explainAwsError(error, {
      operation: 'StopPipelineExecution',
      pipelineName: p.pipelineName,
      region: p.region,
    });
  }
}

/** For the post step: stop only an execution that is still running. */
export async function stopIfRunning(client: CodePipelineClient, p: StopParams): Promise<StopOutcome> {
  let status: string | undefined;
  try {
    const answer = await client.send(
      new GetPipelineExecutionCommand({ pipelineName: p.pipelineName, pipelineExecutionId: p.executionId }),
    );
    status = answer.pipelineExecution?.status;
  } catch (error) {
    throw explainAwsError(error, {
      operation: 'GetPipelineExecution',
      pipelineName: p.pipelineName,
      region: p.region,
    });
  }
  if (status === 'Stopping') return 'already-stopping';
  if (status !== 'InProgress') return 'already-finished';
  return stopExecution(client, p);
}
