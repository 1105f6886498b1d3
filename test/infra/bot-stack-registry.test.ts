/* eslint-disable @typescript-eslint/no-explicit-any -- templates are plain JSON */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

import { Template } from 'aws-cdk-lib/assertions';
import { readSettings, settingsForPipeline, settingsForRepository } from '../../bot/settings.js';
import { repositoryPrefix } from '../../infra/lib/names.js';
import { BOT_REGISTRY_PATH, type BotRepository, servedScope } from '../../infra/lib/stacks/bot-stack.js';
import { standaloneBotStack, templateApp, templateText } from './synth.js';

// Issue 16: one bot for every listed repository. The list reaches the bot as a file in a Lambda layer, and its
// rights are patterns of the deployment's naming scheme, so nothing in its role, environment or event rule
// grows with the number of repositories. Only the bot stack is built here (no whole-app synthesis).
const ACCOUNT = '123456789012';
const env = { account: ACCOUNT, region: 'eu-west-1' };
const system = 'acme';

function repositories(count: number): BotRepository[] {
  return Array.from({ length: count }, (_, i) => ({
    config: { owner: 'acme-corp', name: `service-${i}`, mainBranch: i % 2 ? 'trunk' : 'main' },
    // The first keeps the unprefixed names (the config's shorthand repository, id "").
    prefix: repositoryPrefix(system, i === 0 ? '' : `r${i}`),
  }));
}

function botStack(count: number) {
  const app = templateApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = standaloneBotStack(
    app,
    { base: 'Base', bot: 'Bot' },
    {
      system,
      env,
      repositories: repositories(count),
    },
  );
  const template = Template.fromStack(stack).toJSON();
  const resources = Object.values(template.Resources as Record<string, { Type: string; Properties: any }>);
  const of = (type: string) => resources.filter((r) => r.Type === type);
  const fn = of('AWS::Lambda::Function').find((r) => r.Properties.FunctionName === `${system}-bot`)!;
  const layer = Object.values(template.Resources as Record<string, any>).find(
    (r) => r.Type === 'AWS::Lambda::LayerVersion',
  );
  return {
    app,
    policies: of('AWS::IAM::Policy').map((p) => p.Properties.PolicyDocument),
    environment: fn.Properties.Environment.Variables as Record<string, unknown>,
    layers: fn.Properties.Layers as unknown[],
    rule: of('AWS::Events::Rule')[0]!.Properties.EventPattern,
    rules: of('AWS::Events::Rule').map((r) => r.Properties),
    // The staged layer directory (what Lambda extracts to /opt).
    layerDirectory: layer
      ? join(app.outdir, `asset.${String(layer.Properties.Content.S3Key).replace(/\.zip$/, '')}`)
      : undefined,
  };
}

