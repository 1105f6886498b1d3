import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../pipeline/contracts.js';
import { requestToken, startAtCommit } from '../../pipeline/start-at-commit.js';

export interface StartRequest {
  pipeline: string;
  sourceAction: string;
  sha: string;
  pullRequest?: number;
  headBranch?: string;
  baseBranch?: string;
  /**
   * What makes the start idempotent: the webhook's X-GitHub-Delivery, so a redelivery does not start a second
   * run. Always hashed into CodePipeline's clientRequestToken (requestToken), whatever it looks like: one rule.
   */
  idempotencyToken: string;
}

/** Starts the pipeline at exactly this commit (`sourceRevisions` COMMIT_ID), with the pull request's variables. */
export async function startPipeline(
  codepipeline: CodePipelineClient,
  request: StartRequest,
): Promise<string> {
  // CodePipeline refuses an empty value: what does not apply is `none`.
  const variables = [
    {
      name: PIPELINE_VARIABLES.pullRequest,
      value: request.pullRequest ? String(request.pullRequest) : VARIABLE_NOT_SET,
    },
    { name: PIPELINE_VARIABLES.headBranch, value: request.headBranch || VARIABLE_NOT_SET },
    { name: PIPELINE_VARIABLES.baseBranch, value: request.baseBranch || VARIABLE_NOT_SET },
  ];
  return startAtCommit(codepipeline, {
    pipelineName: request.pipeline,
    sourceAction: request.sourceAction,
    commitSha: request.sha,
    variables,
    clientRequestToken: requestToken(request.idempotencyToken),
  });
}
