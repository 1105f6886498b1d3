import { PIPELINE_VARIABLES } from '../../pipeline/contracts.js';
import { requestToken } from '../../pipeline/start-at-commit.js';
import { describe, expect, it } from '@jest/globals';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import type { SyncResult } from '../../bot/handlers/sync-pipeline-check.js';
import { CONFIG_CACHE_TTL_MS } from '../../bot/github/config-cache.js';
import { example, PIPELINES, type Harness } from './helpers/harness.js';
import { useHarness } from './helpers/use-harness.js';

let h: Harness;
const restart = useHarness((started) => (h = started));

const opened = () => example('pull_request', 'opened');
const repoOf = (p: ReturnType<typeof opened>): string => p.repository.full_name;

describe('pull_request opened / synchronize / reopened', () => {
  it('writes no check when the trigger runs the pipeline: its run creates the check as it starts', async () => {
    const payload = opened();
    const res = await h.send('pull_request', payload);
    expect(res.status).toBe(200);
    const sha = payload.pull_request.head.sha;
    // Issue 16: a queued check here cost a lookup and a create on every update. The config was read.
    expect(h.github.runs(undefined, sha)).toEqual([]);
    expect(h.github.writes()).toEqual([]);
    expect(h.github.requests.map((r) => r.template)).toContain('/repos/{owner}/{repo}/contents/{path}');
    // No config asks for a start: the V2 pull-request trigger runs the pipeline, the bot does not.
    expect(h.aws.pipelines.started).toEqual([]);
  });

  it('gives a fork’s pull request a queued pipeline check (for Re-run), once for a redelivery or a reopen', async () => {
    const fromFork = (p: ReturnType<typeof opened>) => {
      p.pull_request.head.repo.full_name = 'mallory/fork';
      return p;
    };
    const payload = fromFork(opened());
    const id = 'f0e1d2c3-0000-4000-8000-000000000001';
    await h.send('pull_request', payload, { id });
    await h.send('pull_request', payload, { id });
    const reopened = fromFork(opened());
    reopened.action = 'reopened';
    await h.send('pull_request', reopened);
    const sha = payload.pull_request.head.sha;
    const runs = h.github.runs(undefined, sha);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: CHECK_NAMES.pipeline, status: 'queued', repo: repoOf(payload) });
    // The security check is created when a gate has run, never before.
    expect(h.github.writes().filter((w) => w.method === 'POST')).toHaveLength(1);
  });

  it('starts the feature pipeline at the exact commit when the config asks for it', async () => {
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    const id = 'f0e1d2c3-0000-4000-8000-000000000002';
    expect((await h.send('pull_request', payload, { id })).status).toBe(200);
    const pr = payload.pull_request;
    expect(h.aws.pipelines.started).toEqual([
      {
        name: PIPELINES.feature,
        sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: pr.head.sha }],
        variables: [
          { name: PIPELINE_VARIABLES.pullRequest, value: String(pr.number) },
          { name: PIPELINE_VARIABLES.headBranch, value: pr.head.ref },
          { name: PIPELINE_VARIABLES.baseBranch, value: pr.base.ref },
        ],
        clientRequestToken: requestToken(id),
      },
    ]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, pr.head.sha);
    const execution = [...h.aws.pipelines.executions.values()][0]!;
    expect(run).toMatchObject({ status: 'in_progress', external_id: `${PIPELINES.feature}:${execution.id}` });
    expect(run!.details_url).toContain(`/pipelines/${PIPELINES.feature}/executions/${execution.id}/`);

    // Written queued before the start, then updated with the execution.
    expect(run!.writes.map((w) => w.status)).toEqual(['queued', 'in_progress']);

    // Redelivered: CodePipeline gets the same token, so one execution; GitHub gets no second check run,
    // and the check, which follows that execution already, is not written again.
    await h.send('pull_request', payload, { id });
    expect(h.aws.pipelines.executions.size).toBe(1);
    expect(h.github.runs(CHECK_NAMES.pipeline, pr.head.sha)).toHaveLength(1);
    expect(run!.writes).toHaveLength(2);
  });

  it('starts the feature pipeline when the config names it', async () => {
    const payload = opened();
    h.github.configs.set(
      repoOf(payload),
      `pipeline:\n  startOnPullRequest: true\n  name: ${PIPELINES.feature}\n`,
    );
    await h.send('pull_request', payload);
    expect(h.aws.pipelines.started.map((s) => s.name)).toEqual([PIPELINES.feature]);
  });

  it('never starts the main pipeline (it deploys) at a pull request’s head, even when the config names it', async () => {
    const payload = opened();
    const sha: string = payload.pull_request.head.sha;
    h.github.branches.set(repoOf(payload), new Map([['master', ['f'.repeat(40)]]]));
    h.github.configs.set(
      repoOf(payload),
      `pipeline:\n  startOnPullRequest: true\n  name: ${PIPELINES.main}\n`,
    );
    await h.send('pull_request', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Pipeline not started' } });
    expect(run!.output.summary).toContain(
      `**${PIPELINES.main}** deploys, so the bot starts it only at a commit on master; this pull request’s head \`${sha.slice(0, 12)}\` is not on it.`,
    );
    expect(
      h.github.requests.find((r) => r.template === '/repos/{owner}/{repo}/compare/{basehead}')?.path,
    ).toBe(`/repos/${repoOf(payload)}/compare/master...${sha}`);
  });

  it('reports an invalid config on the check, naming the field, and starts nothing', async () => {
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: yes please\n');
    expect((await h.send('pull_request', payload)).status).toBe(200);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.title).toContain('pipewarden.yml');
    expect(run!.output.summary).toContain('pipeline.startOnPullRequest');
    expect(h.aws.pipelines.started).toEqual([]);
  });

  it('does not build a fork’s pull request by itself', async () => {
    const payload = opened();
    payload.pull_request.head.repo.full_name = 'mallory/Hello-World';
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    await h.send('pull_request', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(run!.output.title).toBe('Not started: pull request from a fork');
    expect(run!.output.summary).toContain(
      'A user with the **maintain** or **admin** permission on this repository (or listed in `approvals.approvers` of .github/pipewarden.yml) can press **Re-run** on this check to build it',
    );
  });

  it('never turns a commit’s failed check neutral for a fork’s pull request at that commit', async () => {
    const payload = opened();
    const sha: string = payload.pull_request.head.sha;
    h.github.installations.set(repoOf(payload), payload.installation.id as number);
    // A same-repository branch's run at this commit failed.
    const e = h.aws.pipelines.execute(PIPELINES.feature, { sha, branch: 'changes' });
    h.aws.pipelines.progress(e, 'Build', 'Failed');
    e.status = 'Failed';
    await h.pipelineEvent('execution', e, 'FAILED');
    const [failed] = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(failed).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const writes = failed!.writes.length;
    // A fork opens a pull request whose head is that commit (neutral would satisfy a required check).
    payload.pull_request.head.repo.full_name = 'mallory/Hello-World';
    for (const config of ['pipeline:\n  startOnPullRequest: true\n', '']) {
      h.github.configs.set(repoOf(payload), config);
      h.advance(CONFIG_CACHE_TTL_MS);
      await h.send('pull_request', payload);
      expect(h.github.runs(CHECK_NAMES.pipeline, sha)).toEqual([failed]);
      expect(failed).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(failed!.writes).toHaveLength(writes);
    }
    expect(h.aws.pipelines.started).toEqual([]);
  });

  it('shows a failed start on the check instead of failing the delivery', async () => {
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n  name: not-ours\n');
    expect((await h.send('pull_request', payload)).status).toBe(200);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Pipeline not started' },
    });
    expect(run!.output.summary).toContain('not-ours');
    expect(run!.output.summary).toContain('PIPEWARDEN_PIPELINES');
  });
});

