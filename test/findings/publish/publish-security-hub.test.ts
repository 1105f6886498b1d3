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
import { FakeAws } from './fake-aws.js';

const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';

/** A clock whose sleeps pass instantly: back-off and the rate limit cost no wall time, and are still measured. */
function virtualClock(): Clock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
      await Promise.resolve();
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
const client = () =>
  new SecurityHubClient({
    endpoint: fake.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    // pipewarden retries itself, under its rate limit: the SDK must not retry on its own.
    maxAttempts: 1,
  });

beforeAll(async () => {
  fake = await new FakeAws().start();
});
afterAll(async () => fake.stop());
afterEach(() => {
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
  it('imports 10,000 findings exactly once through throttling, 5xx, partial failures and slow answers', async () => {
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
        // HTTP 200 with FailedCount > 0: a few findings of the batch throttled or hit an internal error.
        partial++;
        const fail: Record<string, string> = {};
        batch
          .slice(0, 7)
          .forEach((f, i) => (fail[f.Id] = i % 2 ? 'InternalException' : 'ThrottlingException'));
        return { fail };
      }
      return undefined;
    };
    fake.securityHub.delayMs = (req) => (req % 9 === 0 ? 40 : 0);
    const clock = virtualClock();
    const result = await publishToSecurityHub(client(), findings, {
      clock,
      random: () => 0.5,
      concurrency: 4,
    });

    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(n);
    expect(fake.securityHub.imported.size).toBe(n);
    for (const f of findings) expect(fake.securityHub.imported.get(f.Id!)).toBe(1);
    expect(partial).toBeGreaterThan(0);
    expect(result.retriedRequests).toBeGreaterThan(0);
    expect(result.retriedFindings).toBeGreaterThan(0);
    expect(fake.securityHub.requests).toBe(result.requests);
    expect(result.requests).toBeGreaterThanOrEqual(Math.ceil(n / 100));
    expect(Math.max(...fake.securityHub.batchSizes)).toBeLessThanOrEqual(100);
    // The limiter held the rate: at 10 requests a second (10 saved up), r requests need ≥ (r − 10)/10 s.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(((result.requests - 10) / 10) * 1000);
  });

  it('reports what Security Hub refuses for good, retries what it may, and imports the rest', async () => {
    const findings = Array.from({ length: 250 }, (_, i) => finding(i));
    const bad = findings[3]!.Id!;
    const flaky = findings[120]!.Id!;
    fake.securityHub.answer = (_req, batch) => {
      const fail: Record<string, string> = {};
      if (batch.some((f) => f.Id === bad)) fail[bad] = 'InvalidInput';
      if (batch.some((f) => f.Id === flaky)) fail[flaky] = 'InternalException';
      return { fail };
    };
    const result = await publishToSecurityHub(client(), findings, {
      clock: virtualClock(),
      random: () => 0,
      maxAttempts: 4,
    });
    expect(result.imported).toBe(248);
    expect(result.failed).toEqual([
      { Id: bad, ErrorCode: 'InvalidInput', ErrorMessage: 'injected InvalidInput' },
      { Id: flaky, ErrorCode: 'InternalException', ErrorMessage: 'injected InternalException' },
    ]);
    // The flaky one was sent 4 times, alone after the first.
    expect(fake.securityHub.batchSizes).toEqual([100, 100, 50, 1, 1, 1]);
    expect(fake.securityHub.imported.has(bad)).toBe(false);
  });

  it('gives up on a batch that is throttled on every attempt, naming its findings', async () => {
    fake.securityHub.answer = () => ({
      status: 429,
      errorType: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    const clock = virtualClock();
    const result = await publishToSecurityHub(client(), [finding(1), finding(2)], {
      clock,
      random: () => 1,
      maxAttempts: 5,
      baseDelayMs: 100,
    });
    expect(result.imported).toBe(0);
    expect(result.failed.map((f) => [f.Id, f.ErrorCode])).toEqual([
      [finding(1).Id, 'ThrottlingException'],
      [finding(2).Id, 'ThrottlingException'],
    ]);
    expect(fake.securityHub.requests).toBe(5);
    // Exponential back-off between the attempts (random() = 1: the full window).
    expect(clock.slept.filter((ms) => ms >= 100)).toEqual([200, 400, 800, 1600]);
  });

  it('stops at once on expired credentials, with one clear line', async () => {
    fake.expiredToken = true;
    const error = await publishToSecurityHub(client(), [finding(1)], {
      clock: virtualClock(),
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
    const result = await publishToSecurityHub(client(), findings, { clock: virtualClock() });
    expect(result.imported).toBe(90);
    for (const bytes of fake.securityHub.bodyBytes) expect(bytes).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(batchFindings(Array.from({ length: 250 }, (_, i) => finding(i))).map((b) => b.length)).toEqual([
      100, 100, 50,
    ]);
    expect(SECURITY_HUB_LIMITS.bytesPerBatch).toBeLessThan(6 * 1024 * 1024);
  });

  it('sends a finding once when the same Id appears twice, the last one winning', async () => {
    const a = finding(1);
    const b = { ...finding(1), Title: 'updated' };
    const result = await publishToSecurityHub(client(), [a, b], { clock: virtualClock() });
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
    const clock = virtualClock();
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
