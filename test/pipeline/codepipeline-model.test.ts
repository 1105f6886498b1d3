import { describe, expect, it } from '@jest/globals';
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
    expect(codePipelineRequestProblems('ListActionExecutions', { pipelineName: 'p', maxResults: 500 })).toEqual([
      'maxResults: must be at most 100',
    ]);
  });
});
