import { describe, expect, it } from '@jest/globals';
import { COMMENT_MARKER } from '../../findings/render/render-markdown.js';
import { CONFIG_CACHE_TTL_MS } from '../../bot/github/config-cache.js';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { commitPrefix, executionFindingsKey, FINDINGS_FILE } from '../../findings/store/store-layout.js';
import { CONNECTION_ARN, type Execution } from './helpers/fake-aws.js';
import { realDocument, sarifDocument } from './helpers/findings.js';
import { PIPELINES, type Harness } from './helpers/harness.js';
import { openedPullRequest, pullRequestRun, useHarness } from './helpers/use-harness.js';

let h: Harness;
const opened = openedPullRequest();
const { pr, owner, repo, sha, number } = opened;
const context = {
  repo: `${owner}/${repo}`,
  commit: sha,
  branch: pr.pull_request.head.ref,
  pullRequest: number,
};

const restart = useHarness((started) => (h = started), { pullRequest: opened });

/** A feature-pipeline execution of the pull request's head, started by the bot (PULL_REQUEST set). */
function featureRun(): Execution {
  return pullRequestRun(h, opened);
}

/** Where the gate of this execution writes its findings (and the only place the bot reads them). */
const keyOf = (e: Execution) => executionFindingsKey(`${owner}/${repo}`, e.pipeline, e.id);
/** The context the platform's CLI gives a run's document: its commit, pipeline and execution id. */
const contextOf = (e: Execution) => ({ ...context, pipeline: e.pipeline, pipelineExecutionId: e.id });

type Stored = FindingsDocument | string | { status: number; code: string };
/** Puts what the gate of `e` wrote at its own execution key: a document built for its context, or raw. */
function store(e: Execution, what: Stored | ((c: ReturnType<typeof contextOf>) => Stored)): Execution {
  const value = typeof what === 'function' ? what(contextOf(e)) : what;
  h.aws.s3.objects.set(
    keyOf(e),
    typeof value === 'object' && 'schemaVersion' in value ? JSON.stringify(value) : value,
  );
  return e;
}

/**
 * The gate ran and wrote findings.json, and the feature pipeline, whose last stage it is, ended: the gate's
 * stage event (passed over: nothing runs after it) and the execution's, which publishes.
 */
async function gateDone(e: Execution, status: 'Succeeded' | 'Failed' = 'Succeeded') {
  h.aws.pipelines.progress(e, 'Gate', status);
  const state = status === 'Succeeded' ? 'SUCCEEDED' : 'FAILED';
  const atGate = await h.pipelineEvent('stage', e, state, 'Gate');
  expect(atGate).toMatchObject({ outcome: 'skipped' });
  e.status = status;
  return h.pipelineEvent('execution', e, state);
}

const securityRuns = () => h.github.runs(CHECK_NAMES.security, sha);
const ourComments = () => h.github.comments.filter((c) => c.body.startsWith(COMMENT_MARKER));
const checkWrites = () => h.github.writes().filter((w) => w.template?.includes('check-runs'));

