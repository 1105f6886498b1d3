import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { COMMENT_MARKER } from '../../findings/render/render-markdown.js';
import { findingsKey } from '../../bot/aws/read-findings.js';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import type { Execution } from './helpers/fake-aws.js';
import { realDocument, sarifDocument } from './helpers/findings.js';
import { example, PIPELINES, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
const pr = example('pull_request', 'opened');
const [owner, repo] = pr.repository.full_name.split('/') as [string, string];
const sha: string = pr.pull_request.head.sha;
const number: number = pr.pull_request.number;
const context = {
  repo: `${owner}/${repo}`,
  commit: sha,
  branch: pr.pull_request.head.ref,
  pullRequest: number,
};
const key = findingsKey(owner, repo, sha);

beforeEach(async () => {
  h = await startHarness();
  h.github.installations.set(`${owner}/${repo}`, pr.installation.id);
  h.github.pulls.set(sha, [{ number, state: 'open', head: { sha } }]);
});
afterEach(async () => {
  expect(h.github.violations).toEqual([]);
  await h.close();
});

/** A feature-pipeline execution of the pull request's head, started by the bot (PULL_REQUEST set). */
function featureRun(): Execution {
  return h.aws.pipelines.execute(PIPELINES.feature, {
    sha,
    owner,
    repo,
    branch: pr.pull_request.head.ref,
    variables: { PULL_REQUEST: String(number) },
  });
}

/** The gate ran and wrote findings.json: stage events up to the gate's end. */
async function gateDone(e: Execution, status = 'Succeeded') {
  h.aws.pipelines.progress(e, 'Gate', status);
  return h.pipelineEvent('stage', e, status === 'Succeeded' ? 'SUCCEEDED' : 'FAILED', 'Gate');
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

    h.aws.pipelines.setStage(e, 'Build', 'InProgress');
    await h.pipelineEvent('stage', e, 'STARTED', 'Build');
    expect(run!.output.title).toBe('Running: Build');

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

  it.each([
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

describe('security check and pull-request comment when the gate has run', () => {
  it('publishes the findings of a real scan: gate conclusion, counts, annotations, one comment', async () => {
    const doc = realDocument(context);
    h.aws.s3.objects.set(key, JSON.stringify(doc));
    const e = featureRun();
    const result = await gateDone(e, 'Failed');
    expect(result.security).toMatchObject({ outcome: 'published' });
    const [run] = securityRuns();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.title).toBe(`Gate failed: ${doc.gate!.failing} findings at HIGH or worse`);
    expect(run!.output.summary).toMatch(/\| Severity \| New \| Existing \| Fixed \| Suppressed \|/);
    expect(run!.annotations.length).toBeGreaterThan(0);
    expect(run!.output.text).toContain('security gate failed');
    expect(h.aws.s3.gets).toEqual([key]);
    expect(ourComments()).toEqual([
      expect.objectContaining({ issue: number, user: { login: 'pipewarden[bot]', type: 'Bot' } }),
    ]);
  });

  it('creates nothing twice for repeated gate and execution events', async () => {
    h.aws.s3.objects.set(key, JSON.stringify(realDocument(context)));
    const e = featureRun();
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
    // Only the pipeline check moved to "failed": no security or comment write.
    expect(h.github.writes().length - writes).toBe(1);
  });

  it('edits the comment in place when a new document replaces the old one', async () => {
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(3, context)));
    await gateDone(featureRun(), 'Failed');
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(0, context)));
    await gateDone(featureRun());
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
      h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(n, context)));
      const e = featureRun();
      h.aws.pipelines.progress(e, 'Gate', n ? 'Failed' : 'Succeeded');
      const before = checkWrites().length;
      await h.pipelineEvent('stage', e, 'SUCCEEDED', 'Gate');
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
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(5000, context)));
    await gateDone(featureRun(), 'Failed');
    const [comment] = ourComments();
    expect(comment!.body.length).toBeLessThanOrEqual(65_536);
    expect(comment!.body.length).toBeGreaterThan(65_536 - 1_000);
    expect(comment!.body).toMatch(/more findings\*\* not shown/);
  });

  it('escapes scanner text before it reaches GitHub', async () => {
    const evil = () =>
      '<img src=x onerror=alert(1)> ping @octo-org/admins, see #1 [click](javascript:alert(1))';
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(2, context, evil)));
    await gateDone(featureRun(), 'Failed');
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
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(400, context)));
    const e = featureRun();
    h.aws.pipelines.progress(e, 'Gate', 'Failed');
    let patches = 0;
    h.github.intercept = (req) =>
      req.method === 'PATCH' &&
      req.template === '/repos/{owner}/{repo}/check-runs/{check_run_id}' &&
      ++patches === 4
        ? [502, { message: 'Bad Gateway' }]
        : undefined;
    await expect(h.pipelineEvent('stage', e, 'FAILED', 'Gate')).rejects.toThrow();
    h.github.intercept = undefined;
    const partial = securityRuns()[0]!.annotations.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(400);
    const result = await h.pipelineEvent('stage', e, 'FAILED', 'Gate'); // EventBridge retries
    expect(result.security).toMatchObject({ outcome: 'resumed', annotations: 400 - partial });
    expect(securityRuns()).toHaveLength(1);
    expect(securityRuns()[0]!.annotations).toHaveLength(400);
    expect(securityRuns()[0]!.status).toBe('completed');
    expect(ourComments()).toHaveLength(1);
  });

  it('finds the pull request from the commit when the execution does not name it', async () => {
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(1, { ...context, pullRequest: undefined })));
    const e = h.aws.pipelines.execute(PIPELINES.feature, { sha, owner, repo, branch: 'changes' });
    await gateDone(e, 'Failed');
    expect(
      h.github.requests.some((r) => r.template === '/repos/{owner}/{repo}/commits/{commit_sha}/pulls'),
    ).toBe(true);
    expect(ourComments().map((c) => c.issue)).toEqual([number]);
  });

  it('follows comment.mode', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'comment:\n  mode: never\n');
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(3, context)));
    await gateDone(featureRun(), 'Failed');
    expect(ourComments()).toEqual([]);
    h.github.configs.set(`${owner}/${repo}`, 'comment:\n  mode: on-findings\n');
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(0, context)));
    await gateDone(featureRun());
    expect(ourComments()).toEqual([]); // nothing to say and no comment to update
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(2, context)));
    await gateDone(featureRun(), 'Failed');
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
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(1, context)));
    await gateDone(featureRun(), 'Failed');
    const bots = ourComments().filter((c) => c.user.type === 'Bot');
    expect(bots).toHaveLength(1);
    expect(bots[0]!.body).toContain('security gate failed');
    expect(ourComments().find((c) => c.user.type === 'User')!.body).toContain('quoted by a human');
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
    ['refused by S3', { status: 403, code: 'AccessDenied' }, /AccessDenied|Access Denied|403/],
  ])('%s', async (_what, object, reason) => {
    if (object !== undefined) h.aws.s3.objects.set(key, object);
    const result = await gateDone(featureRun(), 'Failed');
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
    await h.close();
    h = await startHarness({ settings: { findingsBucket: undefined } });
    h.github.installations.set(`${owner}/${repo}`, pr.installation.id);
    await gateDone(featureRun(), 'Failed');
    expect(securityRuns()[0]!.output.summary).toContain('`PIPEWARDEN_FINDINGS_BUCKET` is not set');
  });

  it('fails the check on an invalid config, naming the field, and still shows the findings', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'annotations:\n  max: lots\n');
    h.aws.s3.objects.set(key, JSON.stringify(sarifDocument(0, context)));
    await gateDone(featureRun());
    const [run] = securityRuns();
    expect(run).toMatchObject({
      conclusion: 'failure',
      output: expect.objectContaining({ title: 'Invalid .github/pipewarden.yml' }),
    });
    expect(run!.output.summary).toContain('annotations.max');
  });
});
