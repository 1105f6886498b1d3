import {
  paginateListActionExecutions,
  type ActionExecutionDetail,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';

/** Every action execution of one pipeline execution (retries included), through the SDK's paginator. */
export async function listActionExecutions(
  client: CodePipelineClient,
  pipelineName: string,
  executionId: string,
  abortSignal?: AbortSignal,
): Promise<ActionExecutionDetail[]> {
  const all: ActionExecutionDetail[] = [];
  for await (const page of paginateListActionExecutions(
    { client, pageSize: 100 },
    { pipelineName, filter: { pipelineExecutionId: executionId } },
    ...(abortSignal ? [{ abortSignal }] : []),
  ))
    all.push(...(page.actionExecutionDetails ?? []));
  return all;
}