describe('pipeline check from CodePipeline events', () => {
  it('follows an execution: stage table, link, Stop while running, conclusion at the end', async () => {
    const e = featureRun();
    await h.pipelineEvent('execution', e, 'STARTED');
    let [run] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(run).toMatchObject({ status: 'in_progress', external_id: `${PIPELINES.feature}:${e.id}` });
    expect(run!.details_url).toBe(
      `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/${PIPELINES.feature}/executions/${e.id}/visualization?region=eu-west-1`,
    );
    expect(run!.actions.map((a) => a.identifier)).toEqual(['stop']);
    expect(run!.output.summary).toMatch(/\| Source \| ✅ Succeeded \|/);
    expect(run!.output.summary).toMatch(/\| Gate \| · — \|/);

    // A stage's start where no person waits is not written (issue 16): the next event shows it.
    const title = run!.output.title;
    h.aws.pipelines.setStage(e, 'Build', 'InProgress');
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Build')).toMatchObject({ outcome: 'skipped' });
    expect(run!.output.title).toBe(title);

    h.aws.pipelines.progress(e, 'Gate');
    e.status = 'Succeeded';
    await h.pipelineEvent('execution', e, 'SUCCEEDED');
    [run] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success', actions: [] });
    expect(h.github.runs(CHECK_NAMES.pipeline)).toHaveLength(1);
    // The installation is looked up once with the App's JWT, then remembered.
    expect(h.github.requests.filter((r) => r.template === '/repos/{owner}/{repo}/installation')).toHaveLength(
      1,
    );
    expect(
      h.github.requests.find((r) => r.template === '/repos/{owner}/{repo}/installation')!.headers
        .authorization,
    ).toMatch(/^bearer /i);
  });

  it('shows a run whose commit CodePipeline knows only after its Source action at the next stage’s start, with Stop', async () => {
    // A trigger-started run: no commit at its STARTED (real CodePipeline may have none until the Source
    // action has finished; the fake has none when the execution is made without one).
    const e = h.aws.pipelines.execute(PIPELINES.feature, { sha: '', owner, repo, branch: 'changes' });
    expect(await h.pipelineEvent('execution', e, 'STARTED')).toMatchObject({ outcome: 'skipped' });
    expect(h.github.runs(CHECK_NAMES.pipeline, sha)).toEqual([]);
    e.sha = sha;
    h.aws.pipelines.setStage(e, 'Build', 'InProgress');
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Build')).toMatchObject({ outcome: 'written' });
    const runs = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'in_progress', external_id: `${PIPELINES.feature}:${e.id}` });
    expect(runs[0]!.actions.map((a) => a.identifier)).toEqual(['stop']);
    expect(runs[0]!.output.summary).toMatch(/\| Build \| ⏳ InProgress \|/);
  });

  it('passes over the next stage’s start when the check follows the execution: from memory, else one lookup', async () => {
    await restart({ instances: 2 });
    const e = featureRun();
    await h.pipelineEvent('execution', e, 'STARTED');
    const [run] = h.github.runs(CHECK_NAMES.pipeline, sha);
    const writes = run!.writes.length;
    h.aws.pipelines.setStage(e, 'Build', 'InProgress');
    const before = h.github.apiRequests().length;
    // The instance that wrote it: nothing asked.
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Build')).toMatchObject({ outcome: 'skipped' });
    expect(h.github.apiRequests()).toHaveLength(before);
    // Another instance: one lookup, no write.
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Build', 1)).toMatchObject({
      outcome: 'unchanged',
      checkRunId: run!.id,
    });
    expect(
      h.github
        .apiRequests()
        .slice(before)
        .map((r) => `${r.method} ${r.template}`)
        .filter((k) => !k.endsWith('/installation')),
    ).toEqual(['GET /repos/{owner}/{repo}/commits/{ref}/check-runs']);
    expect(run!.writes).toHaveLength(writes);
  });

  it.each<[Execution['status'], string]>([
    ['Failed', 'failure'],
    ['Stopped', 'cancelled'],
    ['Superseded', 'neutral'],
  ])('maps an execution that %s to %s', async (status, conclusion) => {
    const e = featureRun();
    h.aws.pipelines.setStage(e, 'Build', status === 'Failed' ? 'Failed' : 'Abandoned');
    e.status = status;
    await h.pipelineEvent('execution', e, status.toUpperCase());
    expect(h.github.runs(CHECK_NAMES.pipeline, sha)[0]).toMatchObject({ status: 'completed', conclusion });
  });

  it('writes nothing for a repeated event', async () => {
    const e = featureRun();
    await h.pipelineEvent('execution', e, 'STARTED');
    const writes = h.github.writes().length;
    const result = await h.pipelineEvent('execution', e, 'STARTED');
    expect(result.outcome).toBe('unchanged');
    expect(h.github.writes()).toHaveLength(writes);
  });

  it('keeps the check on the newer running execution when an older one’s end arrives late', async () => {
    const old = featureRun();
    const newer = featureRun();
    await h.pipelineEvent('execution', newer, 'STARTED');
    old.status = 'Superseded';
    const result = await h.pipelineEvent('execution', old, 'SUPERSEDED');
    expect(result.outcome).toBe('stale');
    expect(h.github.runs(CHECK_NAMES.pipeline, sha)[0]!.external_id).toBe(`${PIPELINES.feature}:${newer.id}`);
  });

  it('shows Approve / Reject when the approval starts after its stage’s start was handled', async () => {
    const e = h.aws.pipelines.execute(PIPELINES.main, { sha, owner, repo });
    await h.pipelineEvent('execution', e, 'STARTED');
    h.aws.pipelines.progress(e, 'Staging');
    // The Approval stage's start is handled before its action has started: GetPipelineState holds no token.
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Approval')).toMatchObject({ outcome: 'skipped' });
    h.aws.pipelines.setStage(e, 'Approval', 'InProgress');
    expect(await h.pipelineEvent('action', e, 'STARTED', 'Approval')).toMatchObject({ outcome: 'written' });
    const check = () => h.github.runs(CHECK_NAMES.pipeline, sha)[0]!;
    expect(check().output.title).toBe('Waiting for approval (Approval)');
    expect(check().actions.map((a) => a.identifier)).toEqual(['approve', 'reject', 'stop']);
    // A redelivered approval start writes nothing new; another action's start stays quiet.
    const writes = h.github.writes().length;
    expect(await h.pipelineEvent('action', e, 'STARTED', 'Approval')).toMatchObject({ outcome: 'unchanged' });
    expect(await h.pipelineEvent('action', e, 'STARTED', 'Staging')).toMatchObject({ outcome: 'skipped' });
    expect(h.github.writes()).toHaveLength(writes);
    // The decision: the next stage's start takes the buttons off, and a late approval start does not
    // put them back (the check is rendered from the execution as it is now).
    h.aws.pipelines.setStage(e, 'Approval', 'Succeeded');
    h.aws.pipelines.setStage(e, 'Production', 'InProgress');
    expect(await h.pipelineEvent('stage', e, 'STARTED', 'Production')).toMatchObject({ outcome: 'written' });
    expect(check().actions.map((a) => a.identifier)).toEqual(['stop']);
    expect(await h.pipelineEvent('action', e, 'STARTED', 'Approval')).toMatchObject({ outcome: 'unchanged' });
    expect(check().actions.map((a) => a.identifier)).toEqual(['stop']);
  });

  it("ignores other systems' pipelines without calling anyone", async () => {
    const e = featureRun();
    const result = await h.pipelineEvent('execution', { ...e, pipeline: 'someone-elses' }, 'STARTED');
    expect(result).toMatchObject({ outcome: 'skipped' });
    expect(h.github.requests).toEqual([]);
  });

  it('marks the security check "not checked" when the execution ends before its gate', async () => {
    const e = featureRun();
    h.aws.pipelines.setStage(e, 'Build', 'Failed');
    e.status = 'Failed';
    await h.pipelineEvent('execution', e, 'FAILED');
    expect(securityRuns()).toEqual([
      expect.objectContaining({
        status: 'completed',
        conclusion: 'cancelled',
        output: expect.objectContaining({ title: 'Not checked' }),
      }),
    ]);
  });
});

