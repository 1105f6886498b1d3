import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PipewardenError } from '../errors.js';
import { findingsDocumentProblem } from '../document/validate-document.js';
import type { AppliedPolicy, FindingsDocument } from '../model/finding.js';
import { errorCode } from '../publish/aws-errors.js';
import { checkBranch, s3Failure } from '../publish/publish-s3.js';
import { baselineKey } from '../store/store-layout.js';

export type BaselineFetch =
  | { found: false; key: string }
  | {
      found: true;
      key: string;
      body: string;
      commit?: string;
      generatedAt?: string;
      /** The policy the baseline's run applied, when it recorded one with its text. */
      policy?: AppliedPolicy;
    };

/**
 * The baseline branch's latest findings document from the store. None yet is the first run of the
 * branch, not an error: the gate then has no baseline and every finding counts as new.
 */
export async function fetchBaseline(
  client: S3Client,
  options: { bucket: string; repo: string; branch: string },
): Promise<BaselineFetch> {
  const key = baselineKey(options.repo, checkBranch(options.branch));
  let body: string;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    body = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (errorCode(error) === 'NoSuchKey') return { found: false, key };
    throw s3Failure(options.bucket, key, 'GetObject', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const problem = json === undefined ? 'not JSON' : findingsDocumentProblem(json);
  if (problem)
    throw new PipewardenError(
      `s3://${options.bucket}/${key} is not a valid pipewarden findings document (${problem}); delete it (the next run on ${options.branch} writes a new one)`,
    );
  const doc = json as FindingsDocument;
  return {
    found: true,
    key,
    body,
    ...(doc.context.commit ? { commit: doc.context.commit } : {}),
    generatedAt: doc.generatedAt,
    ...(doc.policy ? { policy: doc.policy } : {}),
  };
}
