import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { listActionExecutions } from '../../pipeline/list-action-executions.js';
import { PipewardenError } from '../errors.js';
import { awsFailure } from '../publish/aws-errors.js';

/**
 * Which time orders a branch's baselines (branches/<b>/latest.json): `execution-start` is the start of the
 * CodePipeline execution that scanned the commit, asked of CodePipeline; `generated-at` is the gate's run
 * time (the document's generatedAt, or an explicit --commit-time). Only execution-start survives a retried
 * Gate of an older execution, so the main gate (buildspecs/gate.yml) uses it.
 */
export const BASELINE_ORDERS = ['execution-start', 'generated-at'] as const;
export type BaselineOrder = (typeof BASELINE_ORDERS)[number];

export function parseBaselineOrder(value: string | undefined, origin: string): BaselineOrder | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const order = BASELINE_ORDERS.find((o) => o === value.trim());
  if (!order)
    throw new PipewardenError(
      `${origin} "${value}": not a baseline order; use ${BASELINE_ORDERS.join(' or ')}`,
    );
  return order;
}

/**
 * When a pipeline execution started, as CodePipeline recorded it: the earliest start of its Source
 * action(s). The trigger starts a branch's executions in push order, and a retried stage keeps its
 * execution's Source run, so an older commit's Gate, run again later, still carries the older time. The
 * commit's own dates cannot serve: the source zip has no git metadata, a rebase merge keeps old author dates,
 * and both are written by whoever pushed. This time comes from the pipeline, out of the repository's reach.
 */
export async function executionStartTime(
  client: CodePipelineClient,
  pipeline: string,
  executionId: string,
): Promise<string> {
  let earliest: Date | undefined;
  try {
    for (const run of await listActionExecutions(client, pipeline, executionId)) {
      if (run.input?.actionTypeId?.category !== 'Source' || !run.startTime) continue;
      if (!earliest || run.startTime < earliest) earliest = run.startTime;
    }
  } catch (error) {
    throw awsFailure(
      `CodePipeline ListActionExecutions (pipeline ${pipeline}, execution ${executionId})`,
      error,
      'codepipeline:ListActionExecutions on the pipeline',
    );
  }
  if (!earliest)
    throw new PipewardenError(
      `pipeline ${pipeline} execution ${executionId}: CodePipeline lists no Source action run for it, so its start time is unknown; check --pipeline and --execution (PIPEWARDEN_PIPELINE, PIPEWARDEN_EXECUTION_ID)`,
      { exitCode: 3 },
    );
  return earliest.toISOString();
}
