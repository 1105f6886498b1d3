import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  CodePipelineClient,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from './fixtures/core.js';
import { detail } from './fixtures/details.js';
import { example, fromFork } from './fixtures/events.js';
import { featurePipeline } from '../support/codepipeline-fake.js';

jest.unstable_mockModule('@actions/core', () => core);
const { run, runPost, STATE } = await import('../../action/runner.js');

const cp = mockClient(CodePipelineClient);
const EXECUTION = '3f2b7c1e-0000-4000-8000-000000000002';
const saved = { ...process.env };

beforeAll(() => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    GITHUB_SHA: 'c'.repeat(40),
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '77',
    GITHUB_RUN_ATTEMPT: '3',
    GITHUB_EVENT_NAME: 'push',
    PIPEWARDEN_POLL_MS: '1',
  });
});
afterAll(() => {
  process.env = saved;
});

beforeEach(() => {
  core.resetCore();
  cp.reset();
  cp.on(GetPipelineCommand).resolves({ pipeline: featurePipeline() });
  cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXECUTION });
  cp.on(GetPipelineStateCommand).resolves({});
  cp.on(StopPipelineExecutionCommand).resolves({});
});

const outputs = () => Object.fromEntries(core.setOutput.mock.calls.map(([k, v]) => [k, v]));
const states = () => Object.fromEntries(core.saveState.mock.calls.map(([k, v]) => [k, v]));

describe('run (main step)', () => {
  it('sets the outputs and the summary, saves the state, and does not fail on success', async () => {
    core.setInputs({ 'pipeline-name': 'pipewarden-feature', variables: 'PULL_REQUEST=12' });
    // execution-id must be out before the first poll, so a cancelled job still has it.
    const idBeforeFirstPoll: boolean[] = [];
    cp.on(GetPipelineExecutionCommand).callsFake(() => {
      idBeforeFirstPoll.push(core.setOutput.mock.calls.some(([k]) => k === 'execution-id'));
      return { pipelineExecution: { status: 'Succeeded' } };
    });
    cp.on(ListActionExecutionsCommand).resolves({
      actionExecutionDetails: [detail('Source', 'Source', 'Succeeded', { start: 0, end: 2 })],
    });
    await run();
    expect(idBeforeFirstPoll[0]).toBe(true);
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(outputs()).toEqual({
      'execution-id': EXECUTION,
      url: expect.stringContaining(`/executions/${EXECUTION}/timeline?region=eu-west-1`),
      status: 'Succeeded',
    });
    expect(states()).toEqual({
      [STATE.pipelineName]: 'pipewarden-feature',
      [STATE.stopOnCancel]: 'true',
      [STATE.executionId]: EXECUTION,
      [STATE.done]: 'true',
    });
    expect(core.summaryText.join('')).toContain('### ✅ Succeeded');
    expect(core.summary.write).toHaveBeenCalled();
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.sourceRevisions).toEqual([
      { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: 'c'.repeat(40) },
    ]);
  });

  it('fails the step with one line naming the failed stage and action', async () => {
    core.setInputs({ 'pipeline-name': 'pipewarden-feature' });
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Failed' } });
    cp.on(ListActionExecutionsCommand).resolves({
      actionExecutionDetails: [
        detail('Build', 'Compile', 'Failed', { start: 3, end: 9, error: 'npm ci: exit 1' }),
      ],
    });
    await run();
    expect(core.setFailed).toHaveBeenCalledTimes(1);
    expect(core.setFailed.mock.calls[0]![0]).toBe(
      `pipewarden: pipeline "pipewarden-feature" execution ${EXECUTION} Failed in stage "Build", action "Compile": npm ci: exit 1`,
    );
    expect(outputs().status).toBe('Failed');
  });

  it('fails on bad input before calling AWS, with no stack trace', async () => {
    core.setInputs({ 'pipeline-name': 'pipewarden-feature', 'timeout-minutes': 'forever' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(
      'pipewarden: input timeout-minutes must be a number of minutes above 0 and at most 10080 (got "forever")',
    );
    expect(cp.calls()).toHaveLength(0);
    expect(core.info.mock.calls.some(([m]) => String(m).includes('    at '))).toBe(false);
  });

  it('prefixes unexpected errors and keeps them on one line', async () => {
    core.setInputs({ 'pipeline-name': 'pipewarden-feature' });
    cp.on(GetPipelineCommand).rejects(new TypeError('something odd\nsecond line'));
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(
      'pipewarden: GetPipeline on pipeline "pipewarden-feature" failed: TypeError: something odd',
    );
  });
});

describe('run on pull_request_target and pull_request (the fork rule)', () => {
  const forkPr = example('pull_request', 'synchronize', fromFork);
  const HEAD: string = forkPr.pull_request.head.sha;
  const dirs: string[] = [];
  /** The runner writes the event payload to a file and names it in GITHUB_EVENT_PATH. */
  const onEvent = (event: string, payload: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'pipewarden-event-'));
    dirs.push(dir);
    const path = join(dir, 'event.json');
    writeFileSync(path, JSON.stringify(payload));
    process.env.GITHUB_EVENT_NAME = event;
    process.env.GITHUB_EVENT_PATH = path;
  };
  afterEach(() => {
    process.env.GITHUB_EVENT_NAME = 'push';
    delete process.env.GITHUB_EVENT_PATH;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const succeed = () => {
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Succeeded' } });
    cp.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
  };

  it("fails the step before calling AWS when pull_request_target would start a fork's head", async () => {
    onEvent('pull_request_target', forkPr);
    core.setInputs({ 'pipeline-name': 'pipewarden-feature' });
    await run();
    expect(core.setFailed.mock.calls).toEqual([
      [
        `pipewarden: input allow-fork-head is false and the default commit-sha ${HEAD} is the head of pull request #2 from fork mallory/Hello-World on pull_request_target, a workflow holding Codertocat/Hello-World's secrets and AWS role: start pipelines for pull requests on pull_request, or set allow-fork-head: true only for a commit a maintainer has reviewed`,
      ],
    ]);
    expect(cp.calls()).toHaveLength(0);
    expect(core.setOutput).not.toHaveBeenCalled();
  });

  it("starts at the fork's head with allow-fork-head: true, with a warning in the log", async () => {
    onEvent('pull_request_target', forkPr);
    core.setInputs({ 'pipeline-name': 'pipewarden-feature', 'allow-fork-head': 'true' });
    succeed();
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.warning.mock.calls[0]![0]).toBe(
      `pipewarden: the default commit-sha ${HEAD} is the head of pull request #2 from fork mallory/Hello-World; starting it on pull_request_target because allow-fork-head is true`,
    );
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.sourceRevisions).toEqual([
      { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: HEAD },
    ]);
  });

  it("starts at a fork's head on pull_request, as before", async () => {
    onEvent('pull_request', forkPr);
    core.setInputs({ 'pipeline-name': 'pipewarden-feature' });
    succeed();
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.warning).not.toHaveBeenCalled();
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.sourceRevisions).toEqual([
      { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: HEAD },
    ]);
  });
});

