import { describe, expect, it } from '@jest/globals';
import type { ExecutionView } from '../../bot/aws/describe-execution.js';
import { renderPipelineCheck } from '../../bot/render/render-pipeline-check.js';

const ID = '2f1b6a2e-0c1d-4f5e-9a8b-7c6d5e4f3a2b';
const view: ExecutionView = {
  pipeline: 'shop-feature',
  executionId: ID,
  status: 'InProgress',
  variables: {},
  stages: [{ name: 'Source', status: 'Succeeded', actions: [{ name: 'Source', status: 'Succeeded' }] }],
};

describe('pipeline check links to the console of the region’s partition', () => {
  it.each([
    ['eu-west-1', 'https://eu-west-1.console.aws.amazon.com'],
    ['cn-north-1', 'https://cn-north-1.console.amazonaws.cn'],
    ['us-gov-west-1', 'https://us-gov-west-1.console.amazonaws-us-gov.com'],
  ])('%s → %s', (region, origin) => {
    const fields = renderPipelineCheck(view, { region });
    const url = `${origin}/codesuite/codepipeline/pipelines/shop-feature/executions/${ID}/visualization?region=${region}`;
    expect(fields.details_url).toBe(url);
    expect(fields.output.summary).toContain(`execution [${ID}](${url})`);
  });

  it('links nowhere when the region is unknown or not a region', () => {
    for (const region of [undefined, 'eu-west-1.evil.example', 'EU'])
      expect(renderPipelineCheck(view, region ? { region } : {}).details_url).toBeUndefined();
  });
});
