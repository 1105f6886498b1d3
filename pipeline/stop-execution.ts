import { StopPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';

/** StopPipelineExecution's reason holds at most 200 characters (API reference). */
export const MAX_STOP_REASON = 200;

export type StopOutcome = 'stopped' | 'already-stopping' | 'already-finished' | 'not-found';

/**
 * Stops the execution, letting in-progress actions finish (abandon: false keeps builds and deployments
 * consistent). A second stop (DuplicatedStopRequestException), an execution that has ended
 * (PipelineExecutionNotStoppableException) or one that does not exist (PipelineExecutionNotFoundException: nothing
 * to stop) is an outcome, not an error; other SDK errors are thrown as they are.
 */
export async function stopExecution(
  client: CodePipelineClient,
  p: { pipelineName: string; executionId: string; reason: string },
  abortSignal?: AbortSignal,
): Promise<StopOutcome> {
  try {
    await client.send(
      new StopPipelineExecutionCommand({
        pipelineName: p.pipelineName,
        pipelineExecutionId: p.executionId,
        abandon: false,
        reason: p.reason.slice(0, MAX_STOP_REASON),
      }),
      abortSignal ? { abortSignal } : {},
    );
    return 'stopped';
  } catch (error) {
    const name = (error as { name?: string } | undefined)?.name;
    if (name === 'DuplicatedStopRequestException') return 'already-stopping';
    if (name === 'PipelineExecutionNotStoppableException') return 'already-finished';
    if (name === 'PipelineExecutionNotFoundException') return 'not-found';
    throw error;
  }
}
