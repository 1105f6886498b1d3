/* eslint-disable @typescript-eslint/no-explicit-any -- templates are plain JSON */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { isOwnPipeline, readSettings } from '../../bot/settings.js';
import { SYSTEM_TAG, repositoryPrefix } from '../../infra/lib/names.js';
import { BotStack } from '../../infra/lib/stacks/bot-stack.js';
import { loadTemplates } from '../support/synth-cache.js';
import { standaloneBotStack, templateApp, templateText } from './synth.js';

// Issue 16: a deployment's `name` may contain '-', and large organisations run several deployments in one
// account (`acme` and `acme-eu`). The bot's name patterns (`acme-*-main`, `acme-*-ci/*`) then also match the
// other deployment's pipelines and images; the deployment tag on the resources is what keeps them apart.
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const env = { account: ACCOUNT, region: REGION };
const TAG_KEY = `aws:ResourceTag/${SYSTEM_TAG}`;

type Statement = { Effect: string; Action: string[]; Resource: string[]; Condition?: any };

/** One deployment's bot in `app`: its shorthand repository and one listed repository (id r1). */
function addBot(app: App, system: string): BotStack {
  return standaloneBotStack(
    app,
    { base: `${system}-base`, bot: `${system}-bot` },
    {
      system,
      env,
      repositories: ['', 'r1'].map((id, i) => ({
        config: { owner: 'acme-corp', name: `service-${i}`, mainBranch: 'main' },
        prefix: repositoryPrefix(system, id),
      })),
    },
  );
}

/** The bot's IAM statements (resources as text), event patterns and registry file, once the app is built. */
function read(app: App, stack: BotStack) {
  const template = Template.fromStack(stack).toJSON();
  const statements: Statement[] = Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => [r.Properties.PolicyDocument.Statement].flat())
    .map((s: any) => ({
      Effect: s.Effect,
      Action: [s.Action].flat(),
      Resource: [s.Resource].flat().map(templateText),
      ...(s.Condition ? { Condition: s.Condition } : {}),
    }));
  const rules = Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::Events::Rule')
    .map((r) => r.Properties.EventPattern);
  const layer = Object.values(template.Resources as Record<string, any>).find(
    (r) => r.Type === 'AWS::Lambda::LayerVersion',
  );
  const registryFile = join(
    app.outdir,
    `asset.${String(layer.Properties.Content.S3Key).replace(/\.zip$/, '')}`,
    'pipewarden',
    'repositories.json',
  );
  return { statements, rules, registryFile };
}

/** IAM's wildcard match of one resource pattern (`*` any run of characters, `?` one). */
function covers(pattern: string, arn: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

/**
 * Whether an Allow statement grants `action` on a resource with these tags: IAM's evaluation for the
 * operators the bot's role uses (a condition key absent from the request fails StringEquals and passes
 * StringEqualsIfExists; an unknown operator grants nothing, so a new one must be taught here).
 */
function allows(statements: Statement[], action: string, arn: string, tags: Record<string, string>) {
  const tag = (key: string) => (key.startsWith('aws:ResourceTag/') ? tags[key.slice(16)] : undefined);
  const holds = (condition: any) =>
    Object.entries((condition ?? {}) as Record<string, Record<string, string>>).every(([op, keys]) =>
      Object.entries(keys).every(([key, value]) =>
        op === 'StringEquals'
          ? tag(key) === value
          : op === 'StringEqualsIfExists'
            ? tag(key) === undefined || tag(key) === value
            : false,
      ),
    );
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Action.includes(action) &&
      s.Resource.some((p) => covers(p, arn)) &&
      holds(s.Condition),
  );
}

const pipeline = (name: string) => `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${name}`;
const approval = (name: string) => `${pipeline(name)}/Approval/Approve`;
const repository = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;

