import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  CodePipelineClient,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  ValidationException,
  type ActionExecutionDetail,
} from '@aws-sdk/client-codepipeline';
import {
  CodeStarConnectionsClient,
  GetConnectionCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-codestar-connections';
import { mockClient } from 'aws-sdk-client-mock';
import { main, type MainParams } from '../../action/main.js';
import { detail, recordingLogger } from './fixtures/details.js';
import { featurePipeline } from '../support/codepipeline-fake.js';

const cp = mockClient(CodePipelineClient);
const client = new CodePipelineClient({ region: 'eu-west-1' });
const SHA = '0123456789abcdef0123456789abcdef01234567';
const EXECUTION = '3f2b7c1e-0000-4000-8000-000000000001';

const params = (over: Partial<MainParams> = {}): MainParams => ({
  pipelineName: 'pipewarden-feature',
  commitSha: SHA,
  variables: [{ name: 'PULL_REQUEST', value: '7' }],
  wait: true,
  timeoutMinutes: 60,
  stopOnCancel: true,
  region: 'eu-west-1',
  run: { serverUrl: 'https://github.com', repository: 'acme/shop', runId: '555', runAttempt: '1' },
  poll: { initialMs: 1000, maxMs: 4000 },
  ...over,
});

function fakeTime() {
  let t = Date.UTC(2025, 5, 2, 9, 30, 0);
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

function play(frames: { status: string; summary?: string; actions: ActionExecutionDetail[] }[]) {
  let i = -1;
  cp.on(GetPipelineExecutionCommand).callsFake(() => {
    i = Math.min(i + 1, frames.length - 1);
    return { pipelineExecution: { status: frames[i]!.status, statusSummary: frames[i]!.summary } };
  });
  cp.on(ListActionExecutionsCommand).callsFake(() => ({
    actionExecutionDetails: frames[Math.max(i, 0)]!.actions,
  }));
  cp.on(GetPipelineStateCommand).resolves({});
}

const src = (status: string, extra = {}) =>
  detail('Source', 'Source', status, { start: 0, end: 2, provider: 'CodeStarSourceConnection', ...extra });
const sast = (status: string, extra = {}) =>
  detail('Scan', 'Sast', status, { start: 70, end: 110, ...extra });

beforeEach(() => {
  cp.reset();
  cp.on(GetPipelineCommand).resolves({ pipeline: featurePipeline() });
  cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXECUTION });
  cp.on(StopPipelineExecutionCommand).resolves({ pipelineExecutionId: EXECUTION });
});

