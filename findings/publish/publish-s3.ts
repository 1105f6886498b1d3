import { HeadObjectCommand, PutObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorMessage, PipewardenError } from '../errors.js';
import type { FindingsDocument } from '../model/finding.js';
import { awsFailure, errorCode, httpStatus } from './aws-errors.js';
import { baselineKey, commitPrefix, executionPrefix, FINDINGS_FILE } from '../store/store-layout.js';
import { backoffDelay, systemClock, type Clock } from './rate-limiter.js';

// The layout is store-layout.ts's; re-exported for the modules that took it from here.
export { baselineKey, commitPrefix, executionPrefix };

const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
const EXECUTION_ID = /^[0-9a-zA-Z-]{1,100}$/;

/** The pipeline and execution name the run's own prefix: refuse anything that could write elsewhere. */
export function checkExecution(
  pipeline: string | undefined,
  executionId: string | undefined,
): { pipeline: string; executionId: string } {
  if (!pipeline || !PIPELINE_NAME.test(pipeline) || pipeline === '.' || pipeline === '..')
    throw new PipewardenError(
      `the pipeline is ${pipeline ? `"${pipeline}", not a CodePipeline name` : 'unknown'}: pass --pipeline <name> (default: PIPEWARDEN_PIPELINE, which the pipeline sets) to the gate or to publish`,
    );
  if (!executionId || !EXECUTION_ID.test(executionId))
    throw new PipewardenError(
      `the pipeline execution is ${executionId ? `"${executionId}", not an execution id` : 'unknown'}: pass --execution <id> (default: PIPEWARDEN_EXECUTION_ID, which the pipeline sets) to the gate or to publish`,
    );
  return { pipeline, executionId };
}

/** `owner/name` and a commit sha are the keys of the store: refuse anything that would write elsewhere. */
export function checkStoreContext(
  repo: string | undefined,
  commit: string | undefined,
): { repo: string; commit: string } {
  if (
    !repo ||
    !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo) ||
    repo.split('/').some((p) => p === '.' || p === '..')
  )
    throw new PipewardenError(
      `the repository is ${repo ? `"${repo}", not owner/name` : 'unknown'}: pass --repo owner/name (default: PIPEWARDEN_REPO, GITHUB_REPOSITORY or CODEBUILD_SOURCE_REPO_URL)`,
    );
  if (!commit || !/^[0-9a-f]{7,64}$/i.test(commit))
    throw new PipewardenError(
      `the commit is ${commit ? `"${commit}", not a git sha` : 'unknown'}: pass --commit <sha> (default: PIPEWARDEN_COMMIT, GITHUB_SHA or CODEBUILD_RESOLVED_SOURCE_VERSION)`,
    );
  return { repo, commit };
}

export function checkBranch(branch: string): string {
  if (!branch || branch.split('/').some((p) => p === '' || p === '.' || p === '..') || /[\s\\]/.test(branch))
    throw new PipewardenError(`--branch "${branch}": not a branch name`);
  return branch;
}

export interface StoreFiles {
  /** The findings document, as rendered JSON. */
  json: string;
  sarif?: string;
  markdown?: string;
}

export interface PublishS3Options {
  bucket: string;
  /**
   * Only the run's own execution prefix: no commits/<sha>/, no latest.json. What a feature pipeline (unreviewed
   * code) may write.
   */
  executionOnly?: boolean;
  /** The branch whose latest.json is the baseline for pull requests; written only when the scan is of it. */
  baselineBranch?: string;
  /** Orders baselines: a run may replace latest.json only with a later one (ISO time; default the document's
   * context.commitTime, else its generatedAt). */
  orderKey?: string;
  /**
   * The time that orders latest.json, when it must be asked of a service (the pipeline execution's start,
   * cli/baseline-order.ts): called only when the baseline is written, after the execution's and the
   * commit's objects are stored, so a failed lookup still leaves the run's findings where the bot reads them.
   */
  baselineTime?: () => Promise<string>;
  clock?: Clock;
  random?: () => number;
  /** Compare-and-swap rounds before giving up on the baseline. */
  maxAttempts?: number;
  log?: (line: string) => void;
}