describe("the bot of one deployment and another deployment's resources in the same account", () => {
  const app = templateApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = [addBot(app, 'acme'), addBot(app, 'acme-eu')];
  const [acme, eu] = stacks.map((stack) => read(app, stack)) as [
    ReturnType<typeof read>,
    ReturnType<typeof read>,
  ];
  // What each deployment owns, with the tag its app puts on every resource (pipewarden-app.ts).
  const owned = (system: string) => ({
    tags: { [SYSTEM_TAG]: system },
    pipelines: [`${system}-main`, `${system}-feature`, `${system}-r1-main`, `${system}-r1-feature`],
    mains: [`${system}-main`, `${system}-r1-main`],
    images: [`${system}-ci/service-0`, `${system}-r1-ci/service-1`],
  });
  const PIPELINE_ACTIONS = [
    'codepipeline:StartPipelineExecution',
    'codepipeline:StopPipelineExecution',
    'codepipeline:GetPipelineState',
    'codepipeline:GetPipelineExecution',
    'codepipeline:ListPipelineExecutions',
    'codepipeline:ListActionExecutions',
  ];
  const IMAGE_ACTIONS = ['ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchDeleteImage'];

  it('puts the tag condition on exactly the pipeline and image statements', () => {
    // Why: the Service Authorization Reference lists aws:ResourceTag for CodePipeline's `pipeline` and
    // `action` and ECR's `repository` resource types; on any other statement the key would be absent and
    // the statement would allow nothing (the findings bucket, the key, the logs, the secret, the queue).
    for (const s of acme.statements) {
      const service = s.Action.map((a) => a.split(':')[0]!);
      if (service.includes('codepipeline') || service.includes('ecr')) {
        expect(new Set(service).size).toBe(1);
        const operator = s.Action.includes('codepipeline:PutApprovalResult')
          ? 'StringEqualsIfExists' // an action is not itself tagged (see bot-stack.ts)
          : 'StringEquals';
        expect(s.Condition).toEqual({ [operator]: { [TAG_KEY]: 'acme' } });
      } else expect(s.Condition).toBeUndefined();
    }
    const conditioned = acme.statements.filter((s) => s.Condition).flatMap((s) => s.Action);
    expect(conditioned.sort()).toEqual(
      [...PIPELINE_ACTIONS, 'codepipeline:PutApprovalResult', ...IMAGE_ACTIONS].sort(),
    );
  });

  it("grants each bot its own deployment's pipelines, approvals and CI images", () => {
    for (const [bot, system] of [
      [acme, 'acme'],
      [eu, 'acme-eu'],
    ] as const) {
      const own = owned(system);
      for (const name of own.pipelines)
        for (const action of PIPELINE_ACTIONS)
          expect(allows(bot.statements, action, pipeline(name), own.tags)).toBe(true);
      for (const name of own.mains) {
        expect(allows(bot.statements, 'codepipeline:PutApprovalResult', approval(name), own.tags)).toBe(true);
        // If CodePipeline gives the action no tag, the name pattern still limits the approval.
        expect(allows(bot.statements, 'codepipeline:PutApprovalResult', approval(name), {})).toBe(true);
      }
      for (const name of own.images)
        for (const action of IMAGE_ACTIONS)
          expect(allows(bot.statements, action, repository(name), own.tags)).toBe(true);
    }
  });

  it("grants deployment acme's bot nothing of deployment acme-eu's, which its name patterns match", () => {
    const other = owned('acme-eu');
    // The patterns do cover them ('acme-*-main' matches 'acme-eu-main' and 'acme-eu-r1-main')…
    for (const name of other.pipelines)
      expect(allows(acme.statements, PIPELINE_ACTIONS[0]!, pipeline(name), owned('acme').tags)).toBe(true);
    // …so only the tag keeps the production approval, the pipelines and the images of acme-eu out of reach.
    for (const name of other.pipelines)
      for (const action of PIPELINE_ACTIONS)
        expect(allows(acme.statements, action, pipeline(name), other.tags)).toBe(false);
    for (const name of other.mains)
      expect(allows(acme.statements, 'codepipeline:PutApprovalResult', approval(name), other.tags)).toBe(
        false,
      );
    for (const name of other.images)
      for (const action of IMAGE_ACTIONS)
        expect(allows(acme.statements, action, repository(name), other.tags)).toBe(false);
    // Untagged pipelines and images (made outside pipewarden) are not granted either.
    expect(allows(acme.statements, PIPELINE_ACTIONS[0]!, pipeline('acme-r1-main'), {})).toBe(false);
    expect(allows(acme.statements, 'ecr:BatchDeleteImage', repository('acme-r1-ci/service-1'), {})).toBe(
      false,
    );
    // And the other way round.
    for (const name of owned('acme').pipelines)
      expect(allows(eu.statements, PIPELINE_ACTIONS[0]!, pipeline(name), owned('acme').tags)).toBe(false);
  });

  it("lets the other deployment's pipeline events through its rule, and the bot passes over them", () => {
    // Why: EventBridge has no tag filter, so the wildcard 'acme-*-main' delivers acme-eu's events too; the
    // bot handles a pipeline event only for a pipeline of its registry (sync-pipeline-check.ts, first step).
    const patterns = acme.rules[0].detail.pipeline as (string | { wildcard: string })[];
    const matches = (name: string) =>
      patterns.some((p) => (typeof p === 'string' ? p === name : covers(p.wildcard, name)));
    expect(matches('acme-eu-r1-main')).toBe(true);
    const settings = readSettings({ PIPEWARDEN_REPOSITORIES_FILE: acme.registryFile });
    expect(settings.problems).toEqual([]);
    for (const name of owned('acme').pipelines) expect(isOwnPipeline(settings, name)).toBe(true);
    for (const name of owned('acme-eu').pipelines) expect(isOwnPipeline(settings, name)).toBe(false);
  });
});

