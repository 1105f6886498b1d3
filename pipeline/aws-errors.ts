import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/*
 * How an AWS call failed, in one place for the CLI, the bot and the action. Throttling and transient
 * failures are the SDK's own classification (@smithy/core/retry: its codes, the HTTP status and the
 * service model's @retryable trait), so a code AWS adds reaches every part with the SDK upgrade; only what
 * the SDK does not classify is listed here.
 */

/** What the SDK puts on a service error: its name (the error code), the HTTP status, the model's traits. */
interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: { throttling?: boolean };
}

/** The SDK's own error type, as its classification functions take it. */
type SdkError = Parameters<typeof isThrottlingError>[0];

const shape = (error: unknown): AwsErrorShape =>
  typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};

/** The error code: the SDK's error name, or a Node network code (ECONNRESET…) when the name is just "Error". */
export function errorCode(error: unknown): string {
  const { name, code } = shape(error);
  if (name && name !== 'Error') return name;
  return code ?? name ?? 'Error';
}
export const httpStatus = (error: unknown): number | undefined => shape(error).$metadata?.httpStatusCode;
/** How many attempts the SDK made before giving up (its retry strategy's count). */
export const attempts = (error: unknown): number | undefined => shape(error).$metadata?.attempts;

// Credentials the SDK could not find or that AWS rejected: another try with the same ones fails the same way.
const CREDENTIALS =
  /^(ExpiredToken(Exception)?|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|SignatureDoesNotMatch|IncompleteSignature(Exception)?|CredentialsProviderError|InvalidAccessKeyId|MissingAuthenticationToken)$/;
const DENIED = /^(AccessDenied(Exception)?|InvalidAccessException|UnauthorizedOperation|AuthorizationError)$/;
// Socket errors the SDK's list (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
// ENOTFOUND, EAI_AGAIN) lacks: undici's and an aborted connection.
const MORE_NETWORK = /^(ECONNABORTED|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/;
// Service-side names of errors some services model without the @retryable trait or a 5xx status.
const SERVICE_SIDE =
  /Timeout|TimedOut|ServiceUnavailable|InternalServerError|InternalFailure|InternalException/i;

export const isCredentialError = (error: unknown): boolean => CREDENTIALS.test(errorCode(error));
export const isAccessDenied = (error: unknown): boolean =>
  DENIED.test(errorCode(error)) || /not authorized to perform/i.test(shape(error).message ?? '');

/** A resource that does not exist: a `…NotFound(Exception)`, `NoSuch…` code, or HTTP 404. */
export const isNotFound = (error: unknown): boolean =>
  /NotFound(Exception)?$|^NoSuch/.test(errorCode(error)) || httpStatus(error) === 404;

export const isThrottling = (error: unknown): boolean => isThrottlingError(shape(error) as SdkError);

/** Worth another try after a pause: throttling, 5xx, a dropped connection, a timeout. */
export function isRetryable(error: unknown): boolean {
  const e = shape(error);
  const code = errorCode(error);
  if (CREDENTIALS.test(code) || DENIED.test(code)) return false;
  const sdk = e as SdkError;
  return (
    isThrottlingError(sdk) ||
    isTransientError(sdk) ||
    isServerError(sdk) ||
    MORE_NETWORK.test(code) ||
    SERVICE_SIDE.test(code) ||
    e.$fault === 'server'
  );
}

export type AwsErrorKind =
  'throttling' | 'transient' | 'credentials' | 'access-denied' | 'not-found' | 'other';

/** The one word each part decides on: wait and retry, fix the credentials or the role, fix the name. */
export function classifyAwsError(error: unknown): AwsErrorKind {
  if (isCredentialError(error)) return 'credentials';
  if (isAccessDenied(error)) return 'access-denied';
  if (isThrottling(error)) return 'throttling';
  if (isRetryable(error)) return 'transient';
  if (isNotFound(error)) return 'not-found';
  return 'other';
}

/**
 * Per-finding codes in a BatchImportFindings answer's FailedFindings that clear up on their own.
 * ConcurrentUpdateError is Security Hub's "another request attempted to update the finding while this
 * request was being processed". The SDK's classification only sees whole-request errors, not these codes.
 */
const TRANSIENT_FINDING_FAILURE =
  /^(InternalFailure|InternalError|InternalException|InternalServerError|ServiceUnavailable(Exception)?|ConcurrentUpdateError|ConcurrentModification(Exception)?|LimitExceeded)$/;

export const isTransientFindingFailure = (code: string): boolean =>
  TRANSIENT_FINDING_FAILURE.test(code) || isThrottlingError({ name: code } as SdkError);
