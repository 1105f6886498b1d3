import { z } from 'zod';
import { describeIssues } from '../findings/describe-zod-issues.js';
import {
  PIPELINE_EVENT_SOURCE,
  PIPELINE_EVENT_TYPES,
  type PipelineEventKind,
} from '../pipeline/contracts.js';

/**
 * The bot accepts every CodePipeline detail type. The CDK rules send action events only for a manual
 * approval's start; a rule deployed before may send others, and the bot passes over them (`quietEvent`).
 */
const KIND_OF = Object.fromEntries(
  Object.entries(PIPELINE_EVENT_TYPES).map(([kind, type]) => [type, kind as PipelineEventKind]),
);
const DETAIL_TYPES = Object.values(PIPELINE_EVENT_TYPES) as [string, ...string[]];

const schema = z.object({
  source: z.literal(PIPELINE_EVENT_SOURCE),
  'detail-type': z.enum(DETAIL_TYPES),
  id: z.string().optional(),
  detail: z
    .object({
      pipeline: z.string().min(1),
      'execution-id': z.string().min(1),
      state: z.string().min(1),
      stage: z.string().optional(),
      action: z.string().optional(),
      // An action event's action type; its category tells a manual approval (`Approval`) from the rest.
      type: z.object({ category: z.string().optional() }).loose().optional(),
    })
    .loose(),
});

export interface PipelineEvent {
  id?: string;
  kind: PipelineEventKind;
  pipeline: string;
  executionId: string;
  state: string;
  stage?: string;
  action?: string;
  /** An action event's category (`Approval`, `Build`, …). */
  category?: string;
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
  return {
    ...(e.id ? { id: e.id } : {}),
    kind: KIND_OF[e['detail-type']]!,
    pipeline: e.detail.pipeline,
    executionId: e.detail['execution-id'],
    state: e.detail.state,
    ...(e.detail.stage ? { stage: e.detail.stage } : {}),
    ...(e.detail.action ? { action: e.detail.action } : {}),
    ...(e.detail.type?.category ? { category: e.detail.type.category } : {}),
  };
}
