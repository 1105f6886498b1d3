/**
 * The committed bundle, run as the runner runs it, against a local CodePipeline speaking the JSON 1.1
 * protocol: what a workflow would see (exit code, ::error:: line, outputs, summary, state, requests made).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  endlessFrames,
  failureFrames,
  FakeCodePipeline,
  featurePipeline,
} from '../support/codepipeline-fake.js';
import { example, fromFork } from './fixtures/events.js';
import { copyBundle, readFileCommands, runBundle } from './fixtures/run-bundle.js';

let fake: FakeCodePipeline;
beforeEach(async () => {
  fake = await new FakeCodePipeline().start();
});
afterEach(async () => {
  await fake.stop();
});

const inputs = (over: Record<string, string> = {}) => ({ 'pipeline-name': 'pipewarden-feature', ...over });
/** ::error:: lines as the runner shows them (workflow commands escape %, CR and LF). */
const errorLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .map((l) => l.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
const onlyExecution = () => [...fake.executions.values()][0]!;

describe('dist/action/index.js', () => {
  it('succeeds: outputs, summary, state, one group per stage, the exact commit and variables', async () => {
    const r = runBundle('main', { endpoint: fake.url, inputs: inputs({ variables: 'PULL_REQUEST=7' }) });
    const { code, stdout, stderr } = await r.done;
    expect({ code, errors: errorLines(stdout) }).toEqual({ code: 0, errors: [] });
    noStack(stderr);
    const execution = onlyExecution();
    expect(r.outputs()).toEqual({
      'execution-id': execution.id,
      status: 'Succeeded',
      url: `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewarden-feature/executions/${execution.id}/timeline?region=eu-west-1`,
    });
    expect(execution.request).toMatchObject({
      name: 'pipewarden-feature',
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: 'a'.repeat(40) }],
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
      clientRequestToken: expect.stringMatching(/^pipewarden-[0-9a-f]{64}$/),
    });
    expect(r.state()).toMatchObject({ 'execution-id': execution.id, done: 'true' });
    expect(r.summary()).toContain('### ✅ Succeeded — CodePipeline `pipewarden-feature`');
    expect(r.summary()).toMatch(
      /\| Gate \| Gate \| ✅ Succeeded \| 09:32:10Z \| 10s \| \[logs\]\(.+\) gate passed: 0 new findings \|/,
    );
    const groups = stdout.split('\n').filter((l) => l.startsWith('::group::'));
    expect(groups).toEqual([
      '::group::Stage Source',
      '::group::Stage Build',
      '::group::Stage Scan',
      '::group::Stage Gate',
    ]);
    expect(stdout.split('\n').filter((l) => l.includes('::endgroup::'))).toHaveLength(4);
    // The build ran for several polls: its start is printed once, with the log link found meanwhile.
    expect(stdout.match(/Build › Compile \(CodeBuild\) {2}started/g)).toHaveLength(1);
    expect(stdout).toContain(
      'Build › Compile (CodeBuild)  started  logs → https://console.example/build/shop-build:1111-2222',
    );
    expect(fake.operations()).not.toContain('StopPipelineExecution');
  });

  it('refuses a fork’s head on pull_request_target before any AWS call (the "pwn request")', async () => {
    const dir = copyBundle();
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify(example('pull_request', 'opened', fromFork)));
    const r = runBundle('main', {
      endpoint: fake.url,
      inputs: inputs(),
      dir,
      env: { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_EVENT_PATH: event },
    });
    const { code, stdout, stderr } = await r.done;
    expect(code).toBe(1);
    noStack(stderr);
    const errors = errorLines(stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::pipewarden: .*fork.*allow-fork-head/);
    expect(fake.operations()).toEqual([]);
  });

  it('fails naming the stage, the action and the error message', async () => {
    fake.frames = () => failureFrames();
    const r = runBundle('main', { endpoint: fake.url, inputs: inputs() });
    const { code, stdout, stderr } = await r.done;
    expect(code).toBe(1);
    noStack(stderr);
    expect(errorLines(stdout)).toEqual([
      `::error::pipewarden: pipeline "pipewarden-feature" execution ${onlyExecution().id} Failed in stage "Scan", action "Sast": gate FAILED: 2 new HIGH findings (CWE-89 in src/db.ts:14) → https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/projects/shop-sast/build/shop-sast%3A3333/log?region=eu-west-1`,
    ]);
    expect(r.outputs().status).toBe('Failed');
    expect(r.summary()).toContain('| Scan | Sast | ❌ Failed |');
    expect(r.summary()).toContain('| Gate | Gate | not run |');
  });

  it('rides out throttling through the SDK retry and the poll back-off, starting one execution', async () => {
    const throttle = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    fake.failWith = (operation, n) =>
      (operation === 'StartPipelineExecution' && n === 1) || (operation === 'GetPipelineExecution' && n <= 2)
        ? throttle
        : undefined;
    const r = runBundle('main', { endpoint: fake.url, inputs: inputs() });
    const { code, stdout } = await r.done;
    expect({ code, errors: errorLines(stdout) }).toEqual({ code: 0, errors: [] });
    expect(r.outputs().status).toBe('Succeeded');
    const starts = fake.calls('StartPipelineExecution');
    expect(starts).toHaveLength(2);
    expect(starts[1]!.body.clientRequestToken).toBe(starts[0]!.body.clientRequestToken);
    expect(fake.executions.size).toBe(1);
    expect(fake.calls('GetPipelineExecution').length).toBeGreaterThan(2);
  });

  it('on SIGINT (the job cancelled) stops the execution, with a reason linking the run, and fails', async () => {
    fake.frames = endlessFrames;
    const r = runBundle('main', { endpoint: fake.url, inputs: inputs() });
    await fake.waitFor('GetPipelineExecution', 2);
    r.child.kill('SIGINT');
    const { code, stdout } = await r.done;
    expect(code).toBe(1);
    const stops = fake.calls('StopPipelineExecution');
    expect(stops.map((s) => s.body)).toEqual([
      {
        pipelineName: 'pipewarden-feature',
        pipelineExecutionId: onlyExecution().id,
        abandon: false,
        reason:
          'GitHub workflow run cancelled: https://github.com/acme/shop/actions/runs/9876543210/attempts/1',
      },
    ]);
    expect(stdout).toContain('pipewarden: received SIGINT, stopping the pipeline execution');
    expect(errorLines(stdout)).toEqual([
      `::error::pipewarden: workflow cancelled while following pipeline "pipewarden-feature" execution ${onlyExecution().id}; stop requested (stopped)`,
    ]);
    expect(r.state().done).toBe('true');
  });

  it('on timeout stops the execution and fails naming timeout-minutes', async () => {
    fake.frames = endlessFrames;
    const r = runBundle('main', { endpoint: fake.url, inputs: inputs({ 'timeout-minutes': '0.005' }) });
    const { code, stdout } = await r.done;
    expect(code).toBe(1);
    expect(fake.calls('StopPipelineExecution')).toHaveLength(1);
    expect(String(fake.calls('StopPipelineExecution')[0]!.body.reason)).toMatch(
      /^timeout-minutes \(0\.005\) passed/,
    );
    expect(errorLines(stdout)).toEqual([
      `::error::pipewarden: pipeline "pipewarden-feature" execution ${onlyExecution().id} did not finish within timeout-minutes (0.005); stopped it`,
    ]);
    expect(r.outputs().status).toBe('TimedOut');
  });

  it.each([
    [
      'a pipeline that does not exist',
      inputs({ 'pipeline-name': 'nope' }),
      /^::error::pipewarden: input pipeline-name: pipeline "nope" not found in eu-west-1;/,
    ],
    [
      'a V1 pipeline',
      inputs({ 'pipeline-name': 'legacy' }),
      /^::error::pipewarden: input pipeline-name: "legacy" is a V1 pipeline;/,
    ],
    [
      'bad variables',
      inputs({ variables: 'PULL_REQUEST=1\nPULL_REQUEST=2' }),
      /^::error::pipewarden: variables line 2: PULL_REQUEST is already set on line 1/,
    ],
    [
      'a missing permission',
      inputs({ 'pipeline-name': 'denied' }),
      /^::error::pipewarden: access denied: the AWS role may not call codepipeline:StartPipelineExecution on pipeline "denied" in eu-west-1; grant it the actions in docs\/iam\/action-policy.json/,
    ],
  ])('refuses %s in one line, without a stack trace', async (_what, given, message) => {
    fake.pipelines.set('legacy', { ...featurePipeline('legacy'), pipelineType: 'V1' });
    fake.pipelines.set('denied', featurePipeline('denied'));
    fake.failWith = (operation, _n, body) =>
      operation === 'StartPipelineExecution' && body.name === 'denied'
        ? {
            status: 400,
            type: 'AccessDeniedException',
            message:
              'User: arn:aws:sts::123456789012:assumed-role/gh-shop/GitHubActions is not authorized to perform: codepipeline:StartPipelineExecution on resource: arn:aws:codepipeline:eu-west-1:123456789012:denied because no identity-based policy allows the codepipeline:StartPipelineExecution action',
          }
        : undefined;
    const r = runBundle('main', { endpoint: fake.url, inputs: given });
    const { code, stdout, stderr } = await r.done;
    expect(code).toBe(1);
    expect(errorLines(stdout)).toEqual([expect.stringMatching(message)]);
    noStack(stdout + stderr);
    expect(fake.executions.size).toBe(0);
  });
});

