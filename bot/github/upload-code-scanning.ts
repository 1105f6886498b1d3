import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { errorMessage } from '../../findings/errors.js';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { escapeMarkdown as escape } from '../../findings/render/render-markdown.js';
import {
  GITHUB_SARIF_LIMITS,
  renderSarif,
  type SarifLimits,
  type SarifLog,
} from '../../findings/render/render-sarif.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/** Where the analysis belongs: the commit GetPipelineExecution names and the ref GitHub files it under. */
export interface CodeScanningTarget {
  sha: string;
  /** `refs/pull/<n>/head` for a pull request's run, else `refs/heads/<branch>`. */
  ref: string;
  /** One analysis per pipeline (`pipewarden/<pipeline>`), so the main and feature pipelines do not replace each other. */
  category: string;
}

/**
 * The upload API has no category field: GitHub takes it from each run's `automationDetails.id`, which the
 * renderer sets to `pipewarden/<tool>/`. Prefixing the pipeline's category keeps one analysis per pipeline
 * and tool, so a feature pipeline's upload never replaces the main pipeline's.
 */
function categorize(log: SarifLog, category: string): SarifLog {
  for (const run of log.runs) {
    run.automationDetails = { id: `${category}/${run.automationDetails.id.replace(/^pipewarden\//, '')}` };
  }
  return log;
}

export interface PollOptions {
  /** Status reads after the upload before reporting it as still pending. */
  attempts?: number;
  /** Wait before each status read, doubling each time. */
  intervalMs?: number;
}

export type CodeScanningOutcome =
  | { status: 'complete'; sarifId: string; analysesUrl?: string; requests: number }
  | { status: 'failed'; sarifId: string; errors: string[]; requests: number }
  | { status: 'pending'; sarifId: string; requests: number }
  | { status: 'refused'; reason: string; requests: number };

/** The ref code scanning files a run's results under, or undefined when the document names neither. */
export function codeScanningRef(
  pullRequest: number | undefined,
  branch: string | undefined,
): string | undefined {
  if (pullRequest) return `refs/pull/${pullRequest}/head`;
  if (branch) return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
  return undefined;
}

/** Why GitHub refused the upload, with what to do about it. */
function refusal(error: unknown): string {
  const status = (error as { status?: number }).status;
  const message = escape(errorMessage(error));
  if (status === 403 && /not accessible by integration/i.test(message))
    return 'the App lacks the `security_events: write` permission: accept the updated permissions in the installation settings';
  if (status === 403)
    return `GitHub refused the upload (${message}): enable code scanning (GitHub Advanced Security for a private repository)`;
  if (status === 404)
    return `GitHub answered 404 (${message}): is code scanning available for this repository?`;
  if (status === 413) return 'GitHub refused the SARIF as too large (413)';
  return `the upload failed (${status ?? 'no status'}: ${message})`;
}

/**
 * Uploads the gate's findings as SARIF to GitHub code scanning (gzip + base64; refused before sending above
 * the 10 MB gzipped limit) and reads the processing status a bounded number of times. Never throws: every
 * outcome is something to report on the security check.
 */
export async function uploadCodeScanning(
  octokit: GitHubClient,
  repo: RepoRef,
  doc: FindingsDocument,
  target: CodeScanningTarget,
  poll: PollOptions = {},
  limits: Partial<SarifLimits> = {},
): Promise<CodeScanningOutcome> {
  const maxBytes = limits.gzipBytes ?? GITHUB_SARIF_LIMITS.gzipBytes;
  // The renderer already leaves out the least severe results to fit; this is the last word before sending.
  const log = categorize(renderSarif(doc, { limits }), target.category);
  const gzipped = gzipSync(JSON.stringify(log));
  if (gzipped.length > maxBytes)
    return {
      status: 'refused',
      reason: `the SARIF is ${gzipped.length} bytes gzipped, above GitHub's limit of ${maxBytes}: fix or suppress findings so it fits`,
      requests: 0,
    };
  let requests = 1;
  let sarifId: string;
  try {
    const { data } = await octokit.rest.codeScanning.uploadSarif({
      ...repo,
      commit_sha: target.sha,
      ref: target.ref,
      sarif: gzipped.toString('base64'),
      tool_name: 'pipewarden',
    });
    sarifId = data.id ?? '';
  } catch (error) {
    return { status: 'refused', reason: refusal(error), requests };
  }
  if (!sarifId) return { status: 'refused', reason: 'GitHub returned no SARIF id', requests };

  const attempts = poll.attempts ?? 4;
  let wait = poll.intervalMs ?? 1500;
  for (let i = 0; i < attempts; i++) {
    await sleep(wait);
    wait *= 2;
    requests++;
    try {
      const { data } = await octokit.rest.codeScanning.getSarif({ ...repo, sarif_id: sarifId });
      if (data.processing_status === 'complete')
        return {
          status: 'complete',
          sarifId,
          ...(data.analyses_url ? { analysesUrl: data.analyses_url } : {}),
          requests,
        };
      if (data.processing_status === 'failed')
        return { status: 'failed', sarifId, errors: [...(data.errors ?? [])], requests };
    } catch (error) {
      // A 404 right after the upload means "not yet visible": keep polling; anything else ends it.
      if ((error as { status?: number }).status !== 404)
        return {
          status: 'refused',
          reason: `reading the upload's status failed: ${refusal(error)}`,
          requests,
        };
    }
  }
  return { status: 'pending', sarifId, requests };
}

/** One Markdown section for the security check's text (a refusal's reason is Markdown, GitHub's words escaped). */
export function describeCodeScanning(
  outcome: CodeScanningOutcome,
  target: Pick<CodeScanningTarget, 'ref' | 'category'>,
): string {
  const where = `category ${escape(target.category)} on ${escape(target.ref)}`;
  const head = '### Code scanning\n\n';
  switch (outcome.status) {
    case 'complete':
      return `${head}✅ SARIF uploaded and processed (${where}, upload ${escape(outcome.sarifId)}).`;
    case 'failed':
      return `${head}❌ GitHub could not process the SARIF (${where}, upload ${escape(outcome.sarifId)}):\n\n${outcome.errors
        .slice(0, 10)
        .map((e) => `- ${escape(e)}`)
        .join('\n')}`;
    case 'pending':
      return `${head}⏳ SARIF uploaded (${where}, upload ${escape(outcome.sarifId)}); GitHub is still processing it: see the repository's Security tab.`;
    case 'refused':
      return `${head}⚠️ Not uploaded (${where}): ${outcome.reason}.`;
  }
}
