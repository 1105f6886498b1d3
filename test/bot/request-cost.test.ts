import { PIPELINE_EVENT_TYPES } from '../../pipeline/contracts.js';
import { describe, expect, it } from '@jest/globals';
import { COMMENT_MARKER } from '../../findings/render/render-markdown.js';
import { executionFindingsKey } from '../../findings/store/store-layout.js';
import { CheckRunCache } from '../../bot/github/check-run-cache.js';
import { CONFIG_CACHE_TTL_MS } from '../../bot/github/config-cache.js';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { STAGES, type Execution } from './helpers/fake-aws.js';
import { realDocument } from './helpers/findings.js';
import { PIPELINES, type Harness } from './helpers/harness.js';
import { openedPullRequest, pullRequestRun, useHarness } from './helpers/use-harness.js';

// Issue 16: the GitHub requests one pipeline run costs, which bound how many repositories one installation
// can serve (docs/limits.md). The checks must end exactly as before; only the requests to get there shrink.

let h: Harness;
const opened = openedPullRequest();
const { pr, owner, repo, sha } = opened;

useHarness((started) => (h = started), { pullRequest: opened });

const installationRequests = () =>
  h.github.requests.filter((r) => !r.path.endsWith('/access_tokens') && !r.path.endsWith('/installation'));
const kinds = (from: number) =>
  installationRequests()
    .slice(from)
    .map((r) => `${r.method} ${r.template ?? r.path}`);
const tally = (list: string[]) =>
  list.reduce<Record<string, number>>((t, k) => ({ ...t, [k]: (t[k] ?? 0) + 1 }), {});

/**
 * Every event CodePipeline emits for one run, in order, the gate writing findings; `seen(title)` after each
 * event the pipeline check was written for, with its title and buttons.
 */
async function featureRun(
  e: Execution,
  kind: 'feature' | 'main' = 'feature',
): Promise<{ skipped: string[]; shown: string[] }> {
  const skipped: string[] = [];
  const shown: string[] = [];
  const send = async (type: 'execution' | 'stage' | 'action', state: string, stage?: string) => {
    const before = installationRequests().length;
    const writes = h.github.runs(CHECK_NAMES.pipeline, e.sha)[0]?.writes.length ?? 0;
    const result = await h.pipelineEvent(type, e, state, stage);
    if (result.outcome === 'skipped') {
      // A skipped event costs nothing at all.
      expect(installationRequests().length).toBe(before);
      skipped.push(`${type} ${stage ?? ''} ${state}`.replace(/\s+/g, ' '));
    }
    const run = h.github.runs(CHECK_NAMES.pipeline, e.sha)[0];
    if (run && run.writes.length > writes)
      shown.push(`${run.output.title} [${run.actions.map((a) => a.identifier).join(',')}]`);
  };
  await send('execution', 'STARTED');
  for (const stage of STAGES[kind]!) {
    if (stage.name !== 'Source') h.aws.pipelines.setStage(e, stage.name, 'InProgress');
    await send('stage', 'STARTED', stage.name);
    for (const _ of stage.actions) await send('action', 'STARTED', stage.name);
    if (stage.name === 'Gate')
      h.aws.s3.objects.set(
        executionFindingsKey(`${owner}/${repo}`, e.pipeline, e.id),
        JSON.stringify(
          realDocument({
            repo: `${owner}/${repo}`,
            commit: e.sha,
            branch: e.branch,
            pipeline: e.pipeline,
            pipelineExecutionId: e.id,
          }),
        ),
      );
    if (stage.name !== 'Source') h.aws.pipelines.setStage(e, stage.name, 'Succeeded');
    for (const _ of stage.actions) await send('action', 'SUCCEEDED', stage.name);
    await send('stage', 'SUCCEEDED', stage.name);
  }
  e.status = 'Succeeded';
  await send('execution', 'SUCCEEDED');
  return { skipped, shown };
}

