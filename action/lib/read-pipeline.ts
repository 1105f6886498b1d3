import { GetPipelineCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PipewardenError } from '../../findings/errors.js';
import { explainAwsError } from './explain-aws-error.js';
import type { PipelineShape } from './types.js';

/** GetPipeline, reduced to what the action needs; V1 pipelines are refused (no source revisions, no variables). */
export async function readPipeline(
  client: CodePipelineClient,
  pipelineName: string,
  o: { region?: string; abortSignal?: AbortSignal } = {},
): Promise<PipelineShape> {
  let answer;
  try {
    answer = await client.send(new GetPipelineCommand({ name: pipelineName }), {
      abortSignal: o.abortSignal,
    });
  } catch (error) {
    throw explainAwsError(error, { operation: 'GetPipeline', pipelineName, region: o.region });
  }
  const p = answer.pipeline;
  if (!p)
    throw new PipewardenError(`GetPipeline returned no pipeline for "${pipelineName}"`, { exitCode: 3 });
  if (p.pipelineType === 'V1')
    throw new PipewardenError(
      `input pipeline-name: "${pipelineName}" is a V1 pipeline; starting it at a commit (sourceRevisions) and with variables needs a V2 pipeline: change its type to V2 (console: Edit, or pipelineType: V2 in CloudFormation/CDK)`,
    );
  return {
    name: p.name ?? pipelineName,
    version: p.version,
    pipelineType: p.pipelineType,
    executionMode: p.executionMode,
    stages: (p.stages ?? []).map((s) => ({
      name: s.name ?? '',
      actions: (s.actions ?? []).map((a) => ({
        name: a.name ?? '',
        category: a.actionTypeId?.category ?? '',
        provider: a.actionTypeId?.provider ?? '',
        runOrder: a.runOrder ?? 1,
        configuration: a.configuration ?? {},
      })),
    })),
    variables: (p.variables ?? []).map((v) => v.name ?? '').filter(Boolean),
  };
}
