import { PipewardenError, errorMessage } from '../../findings/errors.js';
import {
  attempts,
  errorCode,
  isAccessDenied,
  isCredentialError,
  isRetryable,
  isThrottling,
} from '../../pipeline/aws-errors.js';

export const POLICY_FILE = 'docs/iam/action-policy.json';

export interface ErrorContext {
  /** The CodePipeline operation that failed, e.g. StartPipelineExecution. */
  operation: string;
  pipelineName: string;
  region?: string;
  commitSha?: string;
  sourceActionName?: string;
}

/**
 * Turns an SDK error into one line that says what went wrong and what to change (docs/architecture.md, "Conventions"):
 * the IAM action that is missing, the input at fault, the credentials step to add.
 */
export function explainAwsError(error: unknown, ctx: ErrorContext): PipewardenError {
  if (error instanceof PipewardenError) return error;
  const code = errorCode(error);
  const name = code === 'Error' ? '' : code;
  const message = errorMessage(error).replace(/\s+/g, ' ').trim();
  const pipeline = `"${ctx.pipelineName}"`;
  const region = ctx.region ? ` in ${ctx.region}` : '';
  const fail = (text: string, exitCode = 3) => new PipewardenError(text, { exitCode, cause: error });

  if (isAccessDenied(error)) {
    const denied =
      /perform:?\s+([a-z0-9-]+:[A-Za-z0-9]+)/i.exec(message)?.[1] ?? `codepipeline:${ctx.operation}`;
    if (/explicit deny/i.test(message))
      return fail(
        `input pipeline-name: an explicit deny refuses ${denied} on pipeline ${pipeline}${region}: the action's role may drive only the feature pipeline (${POLICY_FILE} denies the main pipeline, which merges start); set pipeline-name to the feature pipeline`,
        2,
      );
    return fail(
      `access denied: the AWS role may not call ${denied} on pipeline ${pipeline}${region}; grant it the actions in ${POLICY_FILE} (the role that aws-actions/configure-aws-credentials assumes)`,
    );
  }
  if (name === 'PipelineNotFoundException')
    return fail(
      `input pipeline-name: pipeline ${pipeline} not found${region}; check the name and the aws-region/account of aws-actions/configure-aws-credentials`,
      2,
    );
  if (name === 'PipelineExecutionNotFoundException')
    return fail(`${ctx.operation}: the execution of pipeline ${pipeline} was not found: ${message}`);
  if (name === 'ValidationException' || name === 'InvalidParameterException') {
    if (/revision|commit|source ?action/i.test(message) && ctx.commitSha)
      return fail(
        `input commit-sha: CodePipeline rejected commit ${ctx.commitSha} for source action "${ctx.sourceActionName ?? '?'}": ${message}; push the commit to the repository that source action reads, or set commit-sha`,
        2,
      );
    if (/variable/i.test(message))
      return fail(
        `input variables: CodePipeline rejected the variables of pipeline ${pipeline}: ${message}`,
        2,
      );
    return fail(`CodePipeline rejected ${ctx.operation} on pipeline ${pipeline}: ${message}`, 2);
  }
  if (name === 'ConcurrentPipelineExecutionsLimitExceededException')
    return fail(
      `pipeline ${pipeline} has reached its limit of queued or parallel executions: ${message}; wait for some to finish`,
    );
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return fail(
      'no AWS credentials: add aws-actions/configure-aws-credentials (role-to-assume, with id-token: write) before this step; see docs/action.md',
      2,
    );
  if (isCredentialError(error) || /security token .* (expired|invalid)/i.test(message))
    return fail(
      `the AWS credentials were rejected (${name || 'invalid token'}): ${message}; if the pipeline runs longer than the role session, raise role-duration-seconds of aws-actions/configure-aws-credentials and the role's MaxSessionDuration`,
    );
  if (/region is missing/i.test(message))
    return fail('no AWS region: set aws-region in aws-actions/configure-aws-credentials (or AWS_REGION)', 2);
  if (isThrottling(error))
    return fail(
      `CodePipeline kept throttling ${ctx.operation} after ${attempts(error) ?? 'several'} attempts: ${message}`,
    );
  // A socket error (ECONNRESET…) or the SDK's TimeoutError: nothing reached the service.
  if (isRetryable(error) && /^(E[A-Z]+|UND_ERR_\w+|TimeoutError)$/.test(name))
    return fail(`cannot reach CodePipeline for ${ctx.operation} (${name}): ${message}`);
  return fail(`${ctx.operation} on pipeline ${pipeline} failed: ${name ? `${name}: ` : ''}${message}`);
}