describe('the GitHub requests of one pipeline run', () => {
  it('writes the pipeline check at the execution’s start and end, the security check once, and ends as before', async () => {
    await h.receive('pull_request.opened', pr);
    const from = installationRequests().length;
    const e = pullRequestRun(h, opened);
    const { skipped, shown } = await featureRun(e);

    // Every action event, every stage event where no person waits, and the gate's end (the feature
    // pipeline's last stage: the execution's end follows at once and publishes) change nothing on their own.
    const actions = STAGES.feature!.reduce((n, s) => n + 2 * s.actions.length, 0);
    expect(skipped.filter((s) => s.startsWith('action'))).toHaveLength(actions);
    expect(skipped.filter((s) => s.startsWith('stage'))).toEqual([
      'stage Source STARTED',
      'stage Source SUCCEEDED',
      'stage Build STARTED',
      'stage Build SUCCEEDED',
      'stage Gate STARTED',
      'stage Gate SUCCEEDED',
    ]);
    expect(shown).toEqual(['Running [stop]', 'Succeeded []']);

    const made = tally(kinds(from));
    expect(made).toEqual({
      // The start looks for a check (a redelivery, a re-run) and creates it; the end looks both checks up
      // in one request (a final state is always checked: a newer execution may have taken the check).
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 2,
      'POST /repos/{owner}/{repo}/check-runs': 2,
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': 1,
      // The comment: looked for by its marker, then created (the pull request is the execution's variable).
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': 1,
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': 1,
      // No config read: the webhook read it a moment ago in this instance (ConfigCache).
    });

    // What the checks and the comment show is what they showed when every event was followed.
    const [pipeline] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(pipeline).toMatchObject({ status: 'completed', conclusion: 'success' });
    for (const stage of STAGES.feature!) expect(pipeline!.output.summary).toContain(`| ${stage.name} |`);
    const security = h.github.runs(CHECK_NAMES.security, sha);
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ status: 'completed' });
    // Created once, complete, with its annotations: never queued, never patched.
    expect(security[0]!.writes).toHaveLength(1);
    expect(security[0]!.writes[0]).toMatchObject({ status: 'completed' });
    expect(security[0]!.annotations.length).toBeGreaterThan(0);
    expect(security[0]!.external_id).toMatch(/^findings:[0-9a-f]{32}$/);
    expect(h.github.comments.filter((c) => c.body.startsWith(COMMENT_MARKER))).toHaveLength(1);
  });

  it('finds the pull request in the check runs GitHub lists, when CodePipeline’s trigger started the run', async () => {
    await h.receive('pull_request.opened', pr);
    const from = installationRequests().length;
    // No PULL_REQUEST variable: the run was not started by the bot.
    const e = h.aws.pipelines.execute(PIPELINES.feature, { sha, owner, repo, branch: opened.branch });
    await featureRun(e);
    expect(kinds(from)).not.toContain('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls');
    expect(h.github.comments.filter((c) => c.body.startsWith(COMMENT_MARKER))).toEqual([
      expect.objectContaining({ issue: opened.number }),
    ]);
  });

  it('shows the main pipeline running, the gate’s result, the approval with its buttons, the decision and the end', async () => {
    h.github.installations.set(`${owner}/${repo}`, 1);
    // The merge commit: no open pull request has it as head.
    const merge = 'ab'.repeat(20);
    const e = h.aws.pipelines.execute(PIPELINES.main, { sha: merge, owner, repo });
    const from = installationRequests().length;
    const { shown, skipped } = await featureRun(e, 'main');
    // The buttons come with the approval's own start, not its stage's (which may come before it).
    expect(skipped).toContain('stage Approval STARTED');
    expect(skipped).not.toContain('action Approval STARTED');
    expect(shown).toEqual([
      'Running [stop]',
      // The gate's end: stages follow it, so the check shows the gate's result while they run.
      'Running [stop]',
      'Waiting for approval (Approval) [approve,reject,stop]',
      'Running: Production [stop]',
      'Succeeded []',
    ]);
    const [gateWrite] = h.github
      .runs(CHECK_NAMES.pipeline, merge)[0]!
      .writes.filter((w) => /\| Gate \| ✅ Succeeded/.test((w.output as { summary: string }).summary));
    expect(gateWrite).toBeDefined();
    expect(h.github.runs(CHECK_NAMES.security, merge)).toHaveLength(1);
    // One instance: its record of the check stands in for the lookups while the run goes.
    expect(tally(kinds(from))).toEqual({
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 3,
      'GET /repos/{owner}/{repo}/contents/{path}': 2,
      'POST /repos/{owner}/{repo}/check-runs': 2,
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': 4,
    });
  });

  it('settles with one lookup when another instance holds no record of the run', async () => {
    await h.receive('pull_request.opened', pr);
    const e = pullRequestRun(h, opened);
    await featureRun(e);
    // A second Lambda instance (its own, empty memory) handles a redelivered execution end.
    const other = startHarnessLike(h);
    const from = installationRequests().length;
    const result = await other(e);
    expect(result.security).toMatchObject({ outcome: 'unchanged' });
    // Both checks in one lookup, no config read, nothing written.
    expect(tally(kinds(from))).toEqual({ 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 1 });
  });
});

