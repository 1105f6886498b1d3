import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { requestToken, startAtCommit } from '../../pipeline/start-at-commit.js';
import { MAX_STOP_REASON, stopExecution } from '../../pipeline/stop-execution.js';
import { endlessFrames, FakeCodePipeline } from '../support/codepipeline-fake.js';

/** Start at a commit and stop, against the local CodePipeline that holds every request to the API model. */
let fake: FakeCodePipeline;
let client: CodePipelineClient;
const SHA = 'a'.repeat(40);
const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };

beforeAll(async () => {
  fake = await new FakeCodePipeline().start();
  client = new CodePipelineClient({ region: 'eu-west-1', endpoint: fake.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  await fake.stop();
});

describe('startAtCommit', () => {
  it('starts at the commit, and the same token gives the same execution back', async () => {
    const start = {
      pipelineName: 'pipewarden-feature',
      sourceAction: 'Source',
      commitSha: SHA,
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
      clientRequestToken: requestToken(['delivery', 'héllo/wörld']),
    };
    const id = await startAtCommit(client, start);
    await expect(startAtCommit(client, start)).resolves.toBe(id);
    expect(fake.calls('StartPipelineExecution')[0]!.body).toMatchObject({
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: SHA }],
    });
  });

  it('refuses a token CodePipeline would refuse before sending it, saying how to make one', async () => {
    const before = fake.calls('StartPipelineExecution').length;
    await expect(
      startAtCommit(client, {
        pipelineName: 'pipewarden-feature',
        sourceAction: 'Source',
        commitSha: SHA,
        clientRequestToken: 'delivery/1',
      }),
    ).rejects.toThrow(
      /clientRequestToken "delivery\/1" is not 1–128 of \[a-zA-Z0-9-\]; make it with requestToken\(\)/,
    );
    expect(fake.calls('StartPipelineExecution')).toHaveLength(before);
  });
});

describe('stopExecution', () => {
  it('stops with a reason cut to 200, then says already stopping / already finished / not found', async () => {
    fake.frames = endlessFrames;
    const executionId = await startAtCommit(client, {
      pipelineName: 'pipewarden-feature',
      sourceAction: 'Source',
      commitSha: SHA,
      clientRequestToken: requestToken(['stop-test']),
    });
    const stop = { pipelineName: 'pipewarden-feature', executionId, reason: 'r'.repeat(300) };
    await expect(stopExecution(client, stop)).resolves.toBe('stopped');
    expect(fake.calls('StopPipelineExecution')[0]!.body).toMatchObject({
      abandon: false,
      reason: 'r'.repeat(MAX_STOP_REASON),
    });
    await expect(stopExecution(client, stop)).resolves.toBe('already-stopping');
    const gone = { ...stop, executionId: '00000000-0000-4000-8000-000000000000' };
    await expect(stopExecution(client, gone)).resolves.toBe('not-found');
  });
});
