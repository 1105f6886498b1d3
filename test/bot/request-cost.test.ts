import { PIPELINE_EVENT_TYPES } from '../../pipeline/contracts.js';
import { describe, expect, it } from '@jest/globals';
import { COMMENT_MARKER } from '../../findings/render/render-markdown.js';
import { executionFindingsKey } from '../../findings/store/store-layout.js';
import { CheckRunCache } from '../../bot/github/check-run-cache.js';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { STAGES, type Execution } from './helpers/fake-aws.js';
import { realDocument } from './helpers/findings.js';
import type { Harness } from './helpers/harness.js';
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

/** Every event CodePipeline emits for one run of the feature pipeline, in order, the gate writing findings. */
async function featureRun(e: Execution): Promise<{ skipped: string[] }> {
  const skipped: string[] = [];
  const send = async (kind: 'execution' | 'stage' | 'action', state: string, stage?: string) => {
    const before = installationRequests().length;
    const result = await h.pipelineEvent(kind, e, state, stage);
    if (result.outcome === 'skipped') {
      // A skipped event costs nothing at all.
      expect(installationRequests().length).toBe(before);
      skipped.push(`${kind} ${stage ?? ''} ${state}`.replace(/\s+/g, ' '));
    }
  };
  await send('execution', 'STARTED');
  for (const stage of STAGES.feature!) {
    if (stage.name !== 'Source') h.aws.pipelines.setStage(e, stage.name, 'InProgress');
    await send('stage', 'STARTED', stage.name);
    for (const _ of stage.actions) await send('action', 'STARTED', stage.name);
    if (stage.name === 'Gate')
      h.aws.s3.objects.set(
        executionFindingsKey(`${owner}/${repo}`, e.pipeline, e.id),
        JSON.stringify(
          realDocument({
            repo: `${owner}/${repo}`,
            commit: sha,
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
  return { skipped };
}

describe('the GitHub requests of one pipeline run', () => {
  it('follows the execution and its stages only, publishes the security check once, and ends as before', async () => {
    await h.receive('pull_request.opened', pr);
    const from = installationRequests().length;
    const e = pullRequestRun(h, opened);
    const { skipped } = await featureRun(e);

    // Every action event, and each non-gate stage's success, changes nothing on its own.
    const actions = STAGES.feature!.reduce((n, s) => n + 2 * s.actions.length, 0);
    expect(skipped.filter((s) => s.startsWith('action'))).toHaveLength(actions);
    expect(skipped.filter((s) => s.startsWith('stage'))).toEqual([
      'stage Source SUCCEEDED',
      'stage Build SUCCEEDED',
    ]);

    const made = tally(kinds(from));
    // The pipeline check is looked up at the execution's start and at its end (a final state is always
    // checked: a newer execution may have taken the check); the security check once, when it is published.
    expect(made['GET /repos/{owner}/{repo}/commits/{ref}/check-runs']).toBe(3);
    // The config is read for the one publication (the repository's file, then the organisation's .github).
    expect(made['GET /repos/{owner}/{repo}/contents/{path}']).toBe(2);
    // The pipeline check: start, each stage's start, the gate's end, the execution's end; the security check once.
    expect(made['PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}']).toBe(6);
    expect(made['POST /repos/{owner}/{repo}/check-runs']).toBeUndefined();
    // The comment: looked for by its marker, then created (the pull request is the execution's variable).
    expect(made['GET /repos/{owner}/{repo}/issues/{issue_number}/comments']).toBe(1);
    expect(made['POST /repos/{owner}/{repo}/issues/{issue_number}/comments']).toBe(1);
    expect(Object.values(made).reduce((a, b) => a + b, 0)).toBe(13);

    // What the checks and the comment show is what they showed when every event was followed.
    const [pipeline] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(pipeline).toMatchObject({ status: 'completed', conclusion: 'success' });
    for (const stage of STAGES.feature!) expect(pipeline!.output.summary).toContain(`| ${stage.name} |`);
    const security = h.github.runs(CHECK_NAMES.security, sha);
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ status: 'completed' });
    expect(security[0]!.external_id).toMatch(/^findings:[0-9a-f]{32}$/);
    expect(h.github.comments.filter((c) => c.body.startsWith(COMMENT_MARKER))).toHaveLength(1);
  });

  it('publishes again, with a lookup, when another instance holds no record of the run', async () => {
    await h.receive('pull_request.opened', pr);
    const e = pullRequestRun(h, opened);
    await featureRun(e);
    // A second Lambda instance (its own, empty cache) handles a redelivered execution end.
    const other = startHarnessLike(h);
    const from = installationRequests().length;
    const result = await other(e);
    expect(result.security).toMatchObject({ outcome: 'unchanged' });
    // One lookup per check, no config read, nothing written.
    expect(tally(kinds(from))).toEqual({ 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 2 });
  });
});

describe('the GitHub requests of a pull request update', () => {
  it('looks up both checks in one request, and a redelivery adds no check run', async () => {
    await h.receive('pull_request.opened', pr);
    expect(tally(kinds(0).filter((k) => k.includes('check-runs')))).toEqual({
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 1,
      'POST /repos/{owner}/{repo}/check-runs': 2,
    });
    const from = installationRequests().length;
    await h.receive('pull_request.opened', pr);
    expect(tally(kinds(from).filter((k) => k.includes('check-runs')))).toEqual({
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 1,
    });
    expect(h.github.runs(CHECK_NAMES.pipeline, sha)).toHaveLength(1);
    expect(h.github.runs(CHECK_NAMES.security, sha)).toHaveLength(1);
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
    const handler = createPipelineEventHandler(harness.probot, harness.options);
    return handler({
      source: 'aws.codepipeline',
      'detail-type': PIPELINE_EVENT_TYPES.execution,
      detail: { pipeline: e.pipeline, 'execution-id': e.id, state: 'SUCCEEDED' },
    });
  };
}
