import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { findingsDocumentProblem } from '../../findings/document/validate-document.js';
import { errorMessage } from '../../findings/errors.js';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { executionFindingsKey } from '../../findings/store/store-layout.js';

/** The run whose findings are read: the pipeline and execution a CodePipeline event names, and its commit. */
export interface FindingsRun {
  owner: string;
  repo: string;
  /** The execution's source revision (GetPipelineExecution), never a value from the document. */
  sha: string;
  pipeline: string;
  executionId: string;
}

export type FindingsRead =
  | { ok: true; doc: FindingsDocument; key: string; digest: string }
  | {
      ok: false;
      key: string;
      reason: string;
      missing: boolean;
      /** The document is well-formed but belongs to another commit, execution or pipeline. */
      foreign?: boolean;
    };

const shown = (v: unknown) => (typeof v === 'string' && v ? v : '(none)');

/**
 * Whether the document says it is this run's: its commit, execution id and (when present) pipeline and
 * repository must be the ones the event and GetPipelineExecution name. Undefined when it is; else why not.
 */
function belongsTo(doc: FindingsDocument, run: FindingsRun, key: string): string | undefined {
  const context = doc.context as FindingsDocument['context'] & { pipeline?: unknown };
  const repo = `${run.owner}/${run.repo}`;
  const sameCommit =
    typeof context.commit === 'string' && context.commit.toLowerCase() === run.sha.toLowerCase();
  const sameExecution = context.pipelineExecutionId === run.executionId;
  const samePipeline = context.pipeline === undefined || context.pipeline === run.pipeline;
  const sameRepo =
    context.repo === undefined ||
    (typeof context.repo === 'string' && context.repo.toLowerCase() === repo.toLowerCase());
  if (sameCommit && sameExecution && samePipeline && sameRepo) return undefined;
  const of = [
    `commit ${shown(context.commit)}`,
    `execution ${shown(context.pipelineExecutionId)}`,
    ...(samePipeline ? [] : [`pipeline ${shown(context.pipeline)}`]),
    ...(sameRepo ? [] : [`repository ${shown(context.repo)}`]),
  ].join(' / ');
  return `the findings document at ${key} is for ${of}, not this run (commit ${run.sha} / execution ${run.executionId} of ${run.pipeline})`;
}

/**
 * Reads `<owner>/<repo>/pipelines/<pipeline>/executions/<executionId>/findings.json`: the document the
 * gate of exactly this execution wrote (store-layout.ts), never `commits/<sha>/`, which another run could
 * have written. Then checks that the document says it is this run's. Missing, unreadable, malformed or
 * another run's is an answer, not an exception: the security check reports it and fails closed.
 * Throttling and 5xx are retried by the client; what is left after that is reported the same way.
 */
export async function readFindings(s3: S3Client, bucket: string, run: FindingsRun): Promise<FindingsRead> {
  const key = executionFindingsKey(`${run.owner}/${run.repo}`, run.pipeline, run.executionId);
  let body: string;
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    body = (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    const name = (error as Error).name;
    const missing = name === 'NoSuchKey' || name === 'NotFound';
    return {
      ok: false,
      key,
      missing,
      reason: missing
        ? `s3://${bucket}/${key} does not exist`
        : `s3://${bucket}/${key}: ${errorMessage(error)}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      key,
      missing: false,
      reason: `s3://${bucket}/${key} is not JSON (${errorMessage(error)})`,
    };
  }
  // The committed schema, the same validator the CLI uses: every field the check run renders has its type.
  const problem = findingsDocumentProblem(json);
  if (problem)
    return {
      ok: false,
      key,
      missing: false,
      reason: `s3://${bucket}/${key} is not a findings document: ${problem}`,
    };
  const foreign = belongsTo(json as FindingsDocument, run, key);
  if (foreign) return { ok: false, key, missing: false, foreign: true, reason: foreign };
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  return { ok: true, doc: json as FindingsDocument, key, digest };
}