describe('the GitHub requests of a pull request update', () => {
  it('reads the config (the repository’s file, then the organisation’s) once per instance and TTL', async () => {
    await h.receive('pull_request.opened', pr);
    expect(tally(kinds(0))).toEqual({ 'GET /repos/{owner}/{repo}/contents/{path}': 2 });
    expect(h.github.runs(undefined, sha)).toEqual([]);
    const from = installationRequests().length;
    await h.receive('pull_request.synchronize', pr);
    expect(kinds(from)).toEqual([]);
    h.advance(CONFIG_CACHE_TTL_MS);
    await h.receive('pull_request.synchronize', pr);
    expect(tally(kinds(from))).toEqual({ 'GET /repos/{owner}/{repo}/contents/{path}': 2 });
  });

  it('reads the organisation’s fallback once for all its repositories', async () => {
    const other = structuredClone(pr);
    other.repository.name = `${repo}-two`;
    other.repository.full_name = `${owner}/${repo}-two`;
    other.pull_request.head.repo.full_name = other.repository.full_name;
    h.github.installations.set(other.repository.full_name, pr.installation.id);
    await h.receive('pull_request.opened', pr);
    await h.receive('pull_request.opened', other);
    const read = h.github.requests
      .filter((r) => r.template === '/repos/{owner}/{repo}/contents/{path}')
      .map((r) => r.path.split('/contents/')[0]);
    expect(read).toEqual([
      `/repos/${owner}/${repo}`,
      `/repos/${owner}/.github`,
      `/repos/${owner}/${repo}-two`,
    ]);
  });
});

describe('CheckRunCache', () => {
  const ref = { owner: 'Acme', repo: 'App' };
  const run = (id: number) => ({
    id,
    status: 'in_progress',
    conclusion: null,
    externalId: 'x',
    annotationsCount: 0,
    title: 't',
    summary: 's',
  });
  it('keys by repository (any case), commit and check name, and drops the oldest past its capacity', () => {
    const cache = new CheckRunCache(2);
    cache.set(ref, 'a', CHECK_NAMES.pipeline, run(1));
    expect(cache.get({ owner: 'acme', repo: 'app' }, 'a', CHECK_NAMES.pipeline)?.id).toBe(1);
    expect(cache.get(ref, 'a', CHECK_NAMES.security)).toBeUndefined();
    cache.set(ref, 'b', CHECK_NAMES.pipeline, run(2));
    cache.get(ref, 'a', CHECK_NAMES.pipeline);
    cache.set(ref, 'a', CHECK_NAMES.pipeline, run(3)); // refreshed: now the newest
    cache.set(ref, 'c', CHECK_NAMES.pipeline, run(4));
    expect(cache.size).toBe(2);
    expect(cache.get(ref, 'b', CHECK_NAMES.pipeline)).toBeUndefined();
    expect(cache.get(ref, 'a', CHECK_NAMES.pipeline)?.id).toBe(3);
  });
});

/** The execution-end event handled by a fresh pipeline-event handler, as another Lambda instance would. */
function startHarnessLike(harness: Harness) {
  return async (e: Execution) => {
    const { createPipelineEventHandler } = await import('../../bot/app.js');
    // Its own options object: its own caches, as another Lambda environment has.
    const handler = createPipelineEventHandler(harness.probot, { ...harness.options });
    return handler({
      source: 'aws.codepipeline',
      'detail-type': PIPELINE_EVENT_TYPES.execution,
      detail: { pipeline: e.pipeline, 'execution-id': e.id, state: 'SUCCEEDED' },
    });
  };
}