describe('the bot starts the pipeline: one pipeline check, whichever of the webhook and the run’s start comes first', () => {
  /** A pull request whose config asks the bot to start the pipeline, its installation known to the bot. */
  const startingPullRequest = () => {
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    h.github.installations.set(repoOf(payload), payload.installation.id as number);
    return payload;
  };
  const executionOf = () => [...h.aws.pipelines.executions.values()][0]!;

  it('the webhook first, then the execution’s STARTED on another instance: it updates the run', async () => {
    await restart({ instances: 2 });
    const payload = startingPullRequest();
    await h.send('pull_request', payload);
    const result = await h.pipelineEvent('execution', executionOf(), 'STARTED', undefined, 1);
    const runs = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(runs).toHaveLength(1);
    expect(result.checkRunId).toBe(runs[0]!.id);
    expect(runs[0]).toMatchObject({
      status: 'in_progress',
      external_id: `${PIPELINES.feature}:${executionOf().id}`,
    });
  });

  it('the execution’s STARTED handled while the webhook is still starting it: it adopts the queued run', async () => {
    await restart({ instances: 2 });
    const payload = startingPullRequest();
    const sha: string = payload.pull_request.head.sha;
    let atStart: unknown[] = [];
    let started: SyncResult | undefined;
    // Another instance handles the run's STARTED as soon as CodePipeline has started it, before the webhook's
    // handler goes on: a check written only after the start would be looked up and created by both.
    h.options.aws.codepipeline.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'StartPipelineExecutionCommand')
          atStart = structuredClone(h.github.runs(CHECK_NAMES.pipeline, sha));
        const out = await next(args);
        if (context.commandName === 'StartPipelineExecutionCommand')
          started = await h.pipelineEvent('execution', executionOf(), 'STARTED', undefined, 1);
        return out;
      },
      { step: 'initialize', name: 'runStartedMeanwhile' },
    );
    await h.send('pull_request', payload);
    expect(atStart).toEqual([expect.objectContaining({ status: 'queued' })]);
    const runs = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(runs).toHaveLength(1);
    expect(started).toMatchObject({ outcome: 'written', checkRunId: runs[0]!.id });
    expect(runs[0]).toMatchObject({
      status: 'in_progress',
      external_id: `${PIPELINES.feature}:${executionOf().id}`,
    });
  });
});

