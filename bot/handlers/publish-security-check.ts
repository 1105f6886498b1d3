import { BOT_ENV } from '../../pipeline/contracts.js';
import { readFindings, type FindingsRead } from '../aws/read-findings.js';
import { findCheckRun, writeCheckRun, type ExistingCheckRun } from '../github/check-runs.js';
import { loadConfigFor, type LoadedConfig } from '../github/load-config.js';
import { CHECK_NAMES, fullName, type GitHubClient, type RepoRef } from '../github/repo-ref.js';
import { upsertComment, type CommentOutcome } from '../github/upsert-comment.js';
import {
  codeScanningRef,
  describeCodeScanning,
  uploadCodeScanning,
  type CodeScanningOutcome,
} from '../github/upload-code-scanning.js';
import { COMMENT_MARKER, escapeMarkdown, renderMarkdown } from '../../findings/render/render-markdown.js';
import {
  renderForeignDocument,
  renderSecurityCheck,
  renderUnavailable,
} from '../render/render-security-check.js';
import { CHECK_LIMITS } from '../github/check-runs.js';
import { missingSetting } from '../settings.js';
import type { HandlerDeps } from './deps.js';

export interface PublishTarget {
  ref: RepoRef;
  /** The execution's source revision, from GetPipelineExecution. */
  sha: string;
  /** The pipeline and execution the CodePipeline event names: the only findings this check may show. */
  pipeline: string;
  executionId: string;
  /**
   * Pull requests to comment on, when known (an empty list: none); else the findings document's, else
   * looked up from the commit.
   */
  pullRequests?: number[];
}

export interface PublishResult {
  outcome: 'published' | 'resumed' | 'unchanged' | 'unavailable';
  checkRunId?: number;
  annotations: number;
  omitted: number;
  comments: Record<number, CommentOutcome>;
  /** GitHub requests made by this publication (config, lookups, writes). */
  requests: number;
  /** The SARIF upload to code scanning, when `codeScanning.upload` is on. */
  codeScanning?: CodeScanningOutcome;
}

/**
 * Open pull requests into this repository whose head is this commit (when the repository is itself a fork,
 * GitHub lists the upstream's pull requests from it too: a comment there would go to the wrong one).
 */
async function pullRequestsFor(octokit: GitHubClient, ref: RepoRef, sha: string): Promise<number[]> {
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...ref, commit_sha: sha });
  const served = fullName(ref).toLowerCase();
  return data
    .filter(
      (pr) => pr.state === 'open' && pr.head.sha === sha && pr.base.repo.full_name.toLowerCase() === served,
    )
    .map((pr) => pr.number);
}

const FINDINGS_ID = /^findings:[0-9a-f]{32}$/;

/**
 * Completes "pipewarden / security" for a commit once its gate has run: reads the findings.json that this
 * execution's gate wrote (`pipelines/<pipeline>/executions/<id>/`, and only if it names this commit and
 * execution), writes the check (annotations in requests of ≤ 50) and one comment per pull request.
 * Idempotent: the check's external_id names the document it shows, so a repeated event finds the work
 * done (or resumes the annotations where a cut-short run stopped), and the comment is found by its marker.
 */
