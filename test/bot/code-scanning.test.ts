import { describe, expect, it } from '@jest/globals';
import { uploadCodeScanning } from '../../bot/github/upload-code-scanning.js';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import type { ScanContext } from '../../findings/model/finding.js';
import { executionFindingsKey } from '../../findings/store/store-layout.js';
import type { Execution } from './helpers/fake-aws.js';
import { realDocument, sarifDocument } from './helpers/findings.js';
import { PIPELINES, type Harness } from './helpers/harness.js';
import { openedPullRequest, pullRequestRun, useHarness } from './helpers/use-harness.js';

/**
 * Code scanning (issue 15 point 3): with `codeScanning.upload` on, the bot uploads the gate's SARIF for
 * the execution's commit and ref, one category per pipeline, and says on the security check how GitHub
 * processed it. Every request is validated against GitHub's OpenAPI description by the fake.
 */

let h: Harness;
const opened = openedPullRequest();
const { pr, owner, repo, sha, number, branch } = opened;
const ON = 'codeScanning:\n  upload: true\n';

useHarness((started) => (h = started), { pullRequest: opened });

/** An execution whose gate wrote a findings document built by the engine for its own context. */
async function gateRan(
  pipeline: string,
  context: Partial<ScanContext> = {},
  build: (c: ScanContext) => ReturnType<typeof realDocument> = realDocument,
): Promise<Execution> {
  const e = pullRequestRun(h, opened, pipeline);
  const doc = build({
    repo: `${owner}/${repo}`,
    commit: sha,
    branch,
    ...(pipeline === PIPELINES.feature ? { pullRequest: number } : {}),
    pipeline: e.pipeline,
    pipelineExecutionId: e.id,
    ...context,
  });
  h.aws.s3.objects.set(executionFindingsKey(`${owner}/${repo}`, e.pipeline, e.id), JSON.stringify(doc));
  h.aws.pipelines.progress(e, 'Gate', 'Succeeded');
  const atGate = await h.pipelineEvent('stage', e, 'SUCCEEDED', 'Gate');
  if (atGate.outcome === 'skipped') {
    // The gate is the feature pipeline's last stage: its execution's end, at once, publishes.
    e.status = 'Succeeded';
    await h.pipelineEvent('execution', e, 'SUCCEEDED');
  }
  return e;
}

const securityText = () => h.github.runs(CHECK_NAMES.security, sha)[0]?.output.text ?? '';

describe('code scanning upload', () => {
  it('is off by default: no upload, no section on the check', async () => {
    await gateRan(PIPELINES.feature);
    expect(h.github.sarifs).toEqual([]);
    expect(h.github.requests.some((r) => r.path.includes('code-scanning'))).toBe(false);
    expect(securityText()).not.toMatch(/Code scanning/);
  });

  it("uploads a pull request run's SARIF for its head ref, per-pipeline category, and reports it processed", async () => {
    h.github.configs.set(`${owner}/${repo}`, ON);
    await gateRan(PIPELINES.feature);
    const [upload] = h.github.sarifs;
    expect(upload).toMatchObject({ commit_sha: sha, ref: `refs/pull/${number}/head`, polls: 1 });
    // The real fixtures' findings, every run filed under this pipeline's category.
    expect(upload!.sarif.runs.flatMap((r) => r.results).length).toBeGreaterThan(0);
    for (const run of upload!.sarif.runs)
      expect(run.automationDetails!.id).toMatch(new RegExp(`^pipewarden/${PIPELINES.feature}/[^/]+/$`));
    const post = h.github.requests.find((r) => r.template === '/repos/{owner}/{repo}/code-scanning/sarifs');
    expect(post!.method).toBe('POST');
    expect(securityText()).toMatch(/^### Code scanning\n\n✅ SARIF uploaded and processed/);
    expect(securityText()).toContain(`pipewarden/${PIPELINES.feature}`);
  });

  it("files a main pipeline run under refs/heads/<branch> in the main pipeline's category", async () => {
    h.github.configs.set(`${owner}/${repo}`, ON);
    await gateRan(PIPELINES.main, { branch: 'main', pipelineKind: 'main' });
    expect(h.github.sarifs[0]).toMatchObject({ ref: 'refs/heads/main' });
    expect(h.github.sarifs[0]!.sarif.runs[0]!.automationDetails!.id).toMatch(`pipewarden/${PIPELINES.main}/`);
  });

  it("reports GitHub's processing errors on the check", async () => {
    h.github.configs.set(`${owner}/${repo}`, ON);
    h.github.sarifProcessing = {
      pendingPolls: 0,
      outcome: 'failed',
      errors: ['locationFromSarifResult: bad uri'],
    };
    await gateRan(PIPELINES.feature);
    expect(securityText()).toMatch(
      /❌ GitHub could not process the SARIF[^\n]*\n\n- locationFromSarifResult: bad uri/,
    );
  });

  it('without security_events: write, says which permission to accept, and the check is still written', async () => {
    h.github.configs.set(`${owner}/${repo}`, ON);
    h.github.securityEvents = false;
    await gateRan(PIPELINES.feature);
    expect(h.github.sarifs).toEqual([]);
    expect(securityText()).toMatch(/⚠️ Not uploaded .*`security_events: write`/);
    expect(h.github.runs(CHECK_NAMES.security, sha)[0]!.conclusion).toBe('failure');
  });

  it('a document that is not this execution’s is never uploaded', async () => {
    h.github.configs.set(`${owner}/${repo}`, ON);
    await gateRan(PIPELINES.feature, { pipelineExecutionId: 'another-execution' });
    expect(h.github.sarifs).toEqual([]);
    expect(h.github.requests.some((r) => r.path.includes('code-scanning'))).toBe(false);
  });
});

describe('uploadCodeScanning', () => {
  const target = { sha, ref: `refs/pull/${number}/head`, category: `pipewarden/${PIPELINES.feature}` };
  const doc = () => sarifDocument(30, { repo: `${owner}/${repo}`, commit: sha });

  it('reads the status a bounded number of times and reports a still-pending upload', async () => {
    const octokit = await h.probot.auth(pr.installation.id);
    h.github.sarifProcessing = { pendingPolls: 100, outcome: 'complete' };
    const outcome = await uploadCodeScanning(octokit, { owner, repo }, doc(), target, {
      attempts: 3,
      intervalMs: 0,
    });
    expect(outcome).toMatchObject({ status: 'pending', requests: 4 });
    expect(h.github.sarifs[0]!.polls).toBe(3);
  });

  it('completes when processing finishes within the reads', async () => {
    const octokit = await h.probot.auth(pr.installation.id);
    h.github.sarifProcessing = { pendingPolls: 2, outcome: 'complete' };
    const outcome = await uploadCodeScanning(octokit, { owner, repo }, doc(), target, {
      attempts: 3,
      intervalMs: 0,
    });
    expect(outcome.status).toBe('complete');
    expect(h.github.sarifs[0]!.polls).toBe(3);
  });

  it('refuses, without sending, a SARIF above the gzipped limit', async () => {
    const octokit = await h.probot.auth(pr.installation.id);
    const outcome = await uploadCodeScanning(
      octokit,
      { owner, repo },
      doc(),
      target,
      { intervalMs: 0 },
      { gzipBytes: 200 },
    );
    expect(outcome).toMatchObject({ status: 'refused', requests: 0 });
    expect(outcome.status === 'refused' && outcome.reason).toMatch(
      /bytes gzipped, above GitHub's limit of 200/,
    );
    expect(h.github.sarifs).toEqual([]);
  });
});
