import { SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PipewardenError } from '../../../findings/errors.js';
import {
  batchFindings,
  publishToSecurityHub,
  SECURITY_HUB_LIMITS,
} from '../../../findings/publish/publish-security-hub.js';
import { backoffDelay, TokenBucket, type Clock } from '../../../findings/publish/rate-limiter.js';
import { findingBytes } from '../../../findings/render/render-asff.js';
import { FakeAws } from '../../support/fake-aws.js';

const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';

/**
 * A discrete-event clock: time stands still while a request is in flight (answers take no virtual time)
 * and otherwise jumps to the next timer, so back-off and the rate limit cost no wall time and every send
 * time is exact. `hold()` marks a request in flight; the client's middleware calls it (see client()).
 */
function eventClock(): Clock & { hold(): () => void } {
  let t = 1_000_000;
  let seq = 0;
  let holds = 0;
  let scheduled = false;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  const tick = () => {
    scheduled = false;
    if (holds > 0 || !timers.length) return;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift()!;
    t = Math.max(t, next.at);
    next.resolve();
    schedule();
  };
  const schedule = () => {
    if (!scheduled && holds === 0 && timers.length) {
      scheduled = true;
      setImmediate(tick);
    }
  };
  return {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = { at: t + Math.max(0, ms), seq: seq++, resolve };
        timers.push(timer);
        signal?.addEventListener('abort', () => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          resolve();
        });
        schedule();
      }),
    hold: () => {
      holds++;
      return () => {
        holds--;
        schedule();
      };
    },
  };
}

function finding(i: number, extraBytes = 0): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: `pipewarden/acme/shop/${i.toString(16).padStart(32, '0')}`,
    ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
    GeneratorId: `pipewarden/snyk/SNYK-JS-${i % 50}`,
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Vulnerabilities/CVE'],
    CreatedAt: '2026-11-28T12:00:00.000Z',
    UpdatedAt: '2026-11-28T12:00:00.000Z',
    Severity: { Label: 'HIGH', Original: 'high' },
    Title: `Finding ${i}`,
    Description: extraBytes ? 'd'.repeat(1000) : `Finding number ${i}`,
    Resources: [
      {
        Type: 'Other',
        Id: 'https://github.com/acme/shop',
        Details: { Other: { Pad: 'p'.repeat(extraBytes) } },
      },
    ],
  };
}

let fake: FakeAws;
/** When each request left the client, on its clock (virtual or real). */
let sends: number[] = [];
const client = (clock?: ReturnType<typeof eventClock>) => {
  const c = new SecurityHubClient({
    endpoint: fake.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    // pipewarden retries itself, under its rate limit: the SDK must not retry on its own.
    maxAttempts: 1,
  });
  c.middlewareStack.add(
    (next) => async (args) => {
      sends.push(clock?.now() ?? Date.now());
      const release = clock?.hold();
      try {
        return await next(args);
      } finally {
        release?.();
      }
    },
    { step: 'initialize', name: 'recordSends' },
  );
  return c;
};

/** Security Hub's quota, checked on the send times: never above 10 a second from the start, never 31 in a second. */
function expectWithinQuota(times: number[], start: number): void {
  // The bucket starts empty, so the k-th request cannot leave before k/10 s.
  times.forEach((at, k) => expect(at - start).toBeGreaterThanOrEqual((k + 1) * 100));
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  expect(peak).toBeLessThanOrEqual(30);
}

beforeAll(async () => {
  fake = await new FakeAws().start();
});
afterAll(async () => fake.stop());
afterEach(() => {
  // Every request the publisher sent conforms to the Security Hub API model and its limits.
  expect(fake.rejected).toEqual([]);
  fake.rejected.length = 0;
  sends = [];
  fake.securityHub.requests = 0;
  fake.securityHub.imported.clear();
  fake.securityHub.batchSizes.length = 0;
  fake.securityHub.bodyBytes.length = 0;
  fake.securityHub.answer = () => undefined;
  fake.securityHub.delayMs = () => 0;
  fake.expiredToken = false;
  fake.log.length = 0;
});

