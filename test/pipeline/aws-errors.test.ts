import { describe, expect, it } from '@jest/globals';
import {
  ConcurrentModificationException,
  InvalidNextTokenException,
  PipelineNotFoundException,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { LimitExceededException } from '@aws-sdk/client-codestar-connections';
import { explainAwsError } from '../../action/lib/explain-aws-error.js';
import { awsFailure } from '../../findings/publish/aws-errors.js';
import { classifyAwsError, isRetryable, isThrottling } from '../../pipeline/aws-errors.js';

/** An error as the SDK deserialises it: name, message, HTTP status, attempts. */
const sdkError = (name: string, message: string, status = 400, extra: object = {}) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, attempts: 3 }, ...extra });
const meta = { httpStatusCode: 400, attempts: 1 };

describe('classifyAwsError: one classification for the CLI, the bot and the action', () => {
  it.each([
    // Throttling codes the action's own list lacked (it knew 4): they come from the SDK's classification.
    ['ThrottlingException', 400, 'throttling'],
    ['SlowDown', 503, 'throttling'],
    ['RequestThrottledException', 400, 'throttling'],
    ['ProvisionedThroughputExceededException', 400, 'throttling'],
    ['BandwidthLimitExceeded', 400, 'throttling'],
    ['AnythingAt429', 429, 'throttling'],
    ['InternalFailure', 500, 'transient'],
    ['ServiceUnavailableException', 503, 'transient'],
    ['RequestTimeoutException', 400, 'transient'],
    ['AccessDeniedException', 400, 'access-denied'],
    ['ExpiredTokenException', 400, 'credentials'],
    ['PipelineNotFoundException', 400, 'not-found'],
    ['NoSuchKey', 404, 'not-found'],
    ['ValidationException', 400, 'other'],
  ])('%s (HTTP %d) is %s', (name, status, kind) => {
    expect(classifyAwsError(sdkError(name, 'x', status))).toBe(kind);
  });

  it('follows the service model: an exception class with the @retryable throttling trait is throttling', () => {
    // The SDK's list counts LimitExceededException as throttling (it is, for most services): so do we.
    const limit = new LimitExceededException({ message: 'too many requests', $metadata: meta });
    expect(classifyAwsError(limit)).toBe('throttling');
    const throttled = Object.assign(sdkError('SomeNewThrottle', 'slow down'), {
      $retryable: { throttling: true },
    });
    expect(isThrottling(throttled)).toBe(true);
    expect(isRetryable(new ConcurrentModificationException({ message: 'x', $metadata: meta }))).toBe(false);
    expect(isRetryable(new InvalidNextTokenException({ message: 'x', $metadata: meta }))).toBe(false);
  });

  it('socket errors are transient; credentials and denials never are, even at HTTP 5xx', () => {
    for (const code of [
      'ECONNRESET',
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EPIPE',
      'ETIMEDOUT',
      'ECONNABORTED',
    ])
      expect(classifyAwsError(Object.assign(new Error('socket'), { code }))).toBe('transient');
    expect(isRetryable(sdkError('AccessDeniedException', 'no', 500))).toBe(false);
    expect(isRetryable(sdkError('ExpiredToken', 'no', 500))).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
    expect(isRetryable('a string')).toBe(false);
  });

  it('the action and the CLI word the same classification', () => {
    const slow = sdkError('SlowDown', 'Please reduce your request rate', 503);
    const ctx = { operation: 'GetPipelineExecution', pipelineName: 'shop-feature' };
    expect(explainAwsError(slow, ctx).message).toBe(
      'pipewarden: CodePipeline kept throttling GetPipelineExecution after 3 attempts: Please reduce your request rate',
    );
    const denied = sdkError(
      'Forbidden',
      'User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: s3:PutObject on resource: b/k',
      403,
    );
    expect(awsFailure('S3 PutObject', denied, 's3:PutObject').message).toContain('access denied');
    expect(
      explainAwsError(new PipelineNotFoundException({ message: 'x', $metadata: meta }), ctx).exitCode,
    ).toBe(2);
    expect(explainAwsError(new ValidationException({ message: 'bad', $metadata: meta }), ctx).exitCode).toBe(
      2,
    );
  });
});