describe('main', () => {
  it('starts at the commit, reports the execution at once, follows it to success', async () => {
    play([
      { status: 'InProgress', actions: [src('InProgress')] },
      { status: 'Succeeded', actions: [src('Succeeded')] },
    ]);
    const onStarted = jest.fn();
    const log = recordingLogger();
    const result = await main(client, params(), { log, onStarted, ...fakeTime() });

    const url = `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewarden-feature/executions/${EXECUTION}/timeline?region=eu-west-1`;
    expect(onStarted).toHaveBeenCalledWith(EXECUTION, url);
    expect(result).toMatchObject({ executionId: EXECUTION, url, status: 'Succeeded' });
    expect(result.failure).toBeUndefined();
    expect(result.summary).toContain('### ✅ Succeeded — CodePipeline `pipewarden-feature`');
    const start = cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input;
    expect(start).toMatchObject({
      name: 'pipewarden-feature',
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: SHA }],
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
    });
    expect(start.clientRequestToken).toMatch(/^pipewarden-[0-9a-f]{64}$/);
    expect(log.lines).toContain(`  ${url}`);
    expect(cp.commandCalls(StopPipelineExecutionCommand)).toHaveLength(0);
  });

  it('fails naming the stage, the action and its message', async () => {
    play([
      {
        status: 'Failed',
        actions: [src('Succeeded'), sast('Failed', { error: 'gate FAILED: 2 new HIGH findings' })],
      },
    ]);
    const result = await main(client, params(), { log: recordingLogger(), ...fakeTime() });
    expect(result.status).toBe('Failed');
    expect(result.failure).toBe(
      `pipewarden: pipeline "pipewarden-feature" execution ${EXECUTION} Failed in stage "Scan", action "Sast": gate FAILED: 2 new HIGH findings`,
    );
  });

  describe('a failed Source action and its GitHub connection', () => {
    const ARN =
      'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab';
    const connections = mockClient(CodeStarConnectionsClient);
    const connectionsClient = new CodeStarConnectionsClient({ region: 'eu-west-1' });
    const failedSource = () => {
      const pipeline = featurePipeline();
      pipeline.stages![0]!.actions![0]!.configuration!.ConnectionArn = ARN;
      cp.on(GetPipelineCommand).resolves({ pipeline });
      play([
        {
          status: 'Failed',
          actions: [
            src('Failed', {
              error: 'Unable to use Connection: ' + ARN + '. The provided connection is not available',
            }),
          ],
        },
      ]);
    };
    const run = () =>
      main(client, params(), { log: recordingLogger(), connections: connectionsClient, ...fakeTime() });
    beforeEach(() => {
      connections.reset();
    });

    it.each([
      [
        'PENDING',
        `the GitHub connection ${ARN} is PENDING: complete the handshake in the console: https://eu-west-1.console.aws.amazon.com/codesuite/settings/123456789012/eu-west-1/connections/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab?region=eu-west-1`,
      ],
      ['ERROR', `the GitHub connection ${ARN} is in ERROR`],
    ])('says the connection is %s and how to fix it', async (status, explained) => {
      failedSource();
      connections.on(GetConnectionCommand, { ConnectionArn: ARN }).resolves({
        Connection: { ConnectionArn: ARN, ConnectionStatus: status as 'PENDING' },
      });
      const { failure } = await run();
      expect(failure).toContain(`in stage "Source", action "Source": Unable to use Connection`);
      expect(failure).toContain(`(${explained}`);
      expect(failure).not.toMatch(/not found in acme\/shop/);
    });

    it('an AVAILABLE connection, or one that cannot be read, leaves the usual explanation', async () => {
      failedSource();
      connections.on(GetConnectionCommand).resolves({ Connection: { ConnectionStatus: 'AVAILABLE' } });
      const plain = `pipewarden: pipeline "pipewarden-feature" execution ${EXECUTION} Failed in stage "Source", action "Source": Unable to use Connection: ${ARN}. The provided connection is not available`;
      expect((await run()).failure).toBe(plain);
      connections
        .on(GetConnectionCommand)
        .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
      expect((await run()).failure).toBe(plain);
      expect(connections.commandCalls(GetConnectionCommand)).toHaveLength(2);
    });

    it('is not looked up when the Source action succeeded', async () => {
      failedSource();
      play([{ status: 'Failed', actions: [src('Succeeded'), sast('Failed', { error: 'gate FAILED' })] }]);
      await run();
      expect(connections.commandCalls(GetConnectionCommand)).toHaveLength(0);
    });
  });

  it('fails a superseded execution', async () => {
    play([{ status: 'Superseded', actions: [src('Succeeded')] }]);
    const result = await main(client, params(), { log: recordingLogger(), ...fakeTime() });
    expect(result.failure).toMatch(/Superseded: a newer execution superseded it/);
  });

  it('with wait: false only starts', async () => {
    const result = await main(client, params({ wait: false }), { log: recordingLogger(), ...fakeTime() });
    expect(result.status).toBe('InProgress');
    expect(result.failure).toBeUndefined();
    expect(cp.commandCalls(GetPipelineExecutionCommand)).toHaveLength(0);
  });

  it('on timeout stops the execution and fails naming timeout-minutes', async () => {
    play([{ status: 'InProgress', actions: [src('InProgress')] }]);
    const result = await main(client, params({ timeoutMinutes: 1 }), {
      log: recordingLogger(),
      ...fakeTime(),
    });
    expect(result).toMatchObject({ status: 'TimedOut', stop: 'stopped' });
    expect(result.failure).toBe(
      `pipewarden: pipeline "pipewarden-feature" execution ${EXECUTION} did not finish within timeout-minutes (1); stopped it`,
    );
    expect(cp.commandCalls(StopPipelineExecutionCommand)[0]!.args[0].input).toMatchObject({
      pipelineExecutionId: EXECUTION,
      reason:
        'timeout-minutes (1) passed in GitHub workflow run https://github.com/acme/shop/actions/runs/555/attempts/1',
    });
  });

  it('on timeout with stop-on-cancel: false leaves it running', async () => {
    play([{ status: 'InProgress', actions: [] }]);
    const result = await main(client, params({ timeoutMinutes: 1, stopOnCancel: false }), {
      log: recordingLogger(),
      ...fakeTime(),
    });
    expect(result.failure).toMatch(/left it running \(stop-on-cancel: false\)$/);
    expect(cp.commandCalls(StopPipelineExecutionCommand)).toHaveLength(0);
  });

  it('when the workflow is cancelled, stops the execution with a reason linking the run', async () => {
    play([{ status: 'InProgress', actions: [src('InProgress')] }]);
    const controller = new AbortController();
    const result = await main(client, params({ signal: controller.signal }), {
      log: recordingLogger(),
      now: Date.now,
      sleep: async () => controller.abort(),
    });
    expect(result).toMatchObject({ status: 'Stopping', stop: 'stopped' });
    expect(result.failure).toMatch(
      /^pipewarden: workflow cancelled while following pipeline "pipewarden-feature"/,
    );
    expect(cp.commandCalls(StopPipelineExecutionCommand)[0]!.args[0].input.reason).toBe(
      'GitHub workflow run cancelled: https://github.com/acme/shop/actions/runs/555/attempts/1',
    );
  });

  it('says so when the stop itself fails, leaving it to the post step', async () => {
    play([{ status: 'InProgress', actions: [] }]);
    cp.on(StopPipelineExecutionCommand).rejects(
      Object.assign(new Error('boom'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }),
    );
    const controller = new AbortController();
    controller.abort();
    const log = recordingLogger();
    const result = await main(client, params({ signal: controller.signal }), { log, ...fakeTime() });
    expect(result).toMatchObject({ stop: 'failed', status: 'InProgress' });
    expect(result.failure).toMatch(/could not stop it; the post step will try again$/);
    expect(log.lines.some((l) => l.startsWith('::warning::could not stop execution'))).toBe(true);
  });

  describe('refuses before starting anything', () => {
    const refuses = async (message: string | RegExp, over: Partial<MainParams> = {}) => {
      await expect(main(client, params(over), { log: recordingLogger(), ...fakeTime() })).rejects.toThrow(
        message,
      );
      expect(cp.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
    };

    it('a V1 pipeline', async () => {
      cp.on(GetPipelineCommand).resolves({
        pipeline: { ...featurePipeline(), pipelineType: 'V1' },
      });
      await refuses(/input pipeline-name: "pipewarden-feature" is a V1 pipeline; .* needs a V2 pipeline/);
    });

    it('a pipeline that does not exist', async () => {
      cp.on(GetPipelineCommand).rejects(
        new PipelineNotFoundException({ message: 'no such pipeline', $metadata: {} }),
      );
      await refuses('pipewarden: input pipeline-name: pipeline "pipewarden-feature" not found in eu-west-1');
    });

    it('a variable the pipeline does not declare', async () => {
      await refuses(
        'input variables: pipeline "pipewarden-feature" does not declare IMAGE; it declares: PULL_REQUEST',
        {
          variables: [{ name: 'IMAGE', value: 'x' }],
        },
      );
    });

    it('a missing GetPipeline permission, naming the action and the policy', async () => {
      cp.on(GetPipelineCommand).rejects(
        Object.assign(
          new Error(
            'User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: codepipeline:GetPipeline on resource: arn',
          ),
          {
            name: 'AccessDeniedException',
          },
        ),
      );
      await refuses(
        /may not call codepipeline:GetPipeline on pipeline "pipewarden-feature".*docs\/iam\/action-policy.json/,
      );
    });
  });

  it('turns a refused commit into an error about commit-sha', async () => {
    cp.on(StartPipelineExecutionCommand).rejects(
      new ValidationException({
        message: 'Source revision for action Source could not be resolved',
        $metadata: {},
      }),
    );
    await expect(main(client, params(), { log: recordingLogger(), ...fakeTime() })).rejects.toThrow(
      `pipewarden: input commit-sha: CodePipeline rejected commit ${SHA} for source action "Source"`,
    );
  });

  it('warns when the source action reads another repository', async () => {
    play([{ status: 'Succeeded', actions: [] }]);
    const log = recordingLogger();
    await main(client, params({ run: { ...params().run, repository: 'acme/other' } }), {
      log,
      ...fakeTime(),
    });
    expect(log.lines).toContain(
      `::warning::source action "Source" reads acme/shop, not acme/other: commit ${SHA} must exist there`,
    );
  });
});
