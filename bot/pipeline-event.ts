import { z } from 'zod';
import { describeIssues } from '../findings/describe-zod-issues.js';

/**
 * The EventBridge detail types of CodePipeline the bot accepts. The CDK rule no longer sends action events;
 * a rule deployed before still may, and the bot passes over them (`quietEvent`).
 */
export const PIPELINE_EVENT_TYPES = [
  'CodePipeline Pipeline Execution State Change',
  'CodePipeline Stage Execution State Change',
  'CodePipeline Action Execution State Change',
] as const;

const schema = z.object({
  source: z.literal('aws.codepipeline'),
  'detail-type': z.enum(PIPELINE_EVENT_TYPES),
  id: z.string().optional(),
  detail: z
    .object({
      pipeline: z.string().min(1),
      'execution-id': z.string().min(1),
      state: z.string().min(1),
      stage: z.string().optional(),
      action: z.string().optional(),
    })
    .loose(),
});

export interface PipelineEvent {
  id?: string;
  kind: 'execution' | 'stage' | 'action';
  pipeline: string;
  executionId: string;
  state: string;
  stage?: string;
  action?: string;
}

/** Whether a Lambda event came from EventBridge (CodePipeline), as opposed to an HTTP request. */
export function looksLikeEventBridge(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'detail-type' in event && 'source' in event;
}

/** A CodePipeline state-change event, or a sentence saying why it is not one. */
export function parsePipelineEvent(event: unknown): PipelineEvent | string {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    return `not a CodePipeline state-change event: ${describeIssues(parsed.error.issues)}`;
  }
  const e = parsed.data;
  const type = e['detail-type'];
  return {
    ...(e.id ? { id: e.id } : {}),
    kind: type.includes('Action') ? 'action' : type.includes('Stage') ? 'stage' : 'execution',
    pipeline: e.detail.pipeline,
    executionId: e.detail['execution-id'],
    state: e.detail.state,
    ...(e.detail.stage ? { stage: e.detail.stage } : {}),
    ...(e.detail.action ? { action: e.detail.action } : {}),
  };
}