export type BaselineOutcome =
  | { status: 'written'; key: string; replaced?: string }
  | { status: 'kept-newer'; key: string; newer: string }
  | { status: 'not-baseline-branch' }
  | { status: 'execution-only' };

export interface PublishS3Result {
  keys: string[];
  baseline: BaselineOutcome;
}

const ORDER = 'pipewarden-order';
const COMMIT = 'pipewarden-commit';

/**
 * Writes the run's findings under its execution prefix (pipelines/<pipeline>/executions/<id>/, where the bot
 * reads them) and, unless `executionOnly`, under the commit and, for the baseline branch, as latest.json.
 * In each folder .sarif and .md come first, findings.json last: whoever sees findings.json finds the others.
 * Each S3 PUT is atomic, so no reader sees half a file. latest.json is replaced only by a later run, with a
 * conditional PUT (If-Match on the ETag read, or If-None-Match: * when there was none): two concurrent runs
 * cannot leave the older baseline on top.
 */
export async function publishToS3(
  client: S3Client,
  doc: FindingsDocument,
  files: StoreFiles,
  options: PublishS3Options,
): Promise<PublishS3Result> {
  // Every check before the first write: a run that cannot write its execution prefix writes nothing.
  const { repo, commit } = checkStoreContext(doc.context.repo, doc.context.commit);
  const { pipeline, executionId } = checkExecution(doc.context.pipeline, doc.context.pipelineExecutionId);
  const branch = doc.context.branch;
  const isBaseline = !options.executionOnly && !!options.baselineBranch && branch === options.baselineBranch;
  if (isBaseline) checkBranch(branch!);
  const folder = (prefix: string): [string, string, string][] => [
    ...(files.sarif !== undefined
      ? [[`${prefix}findings.sarif`, files.sarif, 'application/sarif+json'] as [string, string, string]]
      : []),
    ...(files.markdown !== undefined
      ? [[`${prefix}findings.md`, files.markdown, 'text/markdown; charset=utf-8'] as [string, string, string]]
      : []),
    [`${prefix}${FINDINGS_FILE}`, files.json, 'application/json'],
  ];
  const uploads = folder(executionPrefix(repo, pipeline, executionId));
  if (!options.executionOnly) uploads.push(...folder(commitPrefix(repo, commit)));
  // Commit time, not the run's time: a retried Gate of an older execution must not win over a newer commit.
  const order = options.orderKey ?? doc.context.commitTime ?? doc.generatedAt;
  const metadata = { [ORDER]: order, [COMMIT]: commit };
  const keys: string[] = [];
  for (const [key, body, contentType] of uploads) {
    await put(client, options.bucket, key, body, contentType, metadata);
    keys.push(key);
  }
  if (options.executionOnly) return { keys, baseline: { status: 'execution-only' } };
  if (!isBaseline) return { keys, baseline: { status: 'not-baseline-branch' } };
  const key = baselineKey(repo, branch!);
  let baselineOrder = order;
  if (options.baselineTime) {
    try {
      baselineOrder = await options.baselineTime();
    } catch (error) {
      const reason = errorMessage(error).replace(/^pipewarden: /, '');
      throw new PipewardenError(
        `s3://${options.bucket}/${key} not updated: ${reason} (this execution's and the commit's findings are stored)`,
        { exitCode: error instanceof PipewardenError ? error.exitCode : 3, cause: error },
      );
    }
  }
  const baseline = await writeBaseline(client, key, files.json, baselineOrder, commit, options);
  if (baseline.status === 'written') keys.push(baseline.key);
  return { keys, baseline };
}

async function put(
  client: S3Client,
  bucket: string,
  key: string,
  body: string,
  contentType: string,
  metadata: Record<string, string>,
  condition: { IfMatch?: string; IfNoneMatch?: string } = {},
): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: metadata,
        ...condition,
      }),
    );
  } catch (error) {
    if (lostRace(error, condition)) throw error;
    throw s3Failure(bucket, key, 'PutObject', error);
  }
}

