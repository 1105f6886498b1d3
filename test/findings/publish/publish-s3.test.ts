import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { PipewardenError } from '../../../findings/errors.js';
import { findingsDocumentProblem } from '../../../findings/document/validate-document.js';
import { fetchBaseline } from '../../../findings/fetch/fetch-baseline.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { publishToS3, type StoreFiles } from '../../../findings/publish/publish-s3.js';
import type { Clock } from '../../../findings/publish/rate-limiter.js';
import { CONTEXT, fixtureDocument } from '../render/render-helpers.js';
import { FakeAws } from '../../support/fake-aws.js';

const BUCKET = 'acme-findings';
const SHA_OLD = '1111111111111111111111111111111111111111';
const SHA_NEW = '2222222222222222222222222222222222222222';
const instant: Clock = { now: () => 0, sleep: async () => undefined };

let fake: FakeAws;
const client = () =>
  new S3Client({
    endpoint: fake.url,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });

const PIPELINE = 'shop-main';
/** One execution per run: each document names its own. */
const execution = (commit: string) => `${commit.slice(0, 8)}-0000-4000-8000-000000000001`;
const execPrefix = (commit: string, pipeline = PIPELINE) =>
  `acme/shop/pipelines/${pipeline}/executions/${execution(commit)}/`;

function doc(commit: string, generatedAt: string, branch = 'main'): FindingsDocument {
  const d = fixtureDocument({ files: ['snyk/test-report-with-risk-scores.json'] });
  return {
    ...d,
    generatedAt,
    context: { ...CONTEXT, commit, branch, pipeline: PIPELINE, pipelineExecutionId: execution(commit) },
  };
}

const files = (d: FindingsDocument): StoreFiles => ({
  json: JSON.stringify(d),
  sarif: '{"version":"2.1.0","runs":[]}',
  markdown: `# findings of ${d.context.commit}`,
});

const latest = () => fake.s3.objects.get(`${BUCKET}/acme/shop/branches/main/latest.json`);
const latestCommit = () => (JSON.parse(latest()!.body.toString('utf8')) as FindingsDocument).context.commit;

beforeAll(async () => {
  fake = await new FakeAws().start();
});
afterAll(async () => fake.stop());
// Every request the code sent conforms to the AWS API model and the limits the fakes check.
afterEach(() => expect(fake.rejected).toEqual([]));
beforeEach(() => {
  fake.s3.buckets.clear();
  fake.s3.buckets.add(BUCKET);
  fake.s3.objects.clear();
  fake.s3.beforePut = async () => undefined;
  fake.s3.putStatus = () => undefined;
  fake.expiredToken = false;
  fake.log.length = 0;
  fake.rejected.length = 0;
});

