import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../pipeline/contracts.js';
import { CLIENT_REQUEST_TOKEN, requestToken, startAtCommit } from '../../pipeline/start-at-commit.js';

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
  // A delivery id is a GUID, a valid token as it is; anything else is hashed into the token's alphabet.
  const raw = request.idempotencyToken;
  return startAtCommit(codepipeline, {
    pipelineName: request.pipeline,
    sourceAction: request.sourceAction,
    commitSha: request.sha,
    variables,
    clientRequestToken: CLIENT_REQUEST_TOKEN.test(raw) ? raw : requestToken(raw),
  });
}
