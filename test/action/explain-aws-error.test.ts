import { describe, expect, it } from '@jest/globals';
import { PipelineNotFoundException, ValidationException } from '@aws-sdk/client-codepipeline';
import { explainAwsError } from '../../action/lib/explain-aws-error.js';
import { PipewardenError } from '../../findings/errors.js';

const ctx = { operation: 'StartPipelineExecution', pipelineName: 'shop-feature', region: 'eu-west-1' };
const sdkError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, attempts: 6 } });

describe('explainAwsError', () => {
  it('names the IAM action from the AccessDenied message and points to the policy file', () => {
    const e = sdkError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/gh-shop/GitHubActions is not authorized to perform: codepipeline:StartPipelineExecution on resource: arn:aws:codepipeline:eu-west-1:123456789012:shop-feature because no identity-based policy allows the codepipeline:StartPipelineExecution action',
    );
    expect(explainAwsError(e, ctx).message).toBe(
      'pipewarden: access denied: the AWS role may not call codepipeline:StartPipelineExecution on pipeline "shop-feature" in eu-west-1; grant it the actions in docs/iam/action-policy.json (the role that aws-actions/configure-aws-credentials assumes)',
    );
  });

  it('says an explicit deny means the wrong pipeline: the role may drive only the feature pipeline', () => {
    // The message IAM returns when docs/iam/action-policy.json's Deny on the main pipeline applies.
    const e = sdkError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/gh-shop/GitHubActions is not authorized to perform: codepipeline:StartPipelineExecution on resource: arn:aws:codepipeline:eu-west-1:123456789012:shop-main with an explicit deny in an identity-based policy',
    );
    const error = explainAwsError(e, { ...ctx, pipelineName: 'shop-main' });
    expect(error.message).toBe(
      'pipewarden: input pipeline-name: an explicit deny refuses codepipeline:StartPipelineExecution on pipeline "shop-main" in eu-west-1: the action\'s role may drive only the feature pipeline (docs/iam/action-policy.json denies the main pipeline, which merges start); set pipeline-name to the feature pipeline',
    );
    expect(error.exitCode).toBe(2);
  });

  it('falls back to the operation when the message does not name the action', () => {
    const e = sdkError('AccessDeniedException', 'Access denied');
    expect(explainAwsError(e, { ...ctx, operation: 'ListActionExecutions' }).message).toContain(
      'may not call codepipeline:ListActionExecutions',
    );
  });

  it('maps the modeled errors to the input at fault', () => {
    const notFound = new PipelineNotFoundException({
      message: "does not have a pipeline with name 'x'",
      $metadata: {},
    });
    expect(explainAwsError(notFound, ctx).message).toBe(
      'pipewarden: input pipeline-name: pipeline "shop-feature" not found in eu-west-1; check the name and the aws-region/account of aws-actions/configure-aws-credentials',
    );
    const commit = new ValidationException({
      message: 'The source revision abc could not be found',
      $metadata: {},
    });
    expect(
      explainAwsError(commit, { ...ctx, commitSha: 'a'.repeat(40), sourceActionName: 'Source' }).message,
    ).toMatch(
      /^pipewarden: input commit-sha: CodePipeline rejected commit a{40} for source action "Source": The source revision abc could not be found; push the commit/,
    );
    const variable = new ValidationException({ message: 'Variable FOO is not declared', $metadata: {} });
    expect(explainAwsError(variable, ctx).message).toMatch(
      /^pipewarden: input variables: CodePipeline rejected/,
    );
  });

  it('explains missing, expired and rejected credentials and a missing region', () => {
    expect(
      explainAwsError(
        Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        }),
        ctx,
      ).message,
    ).toMatch(/^pipewarden: no AWS credentials: add aws-actions\/configure-aws-credentials/);
    expect(
      explainAwsError(
        sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
        ctx,
      ).message,
    ).toMatch(/credentials were rejected \(ExpiredTokenException\).*role-duration-seconds/);
    expect(explainAwsError(new Error('Region is missing'), ctx).message).toBe(
      'pipewarden: no AWS region: set aws-region in aws-actions/configure-aws-credentials (or AWS_REGION)',
    );
  });

  it('keeps the message one line and PipewardenErrors as they are', () => {
    const e = explainAwsError(sdkError('InternalFailure', 'line one\nline two', 500), ctx);
    expect(e.message).toBe(
      'pipewarden: StartPipelineExecution on pipeline "shop-feature" failed: InternalFailure: line one',
    );
    const own = new PipewardenError('mine');
    expect(explainAwsError(own, ctx)).toBe(own);
  });
});
