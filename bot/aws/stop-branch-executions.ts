import {
  GetPipelineExecutionCommand,
  paginateListActionExecutions,
  paginateListPipelineExecutions,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../pipeline/contracts.js';
import { stopExecution } from '../../pipeline/stop-execution.js';

/** How far back to look for running executions: in-flight ones are among the most recent. */
const MAX_EXECUTIONS_SCANNED = 500;

export interface StoppedExecution {
  pipeline: string;
  executionId: string;
}

/**
 * The branch an execution builds: HEAD_BRANCH when the bot or the action started it at a commit, else the
 * BranchName the source action reports (V2 triggers).
 */
export async function executionBranch(
  codepipeline: CodePipelineClient,
  pipeline: string,
  executionId: string,
): Promise<string | undefined> {
  const { pipelineExecution } = await codepipeline.send(
    new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
  );
  const head = pipelineExecution?.variables?.find((v) => v.name === PIPELINE_VARIABLES.headBranch);
  if (head?.resolvedValue && head.resolvedValue !== VARIABLE_NOT_SET) return head.resolvedValue;
  for await (const page of paginateListActionExecutions(
    { client: codepipeline, pageSize: 100 },
    { pipelineName: pipeline, filter: { pipelineExecutionId: executionId } },
  ))
    for (const d of page.actionExecutionDetails ?? [])
      if (d.input?.actionTypeId?.category === 'Source' && d.output?.outputVariables?.BranchName)
        return d.output.outputVariables.BranchName;
  return undefined;
}

/**
 * Stops the in-progress executions of a branch in each pipeline (the branch is gone: finishing its build
 * would only cost action-minutes and push images nobody will use). Stopping, not abandoning: running
 * actions finish cleanly. An execution that is no longer stoppable has ended by itself.
 */
export async function stopBranchExecutions(
  codepipeline: CodePipelineClient,
  pipelines: string[],
  branch: string,
  reason: string,
): Promise<StoppedExecution[]> {
  const stopped: StoppedExecution[] = [];
  for (const pipeline of pipelines) {
    let scanned = 0;
    for await (const page of paginateListPipelineExecutions(
      { client: codepipeline, pageSize: 100 },
      { pipelineName: pipeline },
    )) {
      for (const e of page.pipelineExecutionSummaries ?? []) {
        if (e.status !== 'InProgress' || !e.pipelineExecutionId) continue;
        if ((await executionBranch(codepipeline, pipeline, e.pipelineExecutionId)) !== branch) continue;
        const outcome = await stopExecution(codepipeline, {
          pipelineName: pipeline,
          executionId: e.pipelineExecutionId,
          reason,
        });
        if (outcome === 'stopped') stopped.push({ pipeline, executionId: e.pipelineExecutionId });
      }
      scanned += page.pipelineExecutionSummaries?.length ?? 0;
      if (scanned >= MAX_EXECUTIONS_SCANNED) break;
    }
  }
  return stopped;
}