describe('a Source failure caused by the GitHub connection says so, with the fix (issue 15)', () => {
  const page = `https://eu-west-1.console.aws.amazon.com/codesuite/settings/123456789012/eu-west-1/connections/${CONNECTION_ARN.split('/')[1]}?region=eu-west-1`;
  const failInSource = async (connection: 'PENDING' | 'ERROR' | 'AVAILABLE') => {
    h.aws.connections.set(CONNECTION_ARN, connection);
    const e = featureRun();
    h.aws.pipelines.setStage(e, 'Source', 'Failed', 'Could not access the GitHub repository');
    e.status = 'Failed';
    await h.pipelineEvent('execution', e, 'FAILED');
    return h.github.runs(CHECK_NAMES.pipeline, sha)[0]!;
  };

  it('PENDING: complete the handshake, with the console page of the connection', async () => {
    const run = await failInSource('PENDING');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run.output.summary).toContain(
      `⚠️ Source failed because the GitHub connection ${CONNECTION_ARN} is PENDING: complete the handshake in the console: ${page}`,
    );
  });

  it('ERROR: the App was uninstalled or its access revoked', async () => {
    const run = await failInSource('ERROR');
    expect(run.output.summary).toContain(
      // Markdown-escaped: GitHub shows the parentheses.
      `⚠️ Source failed because the GitHub connection ${CONNECTION_ARN} is in ERROR \\(the GitHub App was uninstalled or its access revoked\\): update the pending connection in the console, or reinstall the AWS Connector for GitHub app: ${page}`,
    );
  });

  it('says nothing of the connection when it is AVAILABLE, or when another stage failed', async () => {
    expect((await failInSource('AVAILABLE')).output.summary).not.toContain('connection');
    h.aws.connections.set(CONNECTION_ARN, 'PENDING');
    const e = featureRun();
    h.aws.pipelines.setStage(e, 'Build', 'Failed');
    e.status = 'Failed';
    await h.pipelineEvent('execution', e, 'FAILED');
    const run = h.github.runs(CHECK_NAMES.pipeline, sha)[0]!;
    expect(run.external_id).toBe(`${PIPELINES.feature}:${e.id}`);
    expect(run.output.summary).not.toContain('connection');
  });
});

