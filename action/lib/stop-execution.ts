import {
  GetPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { explainAwsError } from './explain-aws-error.js';
import { runUrl } from './console-url.js';
import type { GitHubRun } from './types.js';

export type StopOutcome = 'stopped' | 'already-stopping' | 'already-finished';

export interface StopParams {
  pipelineName: string;
  executionId: string;
  reason: string;
  region?: string;
}

/** StopPipelineExecution's reason holds at most 200 characters. */
export function stopReason(why: string, run: GitHubRun): string {
  return `${why} ${runUrl(run)}`.slice(0, 200);
}

/**
 * Stops the execution, letting in-progress actions finish (abandon: false keeps builds and deployments
 * consistent). A second stop or a finished execution is not an error.
 */
export async function stopExecution(
  client: CodePipelineClient,
  p: StopParams,
  abortSignal?: AbortSignal,
): Promise<StopOutcome> {
  try {
    await client.send(
      new StopPipelineExecutionCommand({
        pipelineName: p.pipelineName,
        pipelineExecutionId: p.executionId,
        abandon: false,
        reason: p.reason,
      }),
      { abortSignal },
    );
    return 'stopped';
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'DuplicatedStopRequestException') return 'already-stopping';
    if (name === 'PipelineExecutionNotStoppableException') return 'already-finished';
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
