import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { startPipeline } from '../../bot/aws/start-pipeline.js';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../pipeline/contracts.js';
import { requestToken } from '../../pipeline/start-at-commit.js';
import { FakeCodePipeline } from '../support/codepipeline-fake.js';

/** The bot's start, against the local CodePipeline that holds every request to the API model. */
let fake: FakeCodePipeline;
let client: CodePipelineClient;
const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };
const SHA = 'b'.repeat(40);
// X-GitHub-Delivery is a GUID: already in the token's alphabet, and still hashed (one rule for every id).
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

beforeAll(async () => {
  fake = await new FakeCodePipeline().start();
  client = new CodePipelineClient({ region: 'eu-west-1', endpoint: fake.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  await fake.stop();
});

const start = (idempotencyToken: string) =>
  startPipeline(client, {
    pipeline: 'pipewarden-feature',
    sourceAction: 'Source',
    sha: SHA,
    pullRequest: 7,
    headBranch: 'feature/x',
    idempotencyToken,
  });

describe('startPipeline (bot)', () => {
  it('always hashes the delivery id into the clientRequestToken, a GUID too', async () => {
    const id = await start(DELIVERY);
    const [call] = fake.calls('StartPipelineExecution');
    expect(call!.body).toMatchObject({
      name: 'pipewarden-feature',
      clientRequestToken: requestToken(DELIVERY),
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: SHA }],
      variables: [
        { name: PIPELINE_VARIABLES.pullRequest, value: '7' },
        { name: PIPELINE_VARIABLES.headBranch, value: 'feature/x' },
        { name: PIPELINE_VARIABLES.baseBranch, value: VARIABLE_NOT_SET },
      ],
    });
    // A redelivery sends the same token: CodePipeline gives the same execution back.
    await expect(start(DELIVERY)).resolves.toBe(id);
    // Any other id (a replay's, with characters outside the alphabet) goes through the same rule.
    await start('replay/1 of 72d3162e');
    expect(fake.calls('StartPipelineExecution').map((c) => c.body.clientRequestToken)).toEqual([
      requestToken(DELIVERY),
      requestToken(DELIVERY),
      requestToken('replay/1 of 72d3162e'),
    ]);
  });
});