describe('publishToS3', () => {
  it('stores the execution’s and the commit’s findings, findings.json last in each, and the baseline for the baseline branch', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    const result = await publishToS3(client(), d, files(d), { bucket: BUCKET, baselineBranch: 'main' });
    const prefix = `acme/shop/commits/${SHA_NEW}/`;
    const exec = execPrefix(SHA_NEW);
    expect(result.keys).toEqual([
      `${exec}findings.sarif`,
      `${exec}findings.md`,
      `${exec}findings.json`,
      `${prefix}findings.sarif`,
      `${prefix}findings.md`,
      `${prefix}findings.json`,
      'acme/shop/branches/main/latest.json',
    ]);
    expect(fake.log.filter((l) => l.startsWith('PUT'))).toEqual(
      result.keys.map((k) => `PUT /${BUCKET}/${k}`),
    );
    expect(result.baseline).toEqual({ status: 'written', key: 'acme/shop/branches/main/latest.json' });
    const json = fake.s3.objects.get(`${BUCKET}/${prefix}findings.json`)!;
    expect(json.body.toString('utf8')).toBe(JSON.stringify(d));
    expect(json.contentType).toBe('application/json');
    expect(json.metadata).toEqual({ 'pipewarden-order': d.generatedAt, 'pipewarden-commit': SHA_NEW });
    expect(fake.s3.objects.get(`${BUCKET}/${prefix}findings.sarif`)!.contentType).toBe(
      'application/sarif+json',
    );
    expect(fake.s3.objects.get(`${BUCKET}/${prefix}findings.md`)!.contentType).toBe(
      'text/markdown; charset=utf-8',
    );
    expect(latest()!.body.toString('utf8')).toBe(JSON.stringify(d));
    expect(fake.s3.objects.get(`${BUCKET}/${exec}findings.json`)!.body.toString('utf8')).toBe(
      JSON.stringify(d),
    );
  });

  it('with executionOnly writes the execution prefix and nothing else: no commits/, no branches/', async () => {
    // A feature run on a branch named like the baseline branch: still no latest.json.
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z', 'main');
    d.context.pipeline = 'shop-feature';
    const result = await publishToS3(client(), d, files(d), {
      bucket: BUCKET,
      baselineBranch: 'main',
      executionOnly: true,
    });
    const exec = execPrefix(SHA_NEW, 'shop-feature');
    expect(result).toEqual({
      keys: [`${exec}findings.sarif`, `${exec}findings.md`, `${exec}findings.json`],
      baseline: { status: 'execution-only' },
    });
    // Every request the store got: three PUTs under the execution prefix, not even a HEAD of latest.json.
    expect(fake.log).toEqual(result.keys.map((k) => `PUT /${BUCKET}/${k}`));
    expect([...fake.s3.objects.keys()].every((k) => k.startsWith(`${BUCKET}/${exec}`))).toBe(true);
  });

  it('refuses a document without a valid pipeline or execution id, before any request', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    const publish = (context: Partial<FindingsDocument['context']>) =>
      publishToS3(client(), { ...d, context: { ...d.context, ...context } }, files(d), {
        bucket: BUCKET,
        executionOnly: true,
      });
    await expect(publish({ pipeline: undefined })).rejects.toThrow(
      'pipewarden: the pipeline is unknown: pass --pipeline <name> (default: PIPEWARDEN_PIPELINE, which the pipeline sets) to the gate or to publish',
    );
    await expect(publish({ pipelineExecutionId: undefined })).rejects.toThrow(
      'pipewarden: the pipeline execution is unknown: pass --execution <id> (default: PIPEWARDEN_EXECUTION_ID, which the pipeline sets) to the gate or to publish',
    );
    // Names that would leave the run's own prefix.
    for (const pipeline of ['..', '../main', 'a/b', 'x'.repeat(101)])
      await expect(publish({ pipeline })).rejects.toThrow(
        /^pipewarden: the pipeline is ".*", not a CodePipeline name/,
      );
    for (const pipelineExecutionId of ['../../commits/x', 'a b', 'a/b', '.'])
      await expect(publish({ pipelineExecutionId })).rejects.toThrow(
        /^pipewarden: the pipeline execution is ".*", not an execution id/,
      );
    expect(fake.log).toEqual([]);
  });

  it('leaves the baseline alone for any other branch', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z', 'feature/checkout');
    const result = await publishToS3(
      client(),
      d,
      { json: JSON.stringify(d) },
      { bucket: BUCKET, baselineBranch: 'main' },
    );
    expect(result.baseline).toEqual({ status: 'not-baseline-branch' });
    expect(result.keys).toEqual([
      `${execPrefix(SHA_NEW)}findings.json`,
      `acme/shop/commits/${SHA_NEW}/findings.json`,
    ]);
    expect(latest()).toBeUndefined();
  });

  it('never lets an older run replace a newer baseline, whatever the order the two finish in', async () => {
    const older = doc(SHA_OLD, '2026-11-28T12:00:00.000Z');
    const newer = doc(SHA_NEW, '2026-11-28T12:05:00.000Z');
    // 1. The newer run is already there: the older one keeps it.
    await publishToS3(client(), newer, files(newer), { bucket: BUCKET, baselineBranch: 'main' });
    const kept = await publishToS3(client(), older, files(older), { bucket: BUCKET, baselineBranch: 'main' });
    expect(kept.baseline).toEqual({
      status: 'kept-newer',
      key: 'acme/shop/branches/main/latest.json',
      newer: newer.generatedAt,
    });
    expect(latestCommit()).toBe(SHA_NEW);
    // The older run's own commit objects are still written.
    expect(fake.s3.objects.has(`${BUCKET}/acme/shop/commits/${SHA_OLD}/findings.json`)).toBe(true);
  });

  it('orders by commit time: a retried Gate of an older execution (generated later) keeps the newer commit', async () => {
    // The newer commit's run is on top; then the older execution's Gate is retried, so its document is
    // generated later, but its commit is older: latest.json must stay the newer commit's.
    const newer = { ...doc(SHA_NEW, '2026-11-28T12:05:00.000Z') };
    newer.context = { ...newer.context, commitTime: '2026-11-28T11:00:00.000Z' };
    const retried = { ...doc(SHA_OLD, '2026-11-28T13:00:00.000Z') };
    retried.context = { ...retried.context, commitTime: '2026-11-28T10:00:00.000Z' };
    await publishToS3(client(), newer, files(newer), { bucket: BUCKET, baselineBranch: 'main' });
    const result = await publishToS3(client(), retried, files(retried), {
      bucket: BUCKET,
      baselineBranch: 'main',
    });
    expect(result.baseline).toEqual({
      status: 'kept-newer',
      key: 'acme/shop/branches/main/latest.json',
      newer: '2026-11-28T11:00:00.000Z',
    });
    expect(latestCommit()).toBe(SHA_NEW);
    // The document written carries the commit time, and passes the one validator.
    const stored = JSON.parse(
      fake.s3.objects.get(`${BUCKET}/acme/shop/branches/main/latest.json`)!.body.toString(),
    );
    expect(stored.context.commitTime).toBe('2026-11-28T11:00:00.000Z');
    expect(findingsDocumentProblem(stored)).toBeUndefined();
  });

  it('resolves a race: both read "no baseline", the slower writer re-reads and decides again', async () => {
    const headsOfLatest = () =>
      fake.log.filter((l) => l === `HEAD /${BUCKET}/acme/shop/branches/main/latest.json`).length;
    for (const newerFirst of [true, false]) {
      fake.s3.objects.clear();
      fake.log.length = 0;
      const older = doc(SHA_OLD, '2026-11-28T12:00:00.000Z');
      const newer = doc(SHA_NEW, '2026-11-28T12:05:00.000Z');
      const [first, second] = newerFirst ? [newer, older] : [older, newer];
      let puts = 0;
      fake.s3.beforePut = async (_bucket, key) => {
        if (!key.endsWith('latest.json') || ++puts > 1) return;
        // Hold the first baseline write until the other run has read latest.json too (and found none).
        while (headsOfLatest() < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      };
      const options = { bucket: BUCKET, baselineBranch: 'main', clock: instant };
      const results = await Promise.all([
        publishToS3(client(), first, files(first), options),
        publishToS3(client(), second, files(second), options),
      ]);
      expect(latestCommit()).toBe(SHA_NEW);
      // One conditional write failed (412) and its run read the baseline again.
      expect(headsOfLatest()).toBe(3);
      const [a, b] = results.map((r) => r.baseline.status);
      const [forNewer, forOlder] = newerFirst ? [a, b] : [b, a];
      // Whichever PUT landed first, the newer run ends written; the older one was replaced or kept the newer.
      expect(forNewer).toBe('written');
      expect(['written', 'kept-newer']).toContain(forOlder);
    }
  });

  it('a baseline deleted between its read and the If-Match write (404 NoSuchKey) is read again, not an error', async () => {
    const older = doc(SHA_OLD, '2026-11-28T12:00:00.000Z');
    await publishToS3(client(), older, files(older), { bucket: BUCKET, baselineBranch: 'main' });
    fake.s3.beforePut = async (bucket, key) => {
      // Branch cleanup (or a person) removes latest.json right before this run's conditional write.
      if (key.endsWith('latest.json') && fake.s3.objects.delete(`${bucket}/${key}`)) fake.log.push('deleted');
    };
    const newer = doc(SHA_NEW, '2026-11-28T12:05:00.000Z');
    const result = await publishToS3(client(), newer, files(newer), {
      bucket: BUCKET,
      baselineBranch: 'main',
      clock: instant,
    });
    expect(result.baseline.status).toBe('written');
    expect(latestCommit()).toBe(SHA_NEW);
    expect(fake.log.filter((l) => l === 'deleted')).toHaveLength(1);
  });

  it('publishing the same document twice writes the same objects', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    await publishToS3(client(), d, files(d), { bucket: BUCKET, baselineBranch: 'main' });
    const before = [...fake.s3.objects.entries()].map(([k, v]) => [k, v.body.toString('utf8')]);
    const again = await publishToS3(client(), d, files(d), { bucket: BUCKET, baselineBranch: 'main' });
    expect(again.baseline.status).toBe('written');
    expect([...fake.s3.objects.entries()].map(([k, v]) => [k, v.body.toString('utf8')])).toEqual(before);
  });

  it('orders a baseline written by another tool by the generatedAt in its body', async () => {
    const old = doc(SHA_OLD, '2026-11-28T13:00:00.000Z');
    fake.s3.objects.set(`${BUCKET}/acme/shop/branches/main/latest.json`, {
      body: Buffer.from(JSON.stringify(old)),
      etag: '"hand-written"',
      metadata: {},
    });
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    const result = await publishToS3(client(), d, files(d), { bucket: BUCKET, baselineBranch: 'main' });
    expect(result.baseline).toMatchObject({ status: 'kept-newer', newer: old.generatedAt });
  });

  it('gives up after repeated conflicts, with the commit stored and a way forward', async () => {
    fake.s3.putStatus = (_b, key) => (key.endsWith('latest.json') ? 412 : undefined);
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    const error = await publishToS3(client(), d, files(d), {
      bucket: BUCKET,
      baselineBranch: 'main',
      clock: instant,
      maxAttempts: 3,
    }).catch((e: unknown) => e);
    expect((error as PipewardenError).message).toBe(
      `pipewarden: s3://${BUCKET}/acme/shop/branches/main/latest.json: still contended after 3 conditional writes; the commit's findings are stored, run the publish again to update the baseline`,
    );
    expect((error as PipewardenError).exitCode).toBe(3);
    expect(fake.s3.objects.has(`${BUCKET}/acme/shop/commits/${SHA_NEW}/findings.json`)).toBe(true);
  });

  it('names the missing bucket and writes nothing', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    const error = await publishToS3(client(), d, files(d), {
      bucket: 'no-such-bucket',
      baselineBranch: 'main',
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'pipewarden: --bucket no-such-bucket: no such bucket; pass the findings bucket the pipeline created (PIPEWARDEN_FINDINGS_BUCKET) and check the region (AWS_REGION)',
    );
    expect((error as PipewardenError).exitCode).toBe(2);
    expect(fake.s3.objects.size).toBe(0);
  });

  it('says the credentials expired', async () => {
    fake.expiredToken = true;
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    await expect(publishToS3(client(), d, files(d), { bucket: BUCKET })).rejects.toThrow(
      `pipewarden: S3 PutObject s3://${BUCKET}/${execPrefix(SHA_NEW)}findings.sarif: the AWS credentials have expired (ExpiredToken); refresh them (re-assume the role, or aws sso login) and run again`,
    );
  });

  it('refuses a document without repository or commit, naming the flags', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    await expect(
      publishToS3(client(), { ...d, context: { branch: 'main' } }, files(d), { bucket: BUCKET }),
    ).rejects.toThrow(/the repository is unknown: pass --repo owner\/name/);
    await expect(
      publishToS3(client(), { ...d, context: { repo: 'acme/shop', commit: 'HEAD' } }, files(d), {
        bucket: BUCKET,
      }),
    ).rejects.toThrow(/the commit is "HEAD", not a git sha: pass --commit <sha>/);
    await expect(
      publishToS3(client(), { ...d, context: { repo: '../etc', commit: SHA_NEW } }, files(d), {
        bucket: BUCKET,
      }),
    ).rejects.toThrow(/the repository is "..\/etc", not owner\/name/);
    expect(fake.s3.objects.size).toBe(0);
  });
});