describe('security check and pull-request comment when the gate has run', () => {
  it('publishes the findings of a real scan: gate conclusion, counts, annotations, one comment', async () => {
    const e = featureRun();
    const doc = realDocument(contextOf(e));
    store(e, doc);
    const result = await gateDone(e, 'Failed');
    expect(result.security).toMatchObject({ outcome: 'published' });
    const [run] = securityRuns();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.title).toBe(`Gate failed: ${doc.gate!.failing} findings at HIGH or worse`);
    expect(run!.output.summary).toMatch(/\| Severity \| New \| Existing \| Fixed \| Suppressed \|/);
    expect(run!.annotations.length).toBeGreaterThan(0);
    expect(run!.output.text).toContain('security gate failed');
    expect(h.aws.s3.gets).toEqual([keyOf(e)]);
    expect(ourComments()).toEqual([
      expect.objectContaining({ issue: number, user: { login: 'pipewarden[bot]', type: 'Bot' } }),
    ]);
  });

  it('creates nothing twice for repeated gate and execution events', async () => {
    const e = store(featureRun(), realDocument);
    await gateDone(e, 'Failed');
    const annotations = securityRuns()[0]!.annotations.length;
    const writes = h.github.writes().length;
    await gateDone(e, 'Failed');
    e.status = 'Failed';
    await h.pipelineEvent('execution', e, 'FAILED');
    await h.pipelineEvent('execution', e, 'FAILED');
    expect(securityRuns()).toHaveLength(1);
    expect(securityRuns()[0]!.annotations).toHaveLength(annotations);
    expect(ourComments()).toHaveLength(1);
    // Everything was written at the execution's first end: no check or comment write.
    expect(h.github.writes().length - writes).toBe(0);
  });

  it('edits the comment in place when a new document replaces the old one', async () => {
    await gateDone(
      store(featureRun(), (c) => sarifDocument(3, c)),
      'Failed',
    );
    await gateDone(store(featureRun(), (c) => sarifDocument(0, c)));
    expect(ourComments()).toHaveLength(1);
    expect(ourComments()[0]!.body).toContain('security gate passed');
    // Annotations only append: the new document gets a fresh run, the latest of its name on the commit.
    expect(securityRuns().map((r) => r.conclusion)).toEqual(['failure', 'success']);
  });

  it.each([
    [0, 500, 1, 0],
    [1, 500, 1, 0],
    [50, 500, 1, 0],
    [51, 500, 2, 0],
    [5000, 500, 10, 4500],
    [5000, 10000, 100, 0],
  ])(
    'batches %i annotations (cap %i) into %i check requests, %i left out',
    async (n, cap, requests, leftOut) => {
      h.github.configs.set(`${owner}/${repo}`, `annotations:\n  max: ${cap}\n`);
      const e = store(featureRun(), (c) => sarifDocument(n, c));
      h.aws.pipelines.progress(e, 'Gate', n ? 'Failed' : 'Succeeded');
      e.status = n ? 'Failed' : 'Succeeded';
      const before = checkWrites().length;
      await h.pipelineEvent('execution', e, n ? 'FAILED' : 'SUCCEEDED');
      const security = checkWrites()
        .slice(before)
        .filter((w) => (w.body as { name?: string }).name === CHECK_NAMES.security || w.method === 'PATCH')
        .filter((w) => !(w.body as { actions?: unknown }).actions); // not the pipeline check
      const [run] = securityRuns();
      expect(security).toHaveLength(requests);
      for (const w of security)
        expect(
          ((w.body as { output?: { annotations?: unknown[] } }).output?.annotations ?? []).length,
        ).toBeLessThanOrEqual(50);
      expect(run!.annotations).toHaveLength(Math.min(n, cap));
      expect(new Set(run!.annotations.map((a) => `${a.path}:${a.start_line}`)).size).toBe(Math.min(n, cap));
      expect(run!.conclusion).toBe(n ? 'failure' : 'success');
      if (leftOut) expect(run!.output.summary).toContain(`**${leftOut} left out**`);
      else expect(run!.output.summary).not.toContain('left out');
      // The final state comes with the last request: never "completed" with annotations still to come.
      expect(
        security.slice(0, -1).every((w) => (w.body as { status?: string }).status === 'in_progress'),
      ).toBe(true);
    },
  );

  it('keeps a comment for 5,000 findings within the 65,536-character limit', async () => {
    await gateDone(
      store(featureRun(), (c) => sarifDocument(5000, c)),
      'Failed',
    );
    const [comment] = ourComments();
    expect(comment!.body.length).toBeLessThanOrEqual(65_536);
    expect(comment!.body.length).toBeGreaterThan(65_536 - 1_000);
    expect(comment!.body).toMatch(/more findings\*\* not shown/);
  });

  it('escapes scanner text before it reaches GitHub', async () => {
    const evil = () =>
      '<img src=x onerror=alert(1)> ping @octo-org/admins, see #1 [click](javascript:alert(1))';
    await gateDone(
      store(featureRun(), (c) => sarifDocument(2, c, evil)),
      'Failed',
    );
    const [comment] = ourComments();
    const [run] = securityRuns();
    for (const text of [comment!.body, run!.output.text!]) {
      expect(text).not.toContain('<img');
      expect(text).not.toMatch(/(^|[^\u200b])@octo-org/);
      expect(text).not.toContain('](javascript:');
    }
  });

  it('resumes a publication cut short, without duplicating annotations', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'annotations:\n  max: 1000\n');
    const e = store(featureRun(), (c) => sarifDocument(400, c));
    h.aws.pipelines.progress(e, 'Gate', 'Failed');
    e.status = 'Failed';
    let patches = 0;
    h.github.intercept = (req) =>
      req.method === 'PATCH' &&
      req.template === '/repos/{owner}/{repo}/check-runs/{check_run_id}' &&
      ++patches === 4
        ? [502, { message: 'Bad Gateway' }]
        : undefined;
    await expect(h.pipelineEvent('execution', e, 'FAILED')).rejects.toThrow();
    h.github.intercept = undefined;
    const partial = securityRuns()[0]!.annotations.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(400);
    const result = await h.pipelineEvent('execution', e, 'FAILED'); // EventBridge retries
    expect(result.security).toMatchObject({ outcome: 'resumed', annotations: 400 - partial });
    expect(securityRuns()).toHaveLength(1);
    expect(securityRuns()[0]!.annotations).toHaveLength(400);
    expect(securityRuns()[0]!.status).toBe('completed');
    expect(ourComments()).toHaveLength(1);
  });

  it('finds the pull request from the commit when the execution does not name it', async () => {
    const e = h.aws.pipelines.execute(PIPELINES.feature, { sha, owner, repo, branch: 'changes' });
    store(e, (c) => sarifDocument(1, { ...c, pullRequest: undefined }));
    await gateDone(e, 'Failed');
    expect(
      h.github.requests.some((r) => r.template === '/repos/{owner}/{repo}/commits/{commit_sha}/pulls'),
    ).toBe(true);
    expect(ourComments().map((c) => c.issue)).toEqual([number]);
  });

  it('comments on none of the upstream’s pull requests when the served repository is itself a fork', async () => {
    // GitHub lists, with a fork's check runs and its commit's pull requests, the upstream's pull requests
    // from the fork's branches too: their numbers are the upstream's, not this repository's.
    h.github.pulls.get(sha)!.push({
      number: 4711,
      state: 'open',
      head: { sha, ref: 'changes', repo: { full_name: `${owner}/${repo}` } },
      base: { ref: 'main', repo: { full_name: 'upstream-org/Hello-World' } },
    });
    // Started by CodePipeline's trigger (no PULL_REQUEST): the pull requests come from GitHub's listings.
    const listed = h.aws.pipelines.execute(PIPELINES.feature, { sha, owner, repo, branch: 'changes' });
    await h.pipelineEvent('execution', listed, 'STARTED');
    store(listed, (c) => sarifDocument(1, { ...c, pullRequest: undefined }));
    await gateDone(listed, 'Failed');
    expect(ourComments().map((c) => c.issue)).toEqual([number]);
    // Without a check run to list them with, from the commit's pull requests.
    const sha2 = 'cd'.repeat(20);
    h.github.pulls.set(sha2, [
      { number, state: 'open', head: { sha: sha2, ref: 'changes' } },
      {
        ...h.github.pulls.get(sha)![1]!,
        head: { sha: sha2, ref: 'changes', repo: { full_name: `${owner}/${repo}` } },
      },
    ]);
    const looked = h.aws.pipelines.execute(PIPELINES.feature, { sha: sha2, owner, repo, branch: 'changes' });
    store(looked, (c) => sarifDocument(1, { ...c, commit: sha2, pullRequest: undefined }));
    await gateDone(looked, 'Failed');
    expect(h.github.comments.filter((c) => c.issue === 4711)).toEqual([]);
  });

  it('follows comment.mode, a change once the instance’s config has aged out', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'comment:\n  mode: never\n');
    await gateDone(
      store(featureRun(), (c) => sarifDocument(3, c)),
      'Failed',
    );
    expect(ourComments()).toEqual([]);
    h.github.configs.set(`${owner}/${repo}`, 'comment:\n  mode: on-findings\n');
    // Within the config's time to live the instance still uses what it read: no comment yet.
    await gateDone(
      store(featureRun(), (c) => sarifDocument(1, c)),
      'Failed',
    );
    expect(ourComments()).toEqual([]);
    h.advance(CONFIG_CACHE_TTL_MS);
    await gateDone(store(featureRun(), (c) => sarifDocument(0, c)));
    expect(ourComments()).toEqual([]); // nothing to say and no comment to update
    await gateDone(
      store(featureRun(), (c) => sarifDocument(2, c)),
      'Failed',
    );
    expect(ourComments()).toHaveLength(1);
  });

  it('edits only its own comment, and removes duplicates a race left behind', async () => {
    const full = `${owner}/${repo}`;
    h.github.commentPageSize = 2; // the lookup pages through the thread
    h.github.addComment(full, number, `${COMMENT_MARKER}\nquoted by a human`, {
      login: 'octocat',
      type: 'User',
    });
    for (let i = 0; i < 3; i++) h.github.addComment(full, number, `chatter ${i}`);
    h.github.addComment(full, number, `${COMMENT_MARKER}\nold`, { login: 'pipewarden[bot]', type: 'Bot' });
    h.github.addComment(full, number, `${COMMENT_MARKER}\nduplicate`, {
      login: 'pipewarden[bot]',
      type: 'Bot',
    });
    await gateDone(
      store(featureRun(), (c) => sarifDocument(1, c)),
      'Failed',
    );
    const bots = ourComments().filter((c) => c.user.type === 'Bot');
    expect(bots).toHaveLength(1);
    expect(bots[0]!.body).toContain('security gate failed');
    expect(ourComments().find((c) => c.user.type === 'User')!.body).toContain('quoted by a human');
  });

  it('leaves another App’s bot comment with the marker alone: no delete of its own, no 403, the check is written', async () => {
    const full = `${owner}/${repo}`;
    // Older than ours, so "keep the oldest Bot comment" would pick it and delete the real one.
    const other = h.github.addComment(
      full,
      number,
      `${COMMENT_MARKER}\nanother app's text`,
      { login: 'copycat[bot]', type: 'Bot' },
      { id: 999_999, slug: 'copycat' },
    );
    const mine = h.github.addComment(full, number, `${COMMENT_MARKER}\nold`, {
      login: 'pipewarden[bot]',
      type: 'Bot',
    });
    await gateDone(
      store(featureRun(), (c) => sarifDocument(1, c)),
      'Failed',
    );
    expect(h.github.comments.find((c) => c.id === other.id)!.body).toBe(
      `${COMMENT_MARKER}\nanother app's text`,
    );
    expect(h.github.comments.find((c) => c.id === mine.id)!.body).toContain('security gate failed');
    // Never a write to another App's comment (it would be a 403 before the check is written).
    expect(
      h.github.requests.filter((r) => r.method !== 'GET' && r.path.endsWith(`/issues/comments/${other.id}`)),
    ).toEqual([]);
    expect(securityRuns()[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });
});