describe('the deployment tag in the app as synthesized', () => {
  it("is on every repository's pipelines and CI image repositories, with the value the bot requires", () => {
    // Why: the bot's grants require aws:ResourceTag/pipewarden:system = name; an untagged pipeline or CI
    // repository of this deployment would be out of the bot's reach.
    const org = loadTemplates('organisation'); // shared with the other infra tests
    const system = org.template(org.stacks.bot).toJSON();
    const name = String(
      Object.values(system.Resources as Record<string, any>).find(
        (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName).endsWith('-bot'),
      ).Properties.FunctionName,
    ).replace(/-bot$/, '');
    const conditions = Object.values(system.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => [r.Properties.PolicyDocument.Statement].flat())
      .filter((s: any) => s.Condition)
      .map((s: any) => Object.values(s.Condition)[0]);
    expect(conditions).toHaveLength(3);
    for (const c of conditions) expect(c).toEqual({ [TAG_KEY]: name });
    const tagOf = (r: any) =>
      (r.Properties.Tags as { Key: string; Value: string }[] | undefined)?.find((t) => t.Key === SYSTEM_TAG)
        ?.Value;
    const pipelines = org.stacks.repositories.flatMap((r) =>
      Object.values(org.template(r.pipelines).toJSON().Resources as Record<string, any>).filter(
        (x) => x.Type === 'AWS::CodePipeline::Pipeline',
      ),
    );
    expect(pipelines).toHaveLength(2 * org.stacks.repositories.length);
    for (const p of pipelines) expect(tagOf(p)).toBe(name);
    const ci = Object.values(
      org.template(org.stacks.storage).toJSON().Resources as Record<string, any>,
    ).filter((x) => x.Type === 'AWS::ECR::Repository' && /-ci\//.test(String(x.Properties.RepositoryName)));
    expect(ci).toHaveLength(org.stacks.repositories.length);
    for (const r of ci) expect(tagOf(r)).toBe(name);
  }, 900_000); // the first run after a change synthesizes the organisation example
});
