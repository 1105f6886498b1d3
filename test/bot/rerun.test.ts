import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { example, PIPELINES, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.github.permissions.set('octocat', { permission: 'write', role_name: 'write' });
  h.github.permissions.set('Codertocat', { permission: 'admin', role_name: 'admin' });
  h.github.permissions.set('octocoders-linter[bot]', { permission: 'write', role_name: 'write' });
});
afterEach(async () => {
  expect(h.github.violations).toEqual([]);
  await h.close();
});

/** check_run.rerequested on our pipeline check (the example's check is another app's "randscape"). */
const rerunOurCheck = () =>
  example('check_run', 'rerequested', (p) => {
    p.check_run.name = CHECK_NAMES.pipeline;
  });

describe('Re-run', () => {
  it('starts the pull-request pipeline again at the check’s commit (check_run.rerequested)', async () => {
    const payload = rerunOurCheck();
    const id = '0b1c2d3e-0000-4000-8000-000000000010';
    expect((await h.send('check_run', payload, { id })).status).toBe(200);
    expect(h.aws.pipelines.started).toEqual([
      expect.objectContaining({
        name: PIPELINES.feature,
        sourceRevisions: [
          { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: payload.check_run.head_sha },
        ],
        clientRequestToken: id,
      }),
    ]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.check_run.head_sha);
    expect(run).toMatchObject({ status: 'in_progress', output: { title: 'Started again' } });
    expect(run!.external_id).toBe(`${PIPELINES.feature}:${h.aws.pipelines.executions[0]!.id}`);
  });

  it('re-runs the pipeline the check last showed', async () => {
    const payload = rerunOurCheck();
    const [owner, repo] = payload.repository.full_name.split('/');
    h.github.installations.set(payload.repository.full_name, payload.installation.id);
    const first = h.aws.pipelines.execute(PIPELINES.main, { sha: payload.check_run.head_sha, owner, repo });
    h.aws.pipelines.progress(first, 'Build', 'Failed');
    first.status = 'Failed';
    await h.pipelineEvent('execution', first, 'FAILED');
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started.map((s) => s.name)).toEqual([PIPELINES.main]);
    expect(h.github.runs(CHECK_NAMES.pipeline)).toHaveLength(1);
  });

  it('starts once for a redelivered click (CodePipeline idempotency token)', async () => {
    const payload = rerunOurCheck();
    const id = '0b1c2d3e-0000-4000-8000-000000000011';
    await h.send('check_run', payload, { id });
    await h.send('check_run', payload, { id });
    expect(h.aws.pipelines.started.map((s) => s.clientRequestToken)).toEqual([id, id]);
    expect(h.aws.pipelines.executions).toHaveLength(1);
    expect(h.github.runs(CHECK_NAMES.pipeline)).toHaveLength(1);
  });

  it('re-runs the suite with its pull request (check_suite.rerequested)', async () => {
    const payload = example('check_suite', 'rerequested');
    await h.send('check_suite', payload);
    const [start] = h.aws.pipelines.started;
    expect(start).toMatchObject({
      name: PIPELINES.feature,
      sourceRevisions: [{ revisionValue: payload.check_suite.head_sha }],
      variables: expect.arrayContaining([
        { name: 'PULL_REQUEST', value: String(payload.check_suite.pull_requests[0].number) },
        { name: 'HEAD_BRANCH', value: payload.check_suite.head_branch },
      ]),
    });
  });

  it('refuses someone without write access, on the check', async () => {
    h.github.permissions.set('octocat', { permission: 'read', role_name: 'read' });
    await h.send('check_run', rerunOurCheck());
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Not re-run' } });
    expect(run!.output.summary).toContain('has the read permission');
  });

  it('leaves other apps’ checks alone', async () => {
    await h.send('check_run', example('check_run', 'rerequested'));
    expect(h.aws.pipelines.started).toEqual([]);
    expect(h.github.requests).toEqual([]);
  });
});