describe('findings that cannot be read are reported on the check, failing closed', () => {
  it.each([
    ['missing', undefined, /does not exist/],
    ['not JSON', '{"schemaVersion": "1.0", ', /is not JSON/],
    [
      'not a findings document',
      JSON.stringify({ schemaVersion: '2.0', findings: [] }),
      /not a findings document: schemaVersion/,
    ],
    [
      // Checked against the committed schema (issue 12): a title that is not text never reaches the renderer.
      'a findings document whose finding has a numeric title',
      JSON.stringify({
        ...sarifDocument(1, context),
        findings: [{ ...sarifDocument(1, context).findings[0], title: 5 }],
      }),
      /not a findings document: findings\\?\[0\\?\]\.title must be string/,
    ],
    ['refused by S3', { status: 403, code: 'AccessDenied' }, /AccessDenied|Access Denied|403/],
  ])('%s', async (_what, object, reason) => {
    const e = featureRun();
    if (object !== undefined) store(e, object);
    const result = await gateDone(e, 'Failed');
    expect(result.security).toMatchObject({ outcome: 'unavailable' });
    const [run] = securityRuns();
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Findings unavailable' }),
    });
    expect(run!.output.summary).toMatch(reason);
    expect(run!.output.summary).toContain('fail closed');
    expect(ourComments()).toEqual([]);
  });

  it('is neutral when the config allows missing reports', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'gate:\n  allowMissingReports: true\n');
    await gateDone(featureRun(), 'Failed');
    expect(securityRuns()[0]).toMatchObject({ conclusion: 'neutral' });
  });

  it('says which setting is missing when there is no findings bucket', async () => {
    await restart({ settings: { findingsBucket: undefined } });
    await gateDone(featureRun(), 'Failed');
    expect(securityRuns()[0]!.output.summary).toContain('`PIPEWARDEN_FINDINGS_BUCKET` is not set');
  });

  it('fails the check on an invalid config, naming the field, and still shows the findings', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'annotations:\n  max: lots\n');
    await gateDone(store(featureRun(), (c) => sarifDocument(0, c)));
    const [run] = securityRuns();
    expect(run).toMatchObject({
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Invalid .github/pipewarden.yml' }),
    });
    expect(run!.output.summary).toContain('annotations.max');
  });
});

