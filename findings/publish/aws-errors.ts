import { errorCode, httpStatus, isAccessDenied, isCredentialError } from '../../pipeline/aws-errors.js';
import { errorMessage, PipewardenError } from '../errors.js';

// The classification lives once, in pipeline/ (shared with the bot and the action); re-exported for the
// engine's importers.
export {
  errorCode,
  httpStatus,
  isRetryable,
  isThrottling,
  isTransientFindingFailure,
} from '../../pipeline/aws-errors.js';

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
  if (isCredentialError(error))
    return new PipewardenError(
      `${what}: the AWS credentials were rejected (${code}: ${detail}); check the access key, the session token and the system clock`,
      { cause: error },
    );
  if (isAccessDenied(error))
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
