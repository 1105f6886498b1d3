import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { errorMessage } from '../../findings/errors.js';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { SEVERITIES } from '../../findings/model/severity.js';

/** The findings store's layout (DESIGN.md). */
export const findingsKey = (owner: string, repo: string, sha: string) =>
  `${owner}/${repo}/commits/${sha}/findings.json`;

export type FindingsRead =
  | { ok: true; doc: FindingsDocument; key: string; digest: string }
  | { ok: false; key: string; reason: string; missing: boolean };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The shape every part of the bot relies on; anything else is "unreadable", never a crash later. */
function checkDocument(json: unknown): string | undefined {
  if (!isObject(json)) return 'not a JSON object';
  if (json.schemaVersion !== '1.0')
    return `schemaVersion ${JSON.stringify(json.schemaVersion)}, expected "1.0"`;
  for (const field of ['findings', 'fixed', 'warnings', 'inputs'] as const)
    if (!Array.isArray(json[field])) return `"${field}" is not an array`;
  if (!isObject(json.context) || !isObject(json.generator)) return '"context" or "generator" is missing';
  const findings = [...(json.findings as unknown[]), ...(json.fixed as unknown[])];
  for (const [i, f] of findings.entries()) {
    if (
      !isObject(f) ||
      typeof f.fingerprint !== 'string' ||
      typeof f.title !== 'string' ||
      typeof f.tool !== 'string' ||
      typeof f.ruleId !== 'string' ||
      !SEVERITIES.includes(f.severity as never) ||
      !Array.isArray(f.vulnerabilityIds) ||
      !Array.isArray(f.sources)
    )
      return `finding ${i} lacks fingerprint, title, tool, ruleId, severity, vulnerabilityIds or sources`;
  }
  if (json.gate !== undefined && (!isObject(json.gate) || typeof json.gate.passed !== 'boolean'))
    return '"gate" has no boolean "passed"';
  return undefined;
}

/**
 * Reads `<owner>/<repo>/commits/<sha>/findings.json`. Missing, unreadable or malformed is an answer, not
 * an exception: the security check reports it and fails closed. Throttling and 5xx are retried by the
 * client; what is left after that is reported the same way.
 */
export async function readFindings(
  s3: S3Client,
  bucket: string,
  ref: { owner: string; repo: string; sha: string },
): Promise<FindingsRead> {
  const key = findingsKey(ref.owner, ref.repo, ref.sha);
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
  const problem = checkDocument(json);
  if (problem)
    return {
      ok: false,
      key,
      missing: false,
      reason: `s3://${bucket}/${key} is not a findings document: ${problem}`,
    };
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  return { ok: true, doc: json as FindingsDocument, key, digest };
}