/** IAM's wildcard match of one resource pattern (`*` any run of characters, `?` one). */
function covers(pattern: string, arn: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

/** The literal resource strings the role's statements with this action name (the account and region filled). */
function resourcesFor(policies: any[], action: string): string[] {
  return policies
    .flatMap((d) => [d.Statement].flat())
    .filter((s: any) => [s.Action].flat().includes(action))
    .flatMap((s: any) => [s.Resource].flat().map(templateText));
}

describe('the bot of a deployment of many repositories', () => {
  const small = botStack(3);
  const large = botStack(200);
  const size = (x: unknown) => JSON.stringify(x).length;

  it('keeps its policy, environment and event rule the same size from 3 to 200 repositories', () => {
    // Why: IAM allows 10,240 characters of inline policy per role, Lambda 4 KB of environment, EventBridge
    // 2,048 characters of event pattern; none may grow with the organisation.
    expect(size(large.policies)).toBe(size(small.policies));
    expect(size(large.environment)).toBe(size(small.environment));
    expect(size(large.rules)).toBe(size(small.rules));
    for (const rule of large.rules) expect(size(rule.EventPattern)).toBeLessThan(2_048);
    expect(size(large.policies)).toBeLessThan(10_240);
    expect(large.environment).toMatchObject({ PIPEWARDEN_REPOSITORIES_FILE: BOT_REGISTRY_PATH });
    expect(large.environment.PIPEWARDEN_REPOSITORIES).toBeUndefined();
    expect(large.environment.PIPEWARDEN_PIPELINES).toBeUndefined();
    expect(large.layers).toHaveLength(2); // the registry and the Parameters and Secrets extension
  });

  it('ships every repository in the registry file, which the bot reads back as written', () => {
    // Why: the file the CDK app writes is the one bot/settings.ts reads at start-up (same schema, same path).
    const file = join(large.layerDirectory!, 'pipewarden', 'repositories.json');
    const settings = readSettings({ PIPEWARDEN_REPOSITORIES_FILE: file });
    expect(settings.problems).toEqual([]);
    expect(settings.repositories).toHaveLength(200);
    expect(settings.pipelines).toHaveLength(400);
    expect(settingsForRepository(settings, 'acme-corp/service-0')).toMatchObject({
      pipelines: ['acme-main', 'acme-feature'],
      ecrRepository: 'acme-ci/service-0',
      mainBranch: 'main',
    });
    expect(settingsForPipeline(settings, 'acme-r199-feature')).toMatchObject({
      repository: 'acme-corp/service-199',
      pipelines: ['acme-r199-main', 'acme-r199-feature'],
      ecrRepository: 'acme-r199-ci/service-199',
      mainBranch: 'trunk',
    });
  });

  it("covers every listed repository's pipelines and images, and nothing outside the deployment's scheme", () => {
    const arn = (name: string) => `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:${name}`;
    const pipelines = resourcesFor(large.policies, 'codepipeline:StartPipelineExecution');
    const approvals = resourcesFor(large.policies, 'codepipeline:PutApprovalResult');
    const images = resourcesFor(large.policies, 'ecr:BatchDeleteImage');
    const covered = (patterns: string[], resource: string) => patterns.some((p) => covers(p, resource));
    for (const name of ['acme-main', 'acme-feature', 'acme-r1-main', 'acme-r199-feature'])
      expect(covered(pipelines, arn(name))).toBe(true);
    // Why: the infrastructure pipeline deploys the platform itself; other systems' pipelines are not ours.
    for (const name of ['acme-infrastructure', 'other-main', 'acmex-main', 'acme', 'acme-r1-other'])
      expect(covered(pipelines, arn(name))).toBe(false);
    // The production approval of each main pipeline, and no other action.
    for (const name of ['acme-main', 'acme-r7-main'])
      expect(covered(approvals, `${arn(name)}/Approval/Approve`)).toBe(true);
    for (const name of ['acme-r7-feature', 'acme-infrastructure'])
      expect(covered(approvals, `${arn(name)}/Approval/Approve`)).toBe(false);
    expect(covered(approvals, `${arn('acme-r7-main')}/Gate/Publish`)).toBe(false);
    const repo = (name: string) => `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${name}`;
    expect(covered(images, repo('acme-r42-ci/service-42'))).toBe(true);
    // Why: production images are never the bot's to delete, nor another system's.
    for (const name of ['acme-r42/service-42', 'acme/service-0', 'other-ci/x', 'acmex-ci/x'])
      expect(covered(images, repo(name))).toBe(false);
  });

  it("sends the bot a manual approval's start, and no other action event, from the same pipelines", () => {
    // Why: an approval's stage may start before the approval does (no token yet), so the Approve / Reject
    // buttons need the approval's own start; any other action event would cost an invocation for nothing.
    const [pipeline, approval] = large.rules;
    expect(large.rules).toHaveLength(2);
    expect(pipeline.EventPattern['detail-type']).toEqual([
      'CodePipeline Pipeline Execution State Change',
      'CodePipeline Stage Execution State Change',
    ]);
    expect(approval.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change'],
      detail: {
        pipeline: pipeline.EventPattern.detail.pipeline,
        type: { category: ['Approval'] },
        state: ['STARTED'],
      },
    });
    expect(pipeline.EventPattern.detail.pipeline).toEqual([
      'acme-main',
      'acme-feature',
      { wildcard: 'acme-*-main' },
      { wildcard: 'acme-*-feature' },
    ]);
    // Both reach the function with the same retries and dead-letter queue.
    expect(approval.Targets).toHaveLength(1);
    const { Id: _a, ...target } = approval.Targets[0];
    const { Id: _p, ...same } = pipeline.Targets[0];
    expect(target).toEqual(same);
    expect(target).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    });
  });

  it('refuses a repository prefix outside the naming scheme instead of widening to it', () => {
    // Why: a prefix the patterns do not describe would be served by nothing, or need a broader pattern.
    expect(() => servedScope('acme', [{ prefix: 'other-web' }])).toThrow(
      'pipewarden: bot repository prefix "other-web" is not "acme" or "acme-<id>": derive it with repositoryPrefix (infra/lib/names.ts)',
    );
  });
});