describe('fetchBaseline', () => {
  it('finds no baseline on the first run, without an error', async () => {
    expect(await fetchBaseline(client(), { bucket: BUCKET, repo: 'acme/shop', branch: 'main' })).toEqual({
      found: false,
      key: 'acme/shop/branches/main/latest.json',
    });
  });

  it('returns the stored document', async () => {
    const d = doc(SHA_NEW, '2026-11-28T12:00:00.000Z');
    await publishToS3(client(), d, files(d), { bucket: BUCKET, baselineBranch: 'main' });
    const got = await fetchBaseline(client(), { bucket: BUCKET, repo: 'acme/shop', branch: 'main' });
    expect(got).toEqual({
      found: true,
      key: 'acme/shop/branches/main/latest.json',
      body: JSON.stringify(d),
      commit: SHA_NEW,
      generatedAt: d.generatedAt,
    });
  });

  it('refuses what is not a findings document, and names a missing bucket', async () => {
    fake.s3.objects.set(`${BUCKET}/acme/shop/branches/main/latest.json`, {
      body: Buffer.from('<html>'),
      etag: '"x"',
      metadata: {},
    });
    await expect(
      fetchBaseline(client(), { bucket: BUCKET, repo: 'acme/shop', branch: 'main' }),
    ).rejects.toThrow(
      `pipewarden: s3://${BUCKET}/acme/shop/branches/main/latest.json is not a valid pipewarden findings document (not JSON); delete it (the next run on main writes a new one)`,
    );
    await expect(
      fetchBaseline(client(), { bucket: 'nope', repo: 'acme/shop', branch: 'main' }),
    ).rejects.toThrow(/^pipewarden: --bucket nope: no such bucket/);
  });
});
