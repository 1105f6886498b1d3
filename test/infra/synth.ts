import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppProps, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { loadConfig, parseConfig } from '../../infra/config/load-config.js';
import type { PipewardenConfig } from '../../infra/config/schema.js';
import featureFlags from '../../infra/feature-flags.json' with { type: 'json' };
import { addChecks } from '../../infra/lib/checks.js';
import { addPipewardenStacks, type PipewardenStacks } from '../../infra/lib/pipewarden-app.js';
import { BotStack, type BotRepository } from '../../infra/lib/stacks/bot-stack.js';

const root = join(import.meta.dirname, '..', '..');
/** Stands in for dist/bot, which another build step produces; only tests and the offline demo use it. */
export const BOT_PLACEHOLDER = join(import.meta.dirname, 'fixtures', 'bot-placeholder');
/** The platform files every synthesis inlines and pins: this repository's buildspecs and its CLI bundle. */
export const PLATFORM = {
  buildspecDirectory: join(root, 'buildspecs'),
  cliFile: join(root, 'dist', 'cli', 'index.js'),
};

export function exampleConfig(): PipewardenConfig {
  return loadConfig(join(root, 'pipewarden.config.example.json'));
}

/** examples/org: three repositories, tooling, staging and production in their own accounts. */
export function organisationConfig(): PipewardenConfig {
  return loadConfig(join(root, 'examples', 'org', 'pipewarden.config.json'));
}