describe('dist/action/post/index.js', () => {
  it('stops the execution a killed main step left running', async () => {
    fake.frames = endlessFrames;
    const dir = copyBundle();
    const main = runBundle('main', { endpoint: fake.url, inputs: inputs(), dir });
    await fake.waitFor('GetPipelineExecution', 2);
    main.child.kill('SIGKILL');
    await main.done;
    const state = readFileCommands(join(dir, 'state'));
    expect(state['execution-id']).toBe(onlyExecution().id);
    expect(state.done).toBeUndefined();
    expect(fake.calls('StopPipelineExecution')).toHaveLength(0);

    const post = runBundle('post', { endpoint: fake.url, inputs: inputs(), state, dir });
    const { code, stdout } = await post.done;
    expect({ code, errors: errorLines(stdout) }).toEqual({ code: 0, errors: [] });
    expect(fake.calls('StopPipelineExecution').map((c) => c.body.pipelineExecutionId)).toEqual([
      onlyExecution().id,
    ]);
    expect(stdout).toContain(`pipewarden: pipewarden-feature execution ${onlyExecution().id}: stopped`);
  });

  it('does nothing after a main step that finished', async () => {
    const dir = copyBundle();
    await runBundle('main', { endpoint: fake.url, inputs: inputs(), dir }).done;
    const before = fake.requests.length;
    const post = runBundle('post', {
      endpoint: fake.url,
      inputs: inputs(),
      state: readFileCommands(join(dir, 'state')),
      dir,
    });
    const { code } = await post.done;
    expect(code).toBe(0);
    expect(fake.requests.length).toBe(before);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('Succeeded');
  });
});