/**
 * A conditional write another writer got in before: 412 (or 409) on either condition, and, for If-Match, 404
 * NoSuchKey when the object was deleted meanwhile (S3's answer to If-Match on a missing key).
 */
const lostRace = (error: unknown, condition: { IfMatch?: string; IfNoneMatch?: string }) =>
  isPreconditionFailed(error) || (condition.IfMatch !== undefined && errorCode(error) === 'NoSuchKey');

export function s3Failure(bucket: string, key: string, operation: string, error: unknown): PipewardenError {
  if (errorCode(error) === 'NoSuchBucket')
    return new PipewardenError(
      `--bucket ${bucket}: no such bucket; pass the findings bucket the pipeline created (PIPEWARDEN_FINDINGS_BUCKET) and check the region (AWS_REGION)`,
      { cause: error },
    );
  const permission = operation === 'PutObject' ? 's3:PutObject' : 's3:GetObject';
  return awsFailure(`S3 ${operation} s3://${bucket}/${key}`, error, permission);
}

const isPreconditionFailed = (error: unknown) =>
  errorCode(error) === 'PreconditionFailed' ||
  errorCode(error) === 'ConditionalRequestConflict' ||
  httpStatus(error) === 412 ||
  httpStatus(error) === 409;

/** The baseline there now: its ETag and the order key it was written with (from metadata, else its body). */
async function currentBaseline(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ etag: string; order?: string } | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const order = head.Metadata?.[ORDER];
    if (order) return { etag: head.ETag!, order };
    // Written by something else (or by hand): read its generatedAt, under the same ETag.
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: head.ETag }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    let generatedAt: unknown;
    try {
      generatedAt = (JSON.parse(text) as { generatedAt?: unknown }).generatedAt;
    } catch {
      /* not a findings document: any run may replace it */
    }
    return {
      etag: object.ETag ?? head.ETag!,
      ...(typeof generatedAt === 'string' ? { order: generatedAt } : {}),
    };
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucket') throw s3Failure(bucket, key, 'HeadObject', error);
    // The first baseline of this branch. (HEAD answers have no body: a missing bucket looks the same, but
    // the commit's objects were written to this bucket just before, so it exists.)
    if (errorCode(error) === 'NotFound' || errorCode(error) === 'NoSuchKey' || httpStatus(error) === 404)
      return undefined;
    if (isPreconditionFailed(error)) return currentBaseline(client, bucket, key);
    throw s3Failure(bucket, key, 'HeadObject', error);
  }
}

async function writeBaseline(
  client: S3Client,
  key: string,
  body: string,
  order: string,
  commit: string,
  options: PublishS3Options,
): Promise<BaselineOutcome> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const attempts = options.maxAttempts ?? 10;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await currentBaseline(client, options.bucket, key);
    if (current?.order && current.order > order) return { status: 'kept-newer', key, newer: current.order };
    const condition = current ? { IfMatch: current.etag } : { IfNoneMatch: '*' };
    try {
      await put(
        client,
        options.bucket,
        key,
        body,
        'application/json',
        { [ORDER]: order, [COMMIT]: commit },
        condition,
      );
      return { status: 'written', key, ...(current?.order ? { replaced: current.order } : {}) };
    } catch (error) {
      if (!lostRace(error, condition)) throw error;
      // Another run wrote latest.json between our read and our write: read again and decide again.
      options.log?.(`pipewarden: s3://${options.bucket}/${key} changed while writing; comparing again`);
      await clock.sleep(backoffDelay(attempt, 50, 2000, random));
    }
  }
  throw new PipewardenError(
    `s3://${options.bucket}/${key}: still contended after ${attempts} conditional writes; the commit's findings are stored, run the publish again to update the baseline`,
    { exitCode: 3 },
  );
}