describe('runPost (post step)', () => {
  const started = {
    [STATE.pipelineName]: 'pipewarden-feature',
    [STATE.executionId]: EXECUTION,
    [STATE.stopOnCancel]: 'true',
  };

  it('stops an execution the killed main step left running', async () => {
    core.setState(started);
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'InProgress' } });
    await runPost();
    expect(cp.commandCalls(StopPipelineExecutionCommand)[0]!.args[0].input).toEqual({
      pipelineName: 'pipewarden-feature',
      pipelineExecutionId: EXECUTION,
      abandon: false,
      reason: 'GitHub workflow run cancelled: https://github.com/acme/shop/actions/runs/77/attempts/3',
    });
    expect(core.setFailed).not.toHaveBeenCalled();
  });

  it('does nothing after a main step that finished, or with stop-on-cancel: false, or before any start', async () => {
    for (const state of [
      { ...started, [STATE.done]: 'true' },
      { ...started, [STATE.stopOnCancel]: 'false' },
      {},
    ]) {
      core.setState(state);
      await runPost();
    }
    expect(cp.calls()).toHaveLength(0);
    expect(core.setFailed).not.toHaveBeenCalled();
  });

  it('leaves a finished execution alone', async () => {
    core.setState(started);
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Failed' } });
    await runPost();
    expect(cp.commandCalls(StopPipelineExecutionCommand)).toHaveLength(0);
  });
});
