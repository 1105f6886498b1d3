import { describe, expect, it } from '@jest/globals';
import {
  codeBuildLogUrl,
  connectionConsoleUrl,
  consoleOrigin,
  executionUrl,
  isRegion,
} from '../../pipeline/console-url.js';

describe('console URLs in every partition', () => {
  it.each([
    ['eu-west-1', 'https://eu-west-1.console.aws.amazon.com'],
    ['cn-north-1', 'https://cn-north-1.console.amazonaws.cn'],
    ['cn-northwest-1', 'https://cn-northwest-1.console.amazonaws.cn'],
    ['us-gov-west-1', 'https://us-gov-west-1.console.amazonaws-us-gov.com'],
  ])('%s → %s', (region, origin) => {
    expect(isRegion(region)).toBe(true);
    expect(consoleOrigin(region)).toBe(origin);
    expect(executionUrl(region, 'shop feature', 'id-1')).toBe(
      `${origin}/codesuite/codepipeline/pipelines/shop%20feature/executions/id-1/timeline?region=${region}`,
    );
    expect(codeBuildLogUrl(region, 'shop-gate:1b2c')).toBe(
      `${origin}/codesuite/codebuild/projects/shop-gate/build/shop-gate%3A1b2c/log?region=${region}`,
    );
  });

  it('a connection page follows its ARN partition and region', () => {
    expect(
      connectionConsoleUrl('arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/abc-123'),
    ).toBe(
      'https://cn-north-1.console.amazonaws.cn/codesuite/settings/123456789012/cn-north-1/connections/abc-123?region=cn-north-1',
    );
    expect(connectionConsoleUrl('not an arn')).toBe(
      'https://console.aws.amazon.com/codesuite/settings/connections',
    );
  });

  it('refuses what is not a region name', () => {
    for (const bad of [undefined, '', 'eu-west', 'EU-WEST-1', 'eu-west-1/../x', 'evil.com#-1'])
      expect(isRegion(bad)).toBe(false);
    expect(codeBuildLogUrl('eu-west-1', 'no-colon')).toBeUndefined();
  });
});
