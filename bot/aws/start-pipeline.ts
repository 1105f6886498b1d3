import { StartPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';

/**
 * Pipeline variables the bot sets when it starts a run (the pipeline must declare them, default `none`):
 * the builds read the pull request and its branches from them, because a run started at a commit still
 * reports the source action's configured branch as BranchName.
 */
export const PIPELINE_VARIABLES = {
  pullRequest: 'PULL_REQUEST',
  headBranch: 'HEAD_BRANCH',
  baseBranch: 'BASE_BRANCH',
} as const;

export interface StartRequest {
  pipeline: string;
  sourceAction: string;
  sha: string;
  pullRequest?: number;
  headBranch?: string;
  baseBranch?: string;
  /**
   * CodePipeline's idempotency key: the same token starts one execution however often it is sent. The
   * webhook's X-GitHub-Delivery, so a redelivery does not start a second run.
   */
  idempotencyToken: string;
}

/** A delivery id is a GUID; anything else is hashed down to the token's alphabet. */
function token(raw: string): string {
  const clean = raw.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 128);
  return clean || 'pipewarden';
}

/** Starts the pipeline at exactly this commit (`sourceRevisions` COMMIT_ID), with the pull request's variables. */
export async function startPipeline(
  codepipeline: CodePipelineClient,
  request: StartRequest,
): Promise<string> {
  const variables = [
    {
      name: PIPELINE_VARIABLES.pullRequest,
      value: request.pullRequest ? String(request.pullRequest) : 'none',
    },
    // CodePipeline refuses an empty value.
    { name: PIPELINE_VARIABLES.headBranch, value: request.headBranch || 'none' },
    { name: PIPELINE_VARIABLES.baseBranch, value: request.baseBranch || 'none' },
  ];
  const result = await codepipeline.send(
    new StartPipelineExecutionCommand({
      name: request.pipeline,
      sourceRevisions: [
        { actionName: request.sourceAction, revisionType: 'COMMIT_ID', revisionValue: request.sha },
      ],
      variables,
      clientRequestToken: token(request.idempotencyToken),
    }),
  );
  if (!result.pipelineExecutionId)
    throw new Error(`StartPipelineExecution ${request.pipeline}: no execution id`);
  return result.pipelineExecutionId;
}
