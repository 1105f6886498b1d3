import { createHash } from 'node:crypto';
import { StartPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';

/** StartPipelineExecution's clientRequestToken: 1–128 of [a-zA-Z0-9-] (API reference). */
export const CLIENT_REQUEST_TOKEN = /^[a-zA-Z0-9-]{1,128}$/;

/**
 * An idempotency token from parts that identify one start (a webhook delivery, a workflow run attempt and
 * the pipeline, commit and variables): the same parts give the same execution back instead of a second one.
 * Hashed, because the parts hold characters the token's alphabet does not.
 */
export function requestToken(parts: unknown): string {
  return `pipewarden-${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

export interface StartAtCommit {
  pipelineName: string;
  /** The source action whose revision is overridden (`sourceRevisions` COMMIT_ID). */
  sourceAction: string;
  commitSha: string;
  variables?: { name: string; value: string }[];
  clientRequestToken: string;
}

/**
 * Starts the pipeline at exactly this commit; returns the execution id. SDK errors are thrown as they are:
 * each caller explains them in its own terms (the action names its inputs, the bot its check).
 */
export async function startAtCommit(
  client: CodePipelineClient,
  p: StartAtCommit,
  abortSignal?: AbortSignal,
): Promise<string> {
  if (!CLIENT_REQUEST_TOKEN.test(p.clientRequestToken))
    throw new Error(
      `pipewarden: clientRequestToken "${p.clientRequestToken}" is not 1–128 of [a-zA-Z0-9-]; make it with requestToken()`,
    );
  const answer = await client.send(
    new StartPipelineExecutionCommand({
      name: p.pipelineName,
      clientRequestToken: p.clientRequestToken,
      sourceRevisions: [
        { actionName: p.sourceAction, revisionType: 'COMMIT_ID', revisionValue: p.commitSha },
      ],
      variables: p.variables?.length ? p.variables : undefined,
    }),
    abortSignal ? { abortSignal } : {},
  );
  if (!answer.pipelineExecutionId)
    throw new Error(`pipewarden: StartPipelineExecution of "${p.pipelineName}" returned no execution id`);
  return answer.pipelineExecutionId;
}
