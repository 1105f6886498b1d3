import { setMaxListeners } from 'node:events';
import {
  BatchImportFindingsCommand,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { errorMessage, PipewardenError } from '../errors.js';
import { findingBytes, MAX_FINDING_BYTES } from '../render/render-asff.js';
import { awsFailure, errorCode, isRetryable, isThrottling, isTransientFindingFailure } from './aws-errors.js';
import { backoffDelay, systemClock, TokenBucket, type Clock } from './rate-limiter.js';

/** Security Hub's published BatchImportFindings quotas (docs/pipeline.md, "Figures"). */
export const SECURITY_HUB_LIMITS = {
  findingsPerBatch: 100,
  /** The request limit is 6 MB; stay under it with room for the envelope. */
  bytesPerBatch: 6 * 1024 * 1024 - 4096,
  /** 10 requests a second on average, at most 30 in any one second. */
  requestsPerSecond: 10,
  burstPerSecond: 30,
};

export interface PublishSecurityHubOptions {
  clock?: Clock;
  random?: () => number;
  /** Requests a second (default 10). */
  ratePerSecond?: number;
  /**
   * Requests that may be saved up while nothing is ready to send (default 20: with 10 a second on top,
   * never more than Security Hub's 30 in any one second).
   */
  burst?: number;
  /** Saved up at the start (default 0: the first t seconds never carry more than rate·t requests). */
  initialTokens?: number;
  /** Requests in flight at once: slow answers must not slow the rate down. */
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
  /** Requests that were throttled or failed with a 5xx and whose findings were tried again. */
  retriedRequests: number;
  /** Findings that came back in FailedFindings with a transient code and were sent again. */
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
    const size = sizeOf(f);
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

/** How long a short request may wait for findings coming back from a back-off. */
const LINGER_MS = 1000;

/** A finding on its way: its size (computed once), the tries spent on it, the times it alone failed. */
interface Pending {
  finding: AwsSecurityFinding;
  /** Its share of a request, measured when it is first put in one. */
  bytes?: number;
  tries: number;
  ownFailures: number;
  code?: string;
  message?: string;
}

/**
 * Imports findings into Security Hub, each Id exactly once: requests within the limits, a token bucket
 * for the rate, and every transient failure tried again after a jittered exponential back-off: a
 * throttled or 5xx request, and the findings of a 200 answer that come back in FailedFindings with a
 * transient code (InternalFailure, ConcurrentUpdateError, throttling). A retry does not hold a sender
 * while it waits: its findings sit on a timer and then rejoin the queue, and each request is filled
 * from that queue only once it has its token, so the bucket is used in full while others back off and
 * retried findings travel in full batches. A finding Security Hub accepted is never sent again. What
 * fails for good (a permanent code, or attempts used up) is returned by Id with its reason, not thrown;
 * credentials and permission errors stop everything at once.
 * The client should not retry by itself (maxAttempts: 1), or its retries would bypass the rate limit.
 */
export async function publishToSecurityHub(
  client: SecurityHubClient,
  findings: AwsSecurityFinding[],
  options: PublishSecurityHubOptions = {},
): Promise<PublishSecurityHubResult> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const baseDelay = options.baseDelayMs ?? 100; // the SDK's own base for transient errors
  const maxDelay = options.maxDelayMs ?? 20_000;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const { findingsPerBatch, bytesPerBatch, requestsPerSecond, burstPerSecond } = SECURITY_HUB_LIMITS;
  const burst = options.burst ?? burstPerSecond - requestsPerSecond;
  const started = clock.now();
  // The same Id twice would be two writes of one finding: the last one wins, as it would in Security Hub.
  const unique = [...new Map(findings.map((f) => [f.Id, f])).values()];
  const fresh: Pending[] = unique.map((finding) => ({ finding, tries: 0, ownFailures: 0 }));
  const bucket = new TokenBucket(
    options.ratePerSecond ?? requestsPerSecond,
    burst,
    clock,
    Math.min(burst, options.initialTokens ?? 0),
  );
  let head = 0; // fresh[head..] have not been sent yet
  // Findings back from a back-off go first, so they ride in the full requests of the run rather than
  // in a trickle of small ones at its end.
  const retries: Pending[] = [];
  const hasReady = () => retries.length > 0 || head < fresh.length;
  // A short request spends a whole token: when findings backing off will be back within a second, wait
  // for them and send one request rather than a trickle (only at the end of a run: before, every
  // request is full of fresh findings).
  const worthWaiting = () =>
    backingOff > 0 &&
    retries.length + fresh.length - head < findingsPerBatch &&
    lastDue - clock.now() <= LINGER_MS;
  let inFlight = 0;
  let backingOff = 0; // findings on a back-off timer
  let lastDue = 0; // when the last back-off now running ends
  let refusedInARow = 0; // requests throttled or failed since the last answered one
  const imported = new Set<string>();
  const failed: FailedImport[] = [];
  const result = { requests: 0, retriedRequests: 0, retriedFindings: 0 };
  let fatal: PipewardenError | undefined;
  const abort = new AbortController(); // cancels the back-off timers when everything stops
  setMaxListeners(0, abort.signal); // one listener per waiting back-off
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    const resolve = wakeUp;
    wakeUp = undefined;
    resolve?.();
  };
  const what = `Security Hub BatchImportFindings${options.region ? ` in ${options.region}` : ''}`;

  /**
   * The next request's findings: retries first, then fresh ones, up to 100 and 6 MB. Fresh ones are
   * sized here, a request's worth at a time, so the first request does not wait for all of them.
   */
  const takeBatch = (): Pending[] => {
    const batch: Pending[] = [];
    let bytes = 0;
    const fits = (next: Pending) =>
      batch.length < findingsPerBatch && (!batch.length || bytes + next.bytes! <= bytesPerBatch);
    while (retries.length && fits(retries[0]!)) {
      const next = retries.shift()!;
      batch.push(next);
      bytes += next.bytes!;
    }
    while (head < fresh.length && batch.length < findingsPerBatch) {
      const next = fresh[head]!;
      next.bytes ??= findingBytes(next.finding) + 1; // the comma between findings
      if (next.bytes > MAX_FINDING_BYTES + 1) {
        failed.push({
          Id: next.finding.Id!,
          ErrorCode: 'FindingTooLarge',
          ErrorMessage: `${next.bytes} bytes, above Security Hub's 240 KB; trim it first`,
        });
        head++;
        continue;
      }
      if (!fits(next)) break;
      batch.push(next);
      bytes += next.bytes;
      head++;
    }
    return batch;
  };

  /**
   * Puts findings back in the queue after a back-off drawn from base·2^exponent; those out of attempts
   * are reported. Returns how many go again.
   */
  const retryLater = (items: Pending[], exponent: number): number => {
    const again: Pending[] = [];
    for (const p of items) {
      if (p.tries < maxAttempts) again.push(p);
      else
        failed.push({
          Id: p.finding.Id!,
          ErrorCode: p.code ?? 'Unknown',
          ErrorMessage: `still failing after ${p.tries} attempts: ${p.message ?? ''}`,
        });
    }
    if (!again.length) return 0;
    backingOff += again.length;
    const pause = backoffDelay(exponent, baseDelay, maxDelay, random);
    lastDue = Math.max(lastDue, clock.now() + pause);
    void clock.sleep(pause, abort.signal).then(() => {
      backingOff -= again.length;
      retries.push(...again);
      wake();
    });
    return again.length;
  };

  const send = async (batch: Pending[]): Promise<void> => {
    result.requests++;
    for (const p of batch) p.tries++;
    let response;
    try {
      response = await client.send(new BatchImportFindingsCommand({ Findings: batch.map((p) => p.finding) }));
    } catch (error) {
      if (!isRetryable(error)) {
        fatal ??= awsFailure(what, error, 'securityhub:BatchImportFindings');
        return;
      }
      const code = errorCode(error);
      for (const p of batch) {
        p.code = code;
        p.message = errorMessage(error);
      }
      // A whole request refused says how the service is doing, not this batch: the pause grows with
      // the requests refused in a row (any success ends the streak), so one unlucky batch among good
      // ones waits briefly while a struggling service gets ever longer pauses from every sender.
      const again = retryLater(batch, ++refusedInARow);
      if (again) {
        result.retriedRequests++;
        options.log?.(
          `pipewarden: Security Hub ${isThrottling(error) ? 'throttled' : `failed (${code})`}; retrying ${again} finding(s)`,
        );
      }
      return;
    }
    refusedInARow = 0;
    const failures = new Map((response.FailedFindings ?? []).map((f) => [f.Id ?? '', f]));
    const transient: Pending[] = [];
    for (const p of batch) {
      const id = p.finding.Id!;
      const failure = failures.get(id);
      if (!failure) {
        imported.add(id);
        continue;
      }
      const code = failure.ErrorCode ?? 'Unknown';
      if (isTransientFindingFailure(code)) {
        p.code = code;
        p.message = failure.ErrorMessage ?? '';
        p.ownFailures++;
        transient.push(p);
      } else failed.push({ Id: id, ErrorCode: code, ErrorMessage: failure.ErrorMessage ?? '' });
    }
    // A finding failing on its own (someone else updating it) backs off on its own count.
    for (const p of transient) result.retriedFindings += retryLater([p], p.ownFailures);
  };

  // One dispatcher: a request is sent whenever there are findings ready, a free slot and a token.
  for (;;) {
    if (fatal) break;
    if (!hasReady() || inFlight >= concurrency || worthWaiting()) {
      if (inFlight === 0 && backingOff === 0 && !hasReady()) break;
      await new Promise<void>((resolve) => (wakeUp = resolve));
      continue;
    }
    await bucket.take();
    if (fatal) break;
    const batch = takeBatch(); // filled now, so findings back from a back-off meanwhile ride along
    if (!batch.length) continue; // what was left was too large to send
    inFlight++;
    void send(batch)
      .catch((error: unknown) => {
        fatal ??= awsFailure(what, error, 'securityhub:BatchImportFindings');
      })
      .finally(() => {
        inFlight--;
        wake();
      });
  }
  abort.abort();
  // Requests already sent are waited for: what they imported is counted.
  while (inFlight > 0) await new Promise<void>((resolve) => (wakeUp = resolve));
  if (fatal) {
    const done = imported.size ? ` (${imported.size} finding(s) were imported before it)` : '';
    throw new PipewardenError(`${fatal.message}${done}`, { exitCode: fatal.exitCode, cause: fatal.cause });
  }
  return { imported: imported.size, failed, ...result, elapsedMs: clock.now() - started };
}

/** A finding's share of a request, refused up front if Security Hub would refuse it. */
function sizeOf(f: AwsSecurityFinding): number {
  const size = findingBytes(f) + 1; // the comma between findings
  if (size > MAX_FINDING_BYTES + 1)
    throw new PipewardenError(`finding ${f.Id} is ${size} bytes, above Security Hub's 240 KB; trim it first`);
  return size;
}