describe('a start that AWS refuses says what to do on the check', () => {
  it.each([
    ['ThrottlingException', 'Rate exceeded', 're-run the checks in a minute'],
    [
      'AccessDeniedException',
      'not authorized',
      "the bot's role lacks the permission: redeploy the bot stack",
    ],
  ])('%s', async (name, message, fix) => {
    h.aws.pipelines.startExecution = () => {
      throw Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
    };
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    expect((await h.send('pull_request', payload)).status).toBe(200);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Pipeline not started' } });
    // Markdown-escaped parentheses: GitHub shows them.
    expect(run!.output.summary).toContain(`\\(${name}: ${message}\\)`);
    expect(run!.output.summary).toContain(fix);
  });
});

describe('without AWS settings', () => {
  it('starts with the GitHub App settings alone and says on the check what is missing', async () => {
    await restart({ settings: { pipelines: [], featurePipeline: undefined } });
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    expect((await h.send('pull_request', payload)).status).toBe(200);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.summary).toMatch(/PIPEWARDEN_FEATURE_PIPELINE/);
  });
});

describe("Probot's own server (npm start)", () => {
  it('handles the same signed delivery', async () => {
    await restart({ server: 'probot' });
    const payload = opened();
    h.github.configs.set(repoOf(payload), 'pipeline:\n  startOnPullRequest: true\n');
    expect((await h.send('pull_request', payload)).status).toBe(200);
    expect(h.github.runs(undefined, payload.pull_request.head.sha)).toHaveLength(1);
    expect((await h.send('pull_request', payload, { signature: 'sha256=' + '0'.repeat(64) })).status).toBe(
      400,
    );
  });
});
