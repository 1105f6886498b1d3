import {
  BatchImportFindingsCommand,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { PipewardenError } from '../errors.js';
import { findingBytes, MAX_FINDING_BYTES } from '../render/render-asff.js';
import { awsFailure, errorCode, isRetryable, isThrottling } from './aws-errors.js';
import { backoffDelay, systemClock, TokenBucket, type Clock } from './rate-limiter.js';

/** Security Hub's BatchImportFindings limits (DESIGN.md). */
export const SECURITY_HUB_LIMITS = {
  findingsPerBatch: 100,
  /** The request limit is 6 MB; stay under it with room for the envelope. */
  bytesPerBatch: 6 * 1024 * 1024 - 4096,
  requestsPerSecond: 10,
};

export interface PublishSecurityHubOptions {
  clock?: Clock;
  random?: () => number;
  /** Requests a second (default 10) and how many may be saved up (default 10). */
  ratePerSecond?: number;
  burst?: number;
  /** Requests in flight at once: slow responses should not slow the rate down. */
  concurrency?: number;
  /** Tries per finding before it is reported as not imported. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Region, for messages. */
  region?: string;
  log?: (line: string) => void;
}

export interface FailedImport {
  Id: string;
  ErrorCode: string;
  ErrorMessage: string;
}

export interface PublishSecurityHubResult {
  /** Findings Security Hub accepted (each Id once). */
  imported: number;
  failed: FailedImport[];
  requests: number;
  /** Requests that were throttled or failed with a 5xx and were tried again. */
  retriedRequests: number;
  /** Findings that came back in FailedFindings with a retryable code and were sent again. */
  retriedFindings: number;
  elapsedMs: number;
}

/** Groups findings into requests of ≤ 100 findings and ≤ 6 MB. */
export function batchFindings(
  findings: AwsSecurityFinding[],
  maxCount = SECURITY_HUB_LIMITS.findingsPerBatch,
  maxBytes = SECURITY_HUB_LIMITS.bytesPerBatch,
): AwsSecurityFinding[][] {
  const batches: AwsSecurityFinding[][] = [];
  let current: AwsSecurityFinding[] = [];
  let bytes = 0;
  for (const f of findings) {
    const size = findingBytes(f) + 1; // the comma between findings
    if (size > MAX_FINDING_BYTES + 1)
      throw new PipewardenError(
        `finding ${f.Id} is ${size} bytes, above Security Hub's 240 KB; trim it first`,
      );
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

const RETRYABLE_FAILURE = /Throttl|LimitExceeded|TooManyRequests|Internal|Unavailable|Timeout|Busy|TryAgain/i;

interface Job {
  findings: AwsSecurityFinding[];
  attempt: number;
}

/**
 * Imports findings into Security Hub, each Id exactly once: batches within the limits, a token bucket
 * for the 10 requests a second, exponential back-off with jitter on throttling and 5xx, and the
 * retryable part of a partly failed batch (HTTP 200, FailedCount > 0) sent again. What still fails is
 * returned, not thrown; credentials and permission errors stop everything at once.
 * The client should not retry by itself (maxAttempts: 1), or its retries would bypass the rate limit.
 */
export async function publishToSecurityHub(
  client: SecurityHubClient,
  findings: AwsSecurityFinding[],
  options: PublishSecurityHubOptions = {},
): Promise<PublishSecurityHubResult> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.baseDelayMs ?? 200;
  const maxDelay = options.maxDelayMs ?? 20_000;
  const bucket = new TokenBucket(
    options.ratePerSecond ?? SECURITY_HUB_LIMITS.requestsPerSecond,
    options.burst ?? SECURITY_HUB_LIMITS.requestsPerSecond,
    clock,
  );
  const started = clock.now();
  // The same Id twice would be two writes of one finding: the last one wins, as it would in Security Hub.
  const unique = [...new Map(findings.map((f) => [f.Id, f])).values()];
  const queue: Job[] = batchFindings(unique).map((b) => ({ findings: b, attempt: 0 }));
  const imported = new Set<string>();
  const failed: FailedImport[] = [];
  const result = { requests: 0, retriedRequests: 0, retriedFindings: 0 };
  let fatal: PipewardenError | undefined;
  let pending = 0; // jobs taken but not finished: one of them may still put findings back (a retry)
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const enqueue = (job: Job) => {
    queue.push(job);
    wake();
  };
  const what = `Security Hub BatchImportFindings${options.region ? ` in ${options.region}` : ''}`;

  const giveUp = (job: Job, code: string, message: string) => {
    for (const f of job.findings) failed.push({ Id: f.Id!, ErrorCode: code, ErrorMessage: message });
  };

  const runJob = async (job: Job): Promise<void> => {
    if (job.attempt > 0) await clock.sleep(backoffDelay(job.attempt, baseDelay, maxDelay, random));
    if (fatal) return;
    await bucket.take();
    if (fatal) return;
    result.requests++;
    let response;
    try {
      response = await client.send(new BatchImportFindingsCommand({ Findings: job.findings }));
    } catch (error) {
      if (!isRetryable(error)) {
        fatal ??= awsFailure(what, error, 'securityhub:BatchImportFindings');
        return;
      }
      if (job.attempt + 1 >= maxAttempts) {
        giveUp(
          job,
          errorCode(error),
          `still failing after ${maxAttempts} attempts: ${String((error as Error).message)}`,
        );
        return;
      }
      result.retriedRequests++;
      options.log?.(
        `pipewarden: Security Hub ${isThrottling(error) ? 'throttled' : `failed (${errorCode(error)})`}; retrying ${job.findings.length} finding(s)`,
      );
      enqueue({ findings: job.findings, attempt: job.attempt + 1 });
      return;
    }
    const failures = new Map((response.FailedFindings ?? []).map((f) => [f.Id ?? '', f]));
    const again: AwsSecurityFinding[] = [];
    for (const f of job.findings) {
      const failure = failures.get(f.Id!);
      if (!failure) {
        imported.add(f.Id!);
        continue;
      }
      const code = failure.ErrorCode ?? 'Unknown';
      if (RETRYABLE_FAILURE.test(code) && job.attempt + 1 < maxAttempts) again.push(f);
      else failed.push({ Id: f.Id!, ErrorCode: code, ErrorMessage: failure.ErrorMessage ?? '' });
    }
    if (again.length) {
      result.retriedFindings += again.length;
      enqueue({ findings: again, attempt: job.attempt + 1 });
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (fatal) return;
      const job = queue.shift();
      if (!job) {
        if (pending === 0) return;
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      pending++;
      try {
        await runJob(job);
      } finally {
        pending--;
        wake();
      }
    }
  };

  const workers = Math.max(1, options.concurrency ?? 3);
  await Promise.all(Array.from({ length: workers }, () => worker()));
  if (fatal) {
    const done = imported.size ? ` (${imported.size} finding(s) were imported before it)` : '';
    throw new PipewardenError(`${fatal.message}${done}`, { exitCode: fatal.exitCode, cause: fatal.cause });
  }
  return { imported: imported.size, failed, ...result, elapsedMs: clock.now() - started };
}