describe('publishToSecurityHub', () => {
  it('imports 10,000 findings exactly once through throttling, 5xx, partial failures and slow answers, within the quota', async () => {
    const n = 10_000;
    const findings = Array.from({ length: n }, (_, i) => finding(i));
    let partial = 0;
    fake.securityHub.answer = (req, batch) => {
      if (req % 7 === 3)
        return { status: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' };
      if (req % 11 === 5) return { status: 429, errorType: 'TooManyRequestsException' };
      if (req % 13 === 6) return { status: 503, errorType: 'ServiceUnavailableException' };
      if (req % 17 === 8) return { status: 500, errorType: 'InternalException' };
      if (req % 5 === 0) {
        // HTTP 200 with FailedCount > 0: a few findings of the batch hit Security Hub's transient codes.
        partial++;
        const fail: Record<string, string> = {};
        batch
          .slice(0, 7)
          .forEach((f, i) => (fail[f.Id] = i % 2 ? 'InternalFailure' : 'ConcurrentUpdateError'));
        return { fail };
      }
      return undefined;
    };
    fake.securityHub.delayMs = (req) => (req % 9 === 0 ? 40 : 0);
    const clock = eventClock();
    const start = clock.now();
    const result = await publishToSecurityHub(client(clock), findings, { clock, random: () => 0.5 });

    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(n);
    expect(fake.securityHub.imported.size).toBe(n);
    for (const f of findings) expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
    expect(partial).toBeGreaterThan(0);
    expect(result.retriedRequests).toBeGreaterThan(0);
    expect(result.retriedFindings).toBe(partial * 7);
    expect(fake.securityHub.requests).toBe(result.requests);
    expect(sends).toHaveLength(result.requests);
    expect(Math.max(...fake.securityHub.batchSizes)).toBeLessThanOrEqual(100);
    expectWithinQuota(sends, start);
    // Retried findings ride in full requests: only the last few requests (the tail) are short.
    expect(fake.securityHub.batchSizes.filter((size) => size < 100).length).toBeLessThanOrEqual(4);
  });

  it('retries ConcurrentUpdateError and InternalFailure findings and sends none of them again once imported', async () => {
    const findings = Array.from({ length: 300 }, (_, i) => finding(i));
    const busy = new Set(findings.filter((_, i) => i % 10 === 0).map((f) => f.Id!)); // fail twice
    const internal = new Set(findings.filter((_, i) => i % 10 === 5).map((f) => f.Id!)); // fail once
    const sent = new Map<string, number>();
    fake.securityHub.answer = (_req, batch) => {
      const fail: Record<string, string> = {};
      for (const f of batch) {
        const times = (sent.get(f.Id) ?? 0) + 1;
        sent.set(f.Id, times);
        if (busy.has(f.Id) && times <= 2) fail[f.Id] = 'ConcurrentUpdateError';
        if (internal.has(f.Id) && times === 1) fail[f.Id] = 'InternalFailure';
      }
      return { fail };
    };
    const clock = eventClock();
    const start = clock.now();
    const result = await publishToSecurityHub(client(clock), findings, { clock, random: () => 0.3 });
    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(300);
    expect(result.retriedFindings).toBe(busy.size * 2 + internal.size);
    for (const f of findings) {
      expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
      expect(sent.get(f.Id!)).toBe(busy.has(f.Id!) ? 3 : internal.has(f.Id!) ? 2 : 1);
    }
    expectWithinQuota(sends, start);
  });

  it('keeps the bucket full while throttled requests wait out their back-off', async () => {
    // The first three requests are throttled and back off for ~10 s each; the other 17 batches must not
    // wait behind them, even with only 3 requests in flight at a time.
    fake.securityHub.answer = (req) =>
      req <= 3 ? { status: 429, errorType: 'TooManyRequestsException', message: 'Slow down' } : undefined;
    const findings = Array.from({ length: 2000 }, (_, i) => finding(i));
    const clock = eventClock();
    const start = clock.now();
    const result = await publishToSecurityHub(client(clock), findings, {
      clock,
      random: () => 0.99,
      baseDelayMs: 5000,
      concurrency: 3,
    });
    expect(result.imported).toBe(2000);
    expect(result.requests).toBe(23);
    // One request every 100 ms, from the first to the twentieth, while three batches sit out 9.9 s.
    expect(sends.slice(0, 20).map((at) => at - start)).toEqual(
      Array.from({ length: 20 }, (_, k) => (k + 1) * 100),
    );
    expect(sends.slice(20).every((at) => at - start >= 10_000)).toBe(true);
    for (const f of findings) expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
    expectWithinQuota(sends, start);
  });

  it('backs off by the requests refused in a row, not by how often a batch was unlucky', async () => {
    // Requests 1 and 3 (the same 100 findings) are throttled, request 2 between them is answered: the
    // service is not struggling, so the second refusal waits the first window (200 ms), not the second.
    fake.securityHub.answer = (req) =>
      req === 1 || req === 3 ? { status: 429, errorType: 'ThrottlingException' } : undefined;
    const findings = Array.from({ length: 300 }, (_, i) => finding(i));
    const clock = eventClock();
    const start = clock.now();
    const result = await publishToSecurityHub(client(clock), findings, {
      clock,
      random: () => 0.999,
      baseDelayMs: 100,
    });
    expect(result.imported).toBe(300);
    expect(sends.map((at) => at - start)).toEqual([100, 200, 300, 400, 500]);
    for (const f of findings) expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
  });

  it('reports what Security Hub refuses for good, retries what it may, and imports the rest', async () => {
    const findings = Array.from({ length: 250 }, (_, i) => finding(i));
    const bad = findings[3]!.Id!;
    const flaky = findings[120]!.Id!;
    fake.securityHub.answer = (_req, batch) => {
      const fail: Record<string, string> = {};
      if (batch.some((f) => f.Id === bad)) fail[bad] = 'InvalidInput';
      if (batch.some((f) => f.Id === flaky)) fail[flaky] = 'ConcurrentUpdateError';
      return { fail };
    };
    const clock = eventClock();
    const result = await publishToSecurityHub(client(clock), findings, {
      clock,
      random: () => 0,
      maxAttempts: 4,
    });
    expect(result.imported).toBe(248);
    expect(result.failed).toEqual([
      { Id: bad, ErrorCode: 'InvalidInput', ErrorMessage: 'injected InvalidInput' },
      {
        Id: flaky,
        ErrorCode: 'ConcurrentUpdateError',
        ErrorMessage: 'still failing after 4 attempts: injected ConcurrentUpdateError',
      },
    ]);
    // The flaky one was sent 4 times: its first retry rode along with the last 50, then alone; the refused one once.
    expect(fake.securityHub.batchSizes).toEqual([100, 100, 51, 1, 1]);
    expect(fake.securityHub.imported.has(bad)).toBe(false);
  });

  it('gives up on a batch that is throttled on every attempt, naming its findings', async () => {
    fake.securityHub.answer = () => ({
      status: 429,
      errorType: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    const clock = eventClock();
    const start = clock.now();
    const result = await publishToSecurityHub(client(clock), [finding(1), finding(2)], {
      clock,
      random: () => 1,
      maxAttempts: 5,
      baseDelayMs: 100,
    });
    expect(result.imported).toBe(0);
    expect(result.failed).toEqual(
      [finding(1).Id, finding(2).Id].map((Id) => ({
        Id,
        ErrorCode: 'ThrottlingException',
        ErrorMessage: 'still failing after 5 attempts: Rate exceeded',
      })),
    );
    expect(fake.securityHub.requests).toBe(5);
    // The first after the bucket's first token, then exponential back-off (random() = 1: the full window).
    expect(sends.map((at) => at - start)).toEqual([100, 300, 700, 1500, 3100]);
  });

  it('stops at once on expired credentials, with one clear line', async () => {
    fake.expiredToken = true;
    const clock = eventClock();
    const error = await publishToSecurityHub(client(clock), [finding(1)], {
      clock,
      region: REGION,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipewardenError);
    expect((error as PipewardenError).message).toBe(
      'pipewarden: Security Hub BatchImportFindings in eu-central-1: the AWS credentials have expired (ExpiredTokenException); refresh them (re-assume the role, or aws sso login) and run again',
    );
    expect((error as PipewardenError).exitCode).toBe(2);
    expect(fake.log).toEqual(['POST /findings/import']);
  });

  it('keeps each request within 100 findings and 6 MB', async () => {
    const findings = Array.from({ length: 90 }, (_, i) => finding(i, 200_000));
    for (const f of findings) expect(findingBytes(f)).toBeLessThanOrEqual(240 * 1024);
    const batches = batchFindings(findings);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(100);
      expect(Buffer.byteLength(JSON.stringify({ Findings: b }))).toBeLessThanOrEqual(6 * 1024 * 1024);
    }
    expect(batches.flat()).toEqual(findings);
    const clock = eventClock();
    const result = await publishToSecurityHub(client(clock), findings, { clock });
    expect(result.imported).toBe(90);
    expect(fake.securityHub.batchSizes).toEqual(batches.map((b) => b.length));
    for (const bytes of fake.securityHub.bodyBytes) expect(bytes).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(batchFindings(Array.from({ length: 250 }, (_, i) => finding(i))).map((b) => b.length)).toEqual([
      100, 100, 50,
    ]);
    expect(SECURITY_HUB_LIMITS.bytesPerBatch).toBeLessThan(6 * 1024 * 1024);
  });

  it('reports a finding above 240 KB by Id and imports the others', async () => {
    const findings = [finding(1), finding(2, 250_000), finding(3)];
    const clock = eventClock();
    const result = await publishToSecurityHub(client(clock), findings, { clock });
    expect(result.imported).toBe(2);
    expect(result.failed).toEqual([
      {
        Id: finding(2).Id,
        ErrorCode: 'FindingTooLarge',
        ErrorMessage: `${findingBytes(findings[1]!) + 1} bytes, above Security Hub's 240 KB; trim it first`,
      },
    ]);
    expect(fake.securityHub.batchSizes).toEqual([2]);
  });

  it('sends a finding once when the same Id appears twice, the last one winning', async () => {
    const a = finding(1);
    const b = { ...finding(1), Title: 'updated' };
    const clock = eventClock();
    const result = await publishToSecurityHub(client(clock), [a, b], { clock });
    expect(result.imported).toBe(1);
    expect(fake.securityHub.batchSizes).toEqual([1]);
  });

  it('works on the real clock with slow answers and several requests in flight', async () => {
    fake.securityHub.delayMs = () => 30;
    const findings = Array.from({ length: 500 }, (_, i) => finding(i));
    const result = await publishToSecurityHub(client(), findings, {
      ratePerSecond: 1000,
      burst: 1000,
      concurrency: 3,
    });
    expect(result.imported).toBe(500);
    for (const f of findings) expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
  });
});

describe('TokenBucket and back-off', () => {
  it('lets a burst through, then one request per 1/rate seconds, in order', async () => {
    const clock = eventClock();
    const bucket = new TokenBucket(10, 3, clock);
    const times: number[] = [];
    const start = clock.now();
    await Promise.all(
      Array.from({ length: 8 }, () => bucket.take().then(() => times.push(clock.now() - start))),
    );
    expect(times).toEqual([0, 0, 0, 100, 200, 300, 400, 500]);
  });

  it('draws the pause from the whole exponential window, capped', () => {
    expect(backoffDelay(0, 100, 1000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 0.5)).toBe(500);
    expect(backoffDelay(4, 100, 1000, () => 0)).toBe(0);
  });
});