/** The example with every optional branch switched on: chat channels, flags, HTTPS, private subnets. */
export function fullConfig(): PipewardenConfig {
  const raw = JSON.parse(readFileSync(join(root, 'pipewarden.config.example.json'), 'utf8'));
  raw.aws.account = '111111111111';
  raw.connection = { arn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c' };
  raw.notifications.slack = [{ name: 'team', workspaceId: 'T0123456789', channelId: 'C0123456789' }];
  raw.notifications.teams = [
    {
      name: 'ops',
      teamId: '5f0b3c9e-3a7e-4f43-9d2a-1b2c3d4e5f60',
      tenantId: '0c4e8a1b-9d7f-4e2a-8b3c-5d6e7f8a9b0c',
      channelId: '19%3Aabc%40thread.tacv2',
    },
  ];
  raw.security = { enableSecurityHub: true, publishToSecurityHub: true, enableInspector: true };
  raw.environments.production.certificateArn = 'arn:aws:acm:eu-west-1:111111111111:certificate/abc-123';
  raw.environments.production.testListenerCidrs = ['203.0.113.0/24'];
  raw.vpc.natGateways = 1;
  raw.vpc.privateSubnetCidrs = ['10.40.10.0/24', '10.40.11.0/24'];
  raw.snyk = { tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf' };
  return parseConfig(raw, 'full test config');
}

/**
 * The example with the pull-request trigger opted into, Security Hub enabled centrally (this app only
 * publishes to it) and Docker Hub behind an ECR pull-through cache. Shared through the synth cache without
 * the rule packs (the example's and full's syntheses run them): pipelines-safety and trust-boundaries read it.
 */
export function centralHubConfig(): PipewardenConfig {
  const raw = JSON.parse(readFileSync(join(root, 'pipewarden.config.example.json'), 'utf8'));
  raw.security = { enableSecurityHub: false, publishToSecurityHub: true, enableInspector: false };
  raw.pipelines.feature.pullRequests.enabled = true;
  raw.build = {
    pullThroughCache: {
      upstream: 'docker-hub',
      credentialSecretArn:
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
    },
  };
  return parseConfig(raw, 'central hub test config');
}

/**
 * An app for tests that build a few stacks by hand and read their templates, without CDK's built-in
 * CloudFormation validation. That validation is on by default and starts a WebAssembly engine: ~5 s of CPU for
 * a stand-in bot stack whose template takes 0.1 s. The checked syntheses (synthesize) validate the app's
 * real templates.
 */
export function templateApp(props: AppProps = {}): App {
  return new App({ builtinCloudFormationValidation: false, ...props });
}

export interface Synthesized {
  readonly stacks: PipewardenStacks;
  readonly assembly: CloudAssembly;
  readonly template: (stack: Stack) => Template;
  /** Violations left in CDK's validation report, per plugin (cdk-nag, cfn-guard, CloudFormation). */
  readonly violations: () => { plugin: string; rule: string; paths: string[] }[];
}

/**
 * Synthesizes the whole app with the same checks `npm run synth` registers; throws on any violation.
 * `checks: false` skips every check (seconds instead of a minute), for tests of a configuration whose
 * checks another test already runs: the rule packs, and CDK's built-in CloudFormation validation, whose
 * WebAssembly engine takes ~5 s to start and ~5 s to validate an app (most of an unchecked synthesis).
 */
export function synthesize(config: PipewardenConfig, options: { checks?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'pw-cdk-'));
  const checks = options.checks !== false;
  const app = new App({
    outdir,
    context: { ...featureFlags, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: checks,
  });
  const stacks = addPipewardenStacks(app, config, {
    botCodeDirectory: BOT_PLACEHOLDER,
    configPath: 'pipewarden.config.json',
    platform: PLATFORM,
  });
  if (checks) addChecks(app);
  const assembly = app.synth();
  const templates = new Map<Stack, Template>();
  return {
    stacks,
    assembly,
    template: (stack) => {
      let t = templates.get(stack);
      if (!t) templates.set(stack, (t = Template.fromStack(stack)));
      return t;
    },
    violations: () => {
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: {
          pluginName: string;
          violations: { ruleName: string; violatingConstructs: { constructPath?: string }[] }[];
        }[];
      };
      return report.pluginReports.flatMap((r) =>
        r.violations.map((v) => ({
          plugin: r.pluginName,
          rule: v.ruleName,
          paths: v.violatingConstructs.map((c) => c.constructPath ?? '?'),
        })),
      );
    },
  };
}

/** Every IAM statement of a template (inline role policies, policies, managed policies). */
export function iamStatements(
  template: Template,
): { Effect: string; Action: string[]; Resource: unknown[] }[] {
  const out: { Effect: string; Action: string[]; Resource: unknown[] }[] = [];
  const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  for (const resource of Object.values(template.toJSON().Resources ?? {}) as {
    Type: string;
    Properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }[]) {
    const docs =
      resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy'
        ? [resource.Properties.PolicyDocument]
        : resource.Type === 'AWS::IAM::Role'
          ? asList(resource.Properties.Policies).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
          : [];
    for (const doc of docs) {
      for (const s of doc.Statement) {
        out.push({ Effect: s.Effect, Action: asList(s.Action), Resource: asList(s.Resource) });
      }
    }
  }
  return out;
}

/** A template value as text: Fn::Join joined, the partition as `aws`, anything else as its JSON. */
export function templateText(x: unknown): string {
  if (typeof x === 'string') return x;
  const value = x as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (value['Fn::Join']) return value['Fn::Join'][1].map(templateText).join(value['Fn::Join'][0]);
  return value.Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(x);
}

/**
 * One deployment's BotStack alone, over stand-ins of the shared resources it is given (key, findings bucket,
 * CI image repository, topic) in a stack `ids.base`: the bot's template without a whole-app synthesis.
 */
export function standaloneBotStack(
  app: App,
  ids: { base: string; bot: string },
  props: {
    system: string;
    env: { account: string; region: string };
    repositories: BotRepository[];
  },
): BotStack {
  const { system, env } = props;
  const base = new Stack(app, ids.base, { env });
  return new BotStack(app, ids.bot, {
    env,
    config: { ...exampleConfig(), name: system },
    codeDirectory: BOT_PLACEHOLDER,
    key: new kms.Key(base, 'Key'),
    findingsBucket: new s3.Bucket(base, 'Findings'),
    repository: ecr.Repository.fromRepositoryName(base, 'Ci', `${system}-ci/service-0`),
    repositories: props.repositories,
    topic: new sns.Topic(base, 'Topic'),
    connectionArn: `arn:aws:codeconnections:${env.region}:${env.account}:connection/0f1e2d3c`,
  });
}
