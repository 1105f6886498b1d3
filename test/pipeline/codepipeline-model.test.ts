import { describe, expect, it } from '@jest/globals';
import {
  CodePipelineClient,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { FakeCodePipeline } from '../support/codepipeline-fake.js';
import { createFakeAws } from '../bot/helpers/fake-aws.js';
import { codePipelineRequestProblems } from '../support/codepipeline-fake.js';

const ID = '2f1b6a2e-0c1d-4f5e-9a8b-7c6d5e4f3a2b';

describe('the CodePipeline model the fakes enforce', () => {
  it('accepts what the bot and the action send', () => {
    expect(
      codePipelineRequestProblems('StartPipelineExecution', {
        name: 'shop-feature',
        clientRequestToken: `pipewarden-${'a'.repeat(64)}`,
        sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: 'a'.repeat(40) }],
        variables: [{ name: 'PULL_REQUEST', value: '12' }],
      }),
    ).toEqual([]);
    expect(
      codePipelineRequestProblems('StopPipelineExecution', {
        pipelineName: 'shop-feature',
        pipelineExecutionId: ID,
        abandon: false,
        reason: 'x'.repeat(200),
      }),
    ).toEqual([]);
  });

  it('rejects what CodePipeline rejects: token alphabet, reason length, variables, required members, types', () => {
    expect(
      codePipelineRequestProblems('StartPipelineExecution', {
        clientRequestToken: 'delivery/1',
        variables: [{ name: 'HEAD BRANCH', value: '' }],
        sourceRevisions: [{ actionName: 'Source', revisionType: 'SHA', revisionValue: 'abc' }],
        extra: 1,
      }),
    ).toEqual([
      'extra: is not a member of StartPipelineExecutionInput',
      'name: is required',
      'variables[0].name: must satisfy the pattern ^[A-Za-z0-9@_-]+$',
      'variables[0].value: must be at least 1 long',
      'clientRequestToken: must satisfy the pattern ^[a-zA-Z0-9-]+$',
      'sourceRevisions[0].revisionType: must be one of COMMIT_ID, IMAGE_DIGEST, S3_OBJECT_VERSION_ID, S3_OBJECT_KEY',
    ]);
    expect(
      codePipelineRequestProblems('StopPipelineExecution', {
        pipelineName: 'shop-feature',
        pipelineExecutionId: ID,
        abandon: 'no',
        reason: 'x'.repeat(201),
      }),
    ).toEqual(['abandon: must be a boolean', 'reason: must be at most 200 long']);
    expect(
      codePipelineRequestProblems('ListActionExecutions', { pipelineName: 'p', maxResults: 500 }),
    ).toEqual(['maxResults: must be at most 100']);
  });
});

describe('the one CodePipeline fake answers a request the model refuses with ValidationException', () => {
  const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };

  it('the local server of the action and the demo (real SDK client, JSON 1.1 on the wire)', async () => {
    const fake = await new FakeCodePipeline().start();
    try {
      const client = new CodePipelineClient({
        region: 'eu-west-1',
        endpoint: fake.url,
        credentials,
        maxAttempts: 1,
      });
      const stop = new StopPipelineExecutionCommand({
        pipelineName: 'shop-feature',
        pipelineExecutionId: ID,
        reason: 'x'.repeat(201),
      });
      await expect(client.send(stop)).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('reason: must be at most 200 long'),
      });
      expect(fake.rejected).toEqual(['StopPipelineExecution: reason: must be at most 200 long']);
      expect(fake.stopped).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  it("the bot's client (the fake's SDK-client endpoint, as the bot's harness builds it)", async () => {
    const aws = await createFakeAws({ 'shop-feature': 'feature' });
    try {
      const start = new StartPipelineExecutionCommand({
        name: 'shop-feature',
        clientRequestToken: 'delivery/1',
      });
      await expect(aws.clients.codepipeline.send(start)).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('clientRequestToken: must satisfy the pattern'),
      });
      expect(aws.pipelines.started).toEqual([]);
      expect(aws.pipelines.executions.size).toBe(0);
    } finally {
      await aws.stop();
    }
  });
});