describe('a run’s findings come only from its own execution’s key, and must name that run', () => {
  const other = 'a'.repeat(40); // commit A; the execution runs `sha` (commit B)

  it('a feature execution whose document says commit A cannot change commit B’s check', async () => {
    // The gate of this execution (at B) wrote, at its own key, a passing document that names commit A.
    const e = store(featureRun(), (c) => sarifDocument(0, { ...c, commit: other }));
    const result = await gateDone(e);
    expect(result.security).toMatchObject({ outcome: 'unavailable' });
    const [run] = securityRuns();
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Findings of another run' }),
    });
    expect(run!.output.summary).toContain(`is for commit ${other} / execution ${e.id}, not this run`);
    expect(run!.annotations).toEqual([]);
    // Neither commit A's checks nor the pull request's comment are touched.
    expect(h.github.runs(undefined, other)).toEqual([]);
    expect(ourComments()).toEqual([]);
  });

  it.each([
    [
      'another execution of the same commit',
      (c: ReturnType<typeof contextOf>) => ({
        ...c,
        pipelineExecutionId: '00000000-0000-4000-8000-000000000000',
      }),
      'execution 00000000-0000-4000-8000-000000000000',
    ],
    [
      'another pipeline',
      (c: ReturnType<typeof contextOf>) => ({ ...c, pipeline: PIPELINES.main }),
      `pipeline ${PIPELINES.main}`,
    ],
    [
      'no execution id at all',
      (c: ReturnType<typeof contextOf>) => ({ ...c, pipelineExecutionId: undefined }),
      'execution \\(none\\)', // Markdown-escaped
    ],
    [
      'another repository',
      (c: ReturnType<typeof contextOf>) => ({ ...c, repo: 'mallory/Hello-World' }),
      'repository mallory/Hello-World',
    ],
  ])('fails closed on a document of %s', async (_what, change, named) => {
    h.github.configs.set(`${owner}/${repo}`, 'gate:\n  allowMissingReports: true\n');
    const e = store(featureRun(), (c) => sarifDocument(0, change(c)));
    await gateDone(e);
    const [run] = securityRuns();
    // allowMissingReports makes a missing document neutral, never another run's document.
    expect(run).toMatchObject({
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Findings of another run' }),
    });
    expect(run!.output.summary).toContain(named);
  });

  it('never reads commits/<sha>/findings.json, even when a passing document waits there', async () => {
    const e = featureRun();
    const planted = `${commitPrefix(`${owner}/${repo}`, sha)}${FINDINGS_FILE}`;
    h.aws.s3.objects.set(planted, JSON.stringify(sarifDocument(0, contextOf(e))));
    await gateDone(e);
    expect(h.aws.s3.gets).toEqual([keyOf(e)]);
    expect(securityRuns()[0]).toMatchObject({
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Findings unavailable' }),
    });
    expect(securityRuns()[0]!.output.summary).toContain(`${keyOf(e)} does not exist`);
  });

  it('reads each execution’s own document: the main pipeline’s gate at the same commit', async () => {
    const main = h.aws.pipelines.execute(PIPELINES.main, { sha, owner, repo, branch: 'master' });
    store(main, (c) => sarifDocument(2, { ...c, pullRequest: undefined }));
    const feature = store(featureRun(), (c) => sarifDocument(0, c));
    await gateDone(feature);
    expect(securityRuns()[0]).toMatchObject({ conclusion: 'success' });
    await gateDone(main, 'Failed');
    expect(h.aws.s3.gets).toEqual([keyOf(feature), keyOf(main)]);
    expect(keyOf(main)).toContain(`/pipelines/${PIPELINES.main}/executions/${main.id}/`);
    // The check now shows the main execution's document (2 findings, gate failed), not the feature one's.
    expect(securityRuns().at(-1)).toMatchObject({ conclusion: 'failure' });
    expect(securityRuns().at(-1)!.output.title).toMatch(/^Gate failed/);
  });
});
