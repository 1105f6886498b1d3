import { errorMessage, PipewardenError } from '../errors.js';

/** What the SDK puts on a service error: its name (the error code), the HTTP status, its own retry hint. */
interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const shape = (error: unknown): AwsErrorShape =>
  typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};

/** The error code: the SDK's error name, or a Node network code (ECONNRESET…) when the name is just "Error". */
export function errorCode(error: unknown): string {
  const { name, code } = shape(error);
  if (name && name !== 'Error') return name;
  return code ?? name ?? 'Error';
}
export const httpStatus = (error: unknown): number | undefined => shape(error).$metadata?.httpStatusCode;

const THROTTLING =
  /^(Throttling(Exception)?|ThrottledException|TooManyRequests(Exception)?|LimitExceededException|RequestLimitExceeded|SlowDown|ProvisionedThroughputExceededException|RequestThrottled(Exception)?)$/;
const TRANSIENT_NETWORK =
  /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ECONNABORTED|UND_ERR_SOCKET)$/;
const CREDENTIALS =
  /^(ExpiredToken(Exception)?|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|SignatureDoesNotMatch|IncompleteSignature(Exception)?|CredentialsProviderError|InvalidAccessKeyId|MissingAuthenticationToken)$/;
const DENIED = /^(AccessDenied(Exception)?|InvalidAccessException|UnauthorizedOperation|AuthorizationError)$/;

/** Worth another try after a pause: throttling, 5xx, a dropped connection, a timeout. */
export function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  if (CREDENTIALS.test(code) || DENIED.test(code)) return false;
  if (THROTTLING.test(code) || TRANSIENT_NETWORK.test(code)) return true;
  if (/Timeout|TimedOut|ServiceUnavailable|InternalServerError|InternalFailure|InternalException/i.test(code))
    return true;
  const status = httpStatus(error);
  return status === 429 || (status !== undefined && status >= 500) || shape(error).$retryable !== undefined;
}

export const isThrottling = (error: unknown): boolean =>
  THROTTLING.test(errorCode(error)) || httpStatus(error) === 429;

/**
 * Per-finding codes in a BatchImportFindings answer's FailedFindings that clear up on their own.
 * ConcurrentUpdateError is Security Hub's "another request attempted to update the finding while this
 * request was being processed": it happens whenever someone updates findings during an import. The SDK's
 * own classification (@smithy/service-error-classification) only sees whole-request errors, not these.
 */
const TRANSIENT_FINDING_FAILURE =
  /^(InternalFailure|InternalError|InternalException|InternalServerError|ServiceUnavailable(Exception)?|ConcurrentUpdateError|ConcurrentModification(Exception)?|LimitExceeded)$/;

export const isTransientFindingFailure = (code: string): boolean =>
  TRANSIENT_FINDING_FAILURE.test(code) || THROTTLING.test(code);

/**
 * One line a user can act on, for an AWS call that failed for good. `what` names the call and its target
 * (e.g. `Security Hub BatchImportFindings in eu-central-1`); credential and permission problems are input
 * errors (exit 2), the rest are service failures (exit 3).
 */
export function awsFailure(what: string, error: unknown, permission?: string): PipewardenError {
  if (error instanceof PipewardenError) return error;
  const code = errorCode(error);
  const detail = errorMessage(error).replace(/\s+/g, ' ').trim();
  if (/^ExpiredToken|^RequestExpired/.test(code))
    return new PipewardenError(
      `${what}: the AWS credentials have expired (${code}); refresh them (re-assume the role, or aws sso login) and run again`,
      { cause: error },
    );
  if (code === 'CredentialsProviderError')
    return new PipewardenError(
      `${what}: no AWS credentials found; run inside CodeBuild with a service role, or set AWS_PROFILE / AWS_ACCESS_KEY_ID`,
      { cause: error },
    );
  if (CREDENTIALS.test(code))
    return new PipewardenError(
      `${what}: the AWS credentials were rejected (${code}: ${detail}); check the access key, the session token and the system clock`,
      { cause: error },
    );
  if (DENIED.test(code))
    return new PipewardenError(
      `${what}: access denied (${code}: ${detail})${permission ? `; the role needs ${permission}` : ''}`,
      { cause: error },
    );
  if (/Region is missing/i.test(detail))
    return new PipewardenError(
      `${what}: the AWS region is missing; set AWS_REGION (CodeBuild sets it) or AWS_DEFAULT_REGION and run again`,
      { exitCode: 3, cause: error },
    );
  const status = httpStatus(error);
  // Every exit-3 line ends with what to do: a failure that survived the SDK's retries is worth one more run.
  return new PipewardenError(
    `${what} failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${detail}; check the network, the endpoint and the service's health, then run again`,
    { exitCode: 3, cause: error },
  );
}