export async function publishSecurityCheck(
  deps: HandlerDeps,
  octokit: GitHubClient,
  target: PublishTarget,
  loaded?: LoadedConfig,
  /** The commit's security check as just looked up (null: none), instead of a lookup here. */
  lookedUp?: ExistingCheckRun | null,
): Promise<PublishResult> {
  const { ref, sha, pipeline, executionId } = target;
  const bucket = deps.settings.findingsBucket;
  const read: FindingsRead = bucket
    ? await readFindings(deps.aws.s3, bucket, { ...ref, sha, pipeline, executionId })
    : { ok: false, key: '', missing: true, reason: 'PIPEWARDEN_FINDINGS_BUCKET is not set' };
  const externalId = read.ok ? `findings:${read.digest}` : undefined;
  const done = (run: ExistingCheckRun | undefined): run is ExistingCheckRun =>
    run !== undefined && run.externalId === externalId && run.status === 'completed';
  const unchanged = (run: ExistingCheckRun, requests: number): PublishResult => ({
    outcome: 'unchanged',
    checkRunId: run.id,
    annotations: 0,
    omitted: 0,
    comments: {},
    requests,
  });
  // The execution's end publishes again after its gate stage did: this instance's own record of the
  // completed check for this very document (its digest names it) answers without a GitHub request.
  const cached = deps.checkRuns?.get(ref, sha, CHECK_NAMES.security);
  if (externalId && done(cached)) return unchanged(cached, 0);

  let requests = 0;
  let existing: ExistingCheckRun | undefined;
  if (lookedUp !== undefined) existing = lookedUp ?? undefined;
  else {
    existing = await findCheckRun(octokit, ref, sha, CHECK_NAMES.security, deps.appId);
    requests++;
  }
  if (externalId && done(existing)) {
    deps.checkRuns?.set(ref, sha, CHECK_NAMES.security, existing);
    return unchanged(existing, requests);
  }
  // The config only matters for what is written, so it is read only when something will be.
  const {
    config,
    error: configError,
    requests: configRequests,
  } = loaded ?? (await loadConfigFor(octokit, ref, deps.configCache));
  if (!loaded) requests += configRequests ?? 1;
  const result: PublishResult = {
    outcome: 'unavailable',
    annotations: 0,
    omitted: 0,
    comments: {},
    requests,
  };

  if (!read.ok) {
    deps.log.warn(
      { repo: fullName(ref), sha, pipeline, execution: executionId, reason: read.reason },
      read.foreign ? 'findings document of another run' : 'findings unavailable',
    );
    const fields = read.foreign
      ? renderForeignDocument(escapeMarkdown(read.reason))
      : renderUnavailable(
          bucket ? escapeMarkdown(read.reason) : missingSetting(BOT_ENV.findingsBucket, 'read the findings'),
          { allowMissing: config.gate.allowMissingReports },
        );
    if (existing && sameOutput(existing, fields.output)) return { ...result, checkRunId: existing.id };
    const written = await writeCheckRun(
      octokit,
      ref,
      { sha, name: CHECK_NAMES.security, existingId: reusable(existing) },
      fields,
    );
    return { ...result, checkRunId: written.id, requests: result.requests + written.requests };
  }

  const resume = existing?.externalId === externalId;
  const check = renderSecurityCheck(read.doc, {
    config,
    ...(configError ? { configError } : {}),
    externalId: externalId!,
    source: `s3://${bucket}/${read.key}`,
  });

  // The comment first: if the run is cut short, the next attempt finds it and resumes the check.
  if (config.comment.mode !== 'never') {
    let numbers = target.pullRequests
      ? target.pullRequests
      : read.doc.context.pullRequest
        ? [read.doc.context.pullRequest]
        : undefined;
    if (!numbers) {
      numbers = await pullRequestsFor(octokit, ref, sha);
      result.requests++;
    }
    const body = renderMarkdown(read.doc);
    const worthAComment =
      read.doc.findings.some((f) => !f.suppression) ||
      read.doc.fixed.length > 0 ||
      read.doc.gate?.passed === false;
    for (const number of numbers) {
      const c = await upsertComment(octokit, ref, number, body, {
        marker: COMMENT_MARKER,
        create: config.comment.mode === 'always' || worthAComment,
        appId: deps.appId,
      });
      result.comments[number] = c.outcome;
      result.requests += c.requests;
    }
  }

  // Only a document that passed read-findings' checks gets here: its commit is the execution's own.
  if (config.codeScanning.upload) {
    const context = read.doc.context;
    const pullRequest =
      context.pipelineKind === 'main' ? undefined : (context.pullRequest ?? target.pullRequests?.[0]);
    const where = {
      ref: codeScanningRef(pullRequest, context.branch) ?? '',
      category: `pipewarden/${pipeline}`,
    };
    const outcome: CodeScanningOutcome = where.ref
      ? await uploadCodeScanning(octokit, ref, read.doc, { sha, ...where })
      : {
          status: 'refused',
          reason:
            'the findings document names neither a pull request nor a branch (set PIPEWARDEN_BRANCH in the gate)',
          requests: 0,
        };
    result.codeScanning = outcome;
    result.requests += outcome.requests;
    deps.log.info({ repo: fullName(ref), sha, codeScanning: outcome.status }, 'code scanning upload');
    const section = describeCodeScanning(outcome, where);
    const output = check.fields.output;
    output.text = `${section}\n\n${renderMarkdown(read.doc, {
      maxLength: CHECK_LIMITS.text - section.length - 2,
      marker: '<!-- pipewarden:check -->',
    })}`;
  }

  const skip = resume ? existing!.annotationsCount : 0;
  const written = await writeCheckRun(
    octokit,
    ref,
    { sha, name: CHECK_NAMES.security, existingId: resume ? existing!.id : reusable(existing) },
    check.fields,
    check.annotations.slice(skip),
  );
  deps.checkRuns?.set(ref, sha, CHECK_NAMES.security, {
    id: written.id,
    status: check.fields.status,
    conclusion: check.fields.conclusion ?? null,
    externalId: externalId!,
    annotationsCount: check.annotations.length,
    title: check.fields.output.title,
    summary: check.fields.output.summary,
  });
  deps.log.info(
    {
      repo: fullName(ref),
      sha,
      checkRun: written.id,
      annotations: check.annotations.length,
      omitted: check.omitted,
    },
    'security check published',
  );
  return {
    ...result,
    outcome: resume ? 'resumed' : 'published',
    checkRunId: written.id,
    annotations: check.annotations.length - skip,
    omitted: check.omitted,
    requests: result.requests + written.requests,
  };
}

/**
 * The existing run to update, or undefined to create a new one: a run that already shows another
 * findings document keeps it (annotations only append, so they cannot be replaced); a fresh run of the
 * same name then shows the new document, as GitHub shows the latest run of a name.
 */
function reusable(existing: ExistingCheckRun | undefined): number | undefined {
  if (!existing) return undefined;
  if (FINDINGS_ID.test(existing.externalId) && existing.annotationsCount > 0) return undefined;
  return existing.id;
}

function sameOutput(existing: ExistingCheckRun, output: { title: string; summary: string }): boolean {
  return (
    existing.status === 'completed' && existing.title === output.title && existing.summary === output.summary
  );
}
