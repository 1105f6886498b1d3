import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  PipelineExecutionNotStoppableException,
  DuplicatedStopRequestException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { clientRequestToken, startExecution } from '../../action/lib/start-execution.js';
import { stopExecution, stopIfRunning, stopReason } from '../../action/lib/stop-execution.js';

const cp = mockClient(CodePipelineClient);
const client = new CodePipelineClient({ region: 'eu-west-1' });
const run = { serverUrl: 'https://github.com', repository: 'acme/shop', runId: '123', runAttempt: '1' };
const SHA = 'a'.repeat(40);
const source = { name: 'Source', provider: 'CodeStarSourceConnection' };

beforeEach(() => {
  cp.reset();
});

describe('clientRequestToken', () => {
  it('fits CodePipeline (1–128 of [a-zA-Z0-9-]) and is stable for the same run attempt', () => {
    const t = clientRequestToken(run, 'shop-feature', SHA, [
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
    expect(t).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    expect(
      clientRequestToken(run, 'shop-feature', SHA, [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
    ).toBe(t);
  });

  it('differs for another attempt, run, repository, pipeline, commit or variables', () => {
    const base = clientRequestToken(run, 'p', SHA, []);
    const others = [
      clientRequestToken({ ...run, runAttempt: '2' }, 'p', SHA, []),
      clientRequestToken({ ...run, runId: '124' }, 'p', SHA, []),
      clientRequestToken({ ...run, repository: 'acme/other' }, 'p', SHA, []),
      clientRequestToken(run, 'q', SHA, []),
      clientRequestToken(run, 'p', 'b'.repeat(40), []),
      clientRequestToken(run, 'p', SHA, [{ name: 'A', value: '1' }]),
    ];
    expect(new Set([base, ...others]).size).toBe(7);
  });
});

describe('startExecution', () => {
  it('starts at the commit through the source action, with the variables and the token', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'e-1' });
    const id = await startExecution(client, {
      pipelineName: 'shop-feature',
      sourceAction: source,
      commitSha: SHA,
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
      token: 'pipewarden-abc',
    });
    expect(id).toBe('e-1');
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input).toEqual({
      name: 'shop-feature',
      clientRequestToken: 'pipewarden-abc',
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: SHA }],
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
    });
  });

  it('sends no empty variables list (CodePipeline wants at least one)', async () => {
    cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'e-1' });
    await startExecution(client, {
      pipelineName: 'p',
      sourceAction: source,
      commitSha: SHA,
      variables: [],
      token: 't',
    });
    expect(cp.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.variables).toBeUndefined();
  });

  it('explains a refusal', async () => {
    cp.on(StartPipelineExecutionCommand).rejects(
      Object.assign(
        new Error('User: x is not authorized to perform: codepipeline:StartPipelineExecution on resource: y'),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    await expect(
      startExecution(client, {
        pipelineName: 'p',
        sourceAction: source,
        commitSha: SHA,
        variables: [],
        token: 't',
      }),
    ).rejects.toThrow(
      /may not call codepipeline:StartPipelineExecution on pipeline "p".*docs\/iam\/action-policy.json/,
    );
  });
});

describe('stopExecution / stopIfRunning', () => {
  const p = {
    pipelineName: 'p',
    executionId: 'e-1',
    reason: stopReason('GitHub workflow run cancelled:', run),
  };

  it('asks CodePipeline to stop without abandoning, with a reason that links the run', async () => {
    cp.on(StopPipelineExecutionCommand).resolves({ pipelineExecutionId: 'e-1' });
    await expect(stopExecution(client, p)).resolves.toBe('stopped');
    expect(cp.commandCalls(StopPipelineExecutionCommand)[0]!.args[0].input).toEqual({
      pipelineName: 'p',
      pipelineExecutionId: 'e-1',
      abandon: false,
      reason: 'GitHub workflow run cancelled: https://github.com/acme/shop/actions/runs/123/attempts/1',
    });
  });

  it('keeps the reason within 200 characters', () => {
    expect(stopReason('x'.repeat(300), run)).toHaveLength(200);
  });

  it('treats a second stop or a finished execution as done', async () => {
    cp.on(StopPipelineExecutionCommand)
      .rejectsOnce(new DuplicatedStopRequestException({ message: 'dup', $metadata: {} }))
      .rejectsOnce(new PipelineExecutionNotStoppableException({ message: 'done', $metadata: {} }));
    await expect(stopExecution(client, p)).resolves.toBe('already-stopping');
    await expect(stopExecution(client, p)).resolves.toBe('already-finished');
  });

  it('stops only a running execution', async () => {
    cp.on(GetPipelineExecutionCommand)
      .resolvesOnce({ pipelineExecution: { status: 'Succeeded' } })
      .resolvesOnce({ pipelineExecution: { status: 'Stopping' } })
      .resolvesOnce({ pipelineExecution: { status: 'InProgress' } });
    cp.on(StopPipelineExecutionCommand).resolves({});
    await expect(stopIfRunning(client, p)).resolves.toBe('already-finished');
    await expect(stopIfRunning(client, p)).resolves.toBe('already-stopping');
    expect(cp.commandCalls(StopPipelineExecutionCommand)).toHaveLength(0);
    await expect(stopIfRunning(client, p)).resolves.toBe('stopped');
    expect(cp.commandCalls(StopPipelineExecutionCommand)).toHaveLength(1);
  });
});
