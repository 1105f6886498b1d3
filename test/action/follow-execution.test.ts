import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PipelineExecutionNotFoundException,
  type ActionExecutionDetail,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { followExecution, type FollowParams } from '../../action/lib/follow-execution.js';
import { detail, featureShape, recordingLogger } from './fixtures/details.js';

const cp = mockClient(CodePipelineClient);
const client = new CodePipelineClient({ region: 'eu-west-1' });

interface Frame {
  status: string;
  actions: ActionExecutionDetail[];
}

/** Each GetPipelineExecution moves one frame on; ListActionExecutions answers the current frame. */
function play(frames: Frame[]) {
  let i = -1;
  cp.on(GetPipelineExecutionCommand).callsFake(() => {
    i = Math.min(i + 1, frames.length - 1);
    return { pipelineExecution: { pipelineExecutionId: 'e-1', status: frames[i]!.status } };
  });
  cp.on(ListActionExecutionsCommand).callsFake(() => ({
    actionExecutionDetails: frames[Math.max(i, 0)]!.actions,
  }));
}

/** A clock that only moves when the loop sleeps. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

const params = (over: Partial<FollowParams> = {}): FollowParams => ({
  pipelineName: 'pipewarden-feature',
  executionId: 'e-1',
  pipeline: featureShape(),
  region: 'eu-west-1',
  deadline: 3_600_000,
  poll: { initialMs: 1000, maxMs: 4000 },
  ...over,
});

const src = (status: string, end?: number) =>
  detail('Source', 'Source', status, {
    start: 0,
    end,
    provider: 'CodeStarSourceConnection',
    summary: 'Merge pull request #7',
  });
const compile = (status: string, end?: number, extra = {}) =>
  detail('Build', 'Compile', status, { start: 3, end, externalExecutionId: 'shop-build:1111', ...extra });

beforeEach(() => {
  cp.reset();
});

describe('followExecution', () => {
  it('prints every action and stage transition once, with its time, in one group per stage', async () => {
    const frames: Frame[] = [
      { status: 'InProgress', actions: [] },
      { status: 'InProgress', actions: [src('InProgress')] },
      { status: 'InProgress', actions: [src('InProgress')] },
      {
        status: 'InProgress',
        actions: [
          src('Succeeded', 2),
          compile('InProgress', undefined, { externalExecutionUrl: 'https://logs/1' }),
        ],
      },
      {
        status: 'InProgress',
        actions: [
          src('Succeeded', 2),
          compile('InProgress', undefined, { externalExecutionUrl: 'https://logs/1' }),
        ],
      },
      {
        status: 'Succeeded',
        actions: [src('Succeeded', 2), compile('Succeeded', 65, { externalExecutionUrl: 'https://logs/1' })],
      },
    ];
    play(frames);
    const log = recordingLogger();
    const time = fakeTime();
    const result = await followExecution(client, params(), { log, ...time });
    expect(result).toMatchObject({ outcome: 'finished', status: 'Succeeded' });
    expect(result.actions.map((a) => `${a.stage}/${a.action}:${a.status}`)).toEqual([
      'Source/Source:Succeeded',
      'Build/Compile:Succeeded',
    ]);
    expect(log.lines).toEqual([
      '::group::Stage Source',
      '09:30:00Z  Source › Source (CodeStarSourceConnection)  started',
      '09:30:02Z  Source › Source  Succeeded after 2s: Merge pull request #7',
      '09:30:02Z  stage Source Succeeded in 2s',
      '::endgroup::',
      '::group::Stage Build',
      '09:30:03Z  Build › Compile (CodeBuild)  started  logs → https://logs/1',
      '09:31:05Z  Build › Compile  Succeeded after 1m02s',
      '09:31:05Z  stage Build Succeeded in 1m02s',
      '::endgroup::',
    ]);
  });

  it('grows the interval ×1.5 up to the cap while nothing changes, and starts over after a change', async () => {
    const same = { status: 'InProgress', actions: [src('InProgress')] };
    play([
      { status: 'InProgress', actions: [] },
      same,
      same,
      same,
      same,
      same,
      same,
      same,
      { status: 'Succeeded', actions: [src('Succeeded', 2)] },
    ]);
    const time = fakeTime();
    await followExecution(client, params(), { log: recordingLogger(), ...time });
    expect(time.sleeps).toEqual([1500, 1000, 1500, 2250, 3375, 4000, 4000, 4000]);
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(4000);
  });

  it('links a running build from GetPipelineState when ListActionExecutions has no result yet', async () => {
    play([
      { status: 'InProgress', actions: [compile('InProgress')] },
      { status: 'InProgress', actions: [compile('InProgress')] },
      { status: 'Succeeded', actions: [compile('Succeeded', 65)] },
    ]);
    cp.on(GetPipelineStateCommand).resolves({
      stageStates: [
        {
          stageName: 'Build',
          actionStates: [
            {
              actionName: 'Compile',
              latestExecution: {
                actionExecutionId: 'Build-Compile',
                externalExecutionUrl: 'https://state/logs',
              },
            },
          ],
        },
      ],
    });
    const log = recordingLogger();
    await followExecution(client, params(), { log, ...fakeTime() });
    expect(log.lines.filter((l) => l.includes('https://state/logs'))).toEqual([
      '09:30:03Z  Build › Compile (CodeBuild)  started  logs → https://state/logs',
    ]);
    expect(cp.commandCalls(GetPipelineStateCommand)).toHaveLength(1);
  });

  it('builds a CodeBuild log link from the external execution id', async () => {
    play([
      {
        status: 'Failed',
        actions: [compile('Failed', 65, { error: 'COMMAND_EXECUTION_ERROR: npm test exit 1' })],
      },
    ]);
    const result = await followExecution(client, params(), { log: recordingLogger(), ...fakeTime() });
    expect(result.actions[0]).toMatchObject({
      status: 'Failed',
      errorMessage: 'COMMAND_EXECUTION_ERROR: npm test exit 1',
      url: 'https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/projects/shop-build/build/shop-build%3A1111/log?region=eu-west-1',
    });
  });

  it('reads the actions again once the execution has ended, so the failed action is never missed', async () => {
    let lists = 0;
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Failed' } });
    cp.on(ListActionExecutionsCommand).callsFake(() => {
      lists += 1;
      // The parallel call saw the build still running; the one after the status did not.
      return {
        actionExecutionDetails: [
          lists === 1 ? compile('InProgress') : compile('Failed', 65, { error: 'boom' }),
        ],
      };
    });
    cp.on(GetPipelineStateCommand).resolves({});
    const result = await followExecution(client, params(), { log: recordingLogger(), ...fakeTime() });
    expect(result.actions).toEqual([expect.objectContaining({ status: 'Failed', errorMessage: 'boom' })]);
  });

  it('pages through ListActionExecutions', async () => {
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Succeeded' } });
    cp.on(ListActionExecutionsCommand).callsFake((input: { nextToken?: string }) =>
      input.nextToken === 'p2'
        ? { actionExecutionDetails: [compile('Succeeded', 65)] }
        : { actionExecutionDetails: [src('Succeeded', 2)], nextToken: 'p2' },
    );
    const result = await followExecution(client, params(), { log: recordingLogger(), ...fakeTime() });
    expect(result.actions.map((a) => a.action)).toEqual(['Source', 'Compile']);
    expect(cp.commandCalls(ListActionExecutionsCommand)[0]!.args[0].input).toMatchObject({
      pipelineName: 'pipewarden-feature',
      filter: { pipelineExecutionId: 'e-1' },
      maxResults: 100,
    });
  });

  it('rides out throttling by backing off, then carries on', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    cp.on(GetPipelineExecutionCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ pipelineExecution: { status: 'Succeeded' } });
    cp.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [src('Succeeded', 2)] });
    const log = recordingLogger();
    const time = fakeTime();
    const result = await followExecution(client, params(), { log, ...time });
    expect(result.status).toBe('Succeeded');
    expect(time.sleeps).toEqual([4000, 8000]);
    expect(log.lines.filter((l) => l.startsWith('CodePipeline answered ThrottlingException'))).toHaveLength(
      2,
    );
  });

  it('gives up on throttling that never ends, with the operation named', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400, attempts: 6 },
    });
    cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'InProgress' } });
    cp.on(ListActionExecutionsCommand).rejects(throttled);
    const time = fakeTime();
    await expect(followExecution(client, params(), { log: recordingLogger(), ...time })).rejects.toThrow(
      'pipewarden: CodePipeline kept throttling ListActionExecutions after 6 attempts: Rate exceeded',
    );
    expect(Math.max(...time.sleeps)).toBe(30_000);
  });

  it('fails at once on an error that waiting will not fix', async () => {
    cp.on(GetPipelineExecutionCommand).rejects(
      Object.assign(
        new Error('User: x is not authorized to perform: codepipeline:GetPipelineExecution on resource: y'),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    cp.on(ListActionExecutionsCommand).resolves({});
    await expect(
      followExecution(client, params(), { log: recordingLogger(), ...fakeTime() }),
    ).rejects.toThrow(/access denied: the AWS role may not call codepipeline:GetPipelineExecution/);
  });

  it('waits for a just-started execution to become visible', async () => {
    cp.on(GetPipelineExecutionCommand)
      .rejectsOnce(new PipelineExecutionNotFoundException({ message: 'not found', $metadata: {} }))
      .resolves({ pipelineExecution: { status: 'Succeeded' } });
    cp.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
    await expect(
      followExecution(client, params(), { log: recordingLogger(), ...fakeTime() }),
    ).resolves.toMatchObject({
      status: 'Succeeded',
    });
  });

  it('returns at the deadline without waiting past it', async () => {
    play([{ status: 'InProgress', actions: [src('InProgress')] }]);
    const time = fakeTime();
    const result = await followExecution(client, params({ deadline: 10_000 }), {
      log: recordingLogger(),
      ...time,
    });
    expect(result).toMatchObject({ outcome: 'timeout', status: 'InProgress' });
    expect(time.now()).toBe(10_000);
  });

  it('returns when the signal aborts, closing the open group', async () => {
    play([{ status: 'InProgress', actions: [src('InProgress')] }]);
    const controller = new AbortController();
    const log = recordingLogger();
    const result = await followExecution(client, params({ signal: controller.signal }), {
      log,
      now: () => 0,
      sleep: async () => controller.abort(),
    });
    expect(result.outcome).toBe('aborted');
    expect(log.lines.at(-1)).toBe('::endgroup::');
  });

  it('prints a stage retry in a new group and a failure with its message and link', async () => {
    const failed = compile('Failed', 40, {
      id: 'c1',
      error: 'exit 2',
      externalExecutionUrl: 'https://logs/c1',
    });
    play([
      { status: 'InProgress', actions: [failed] },
      { status: 'InProgress', actions: [failed, compile('InProgress', undefined, { id: 'c2' })] },
      { status: 'Succeeded', actions: [failed, compile('Succeeded', 90, { id: 'c2' })] },
    ]);
    cp.on(GetPipelineStateCommand).resolves({});
    const log = recordingLogger();
    await followExecution(client, params(), { log, ...fakeTime() });
    expect(log.text()).toContain('09:30:40Z  Build › Compile  Failed after 37s: exit 2  → https://logs/c1');
    expect(log.lines.filter((l) => l === '::group::Stage Build')).toHaveLength(2);
    expect(log.lines.filter((l) => l.includes('stage Build'))).toEqual([
      '09:30:40Z  stage Build Failed in 37s',
      '09:31:30Z  stage Build Succeeded in 1m27s',
    ]);
  });
});
