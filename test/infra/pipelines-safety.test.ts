import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../infra/config/load-config.js';
import { deploymentWaves } from '../../infra/lib/pipewarden-app.js';
import {
  loadTemplates,
  namedStacks,
  type StackRef,
  type SynthesizedTemplates,
} from '../support/synth-cache.js';

// Issue 11, the pipelines' part: what the deployed pipelines would do wrong in a real account, proved on the
// synthesized templates. The full and example apps come from the shared synth cache (synthesized once, with
// every check; stacks.test.ts asserts zero cdk-nag and Control Tower violations); the variants skip the rule
// packs to save minutes, and come from the cache too (central of test/infra/synth.ts, enableOnly of
// test/infra/variants.ts).

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Resource = { Type: string; Properties: Json; DependsOn?: string[] };

/** A synthesized app, from the cache (stacks by name). */
type App = SynthesizedTemplates;
type AppStack = StackRef<Stack>;

let full: SynthesizedTemplates;
let example: SynthesizedTemplates;
/**
 * Security Hub enabled centrally (not by this app); pull-request trigger opted into; Docker Hub cached.
 * From the cache: trust-boundaries.test.ts reads the same synthesis.
 */
let central: SynthesizedTemplates;
/** The example with the hub enabled by this app, nothing published (security: enable only). */
let enableOnly: SynthesizedTemplates;
beforeAll(() => {
  full = loadTemplates('full');
  example = loadTemplates('example');
  central = loadTemplates('central');
  enableOnly = loadTemplates('enableOnly');
}, 900_000);

const templateOf = (app: App, stack: AppStack) => app.template(stack);
const resourcesOf = (app: App, stack: AppStack): Resource[] =>
  Object.values(templateOf(app, stack).toJSON().Resources as Record<string, Resource>);
const pipeline = (app: App, stack: AppStack, name: string): Resource =>
  resourcesOf(app, stack).find(
    (r) => r.Type === 'AWS::CodePipeline::Pipeline' && r.Properties.Name === name,
  )!;
const project = (app: App, name: string): Resource =>
  resourcesOf(app, app.stacks.pipelines).find(
    (r) => r.Type === 'AWS::CodeBuild::Project' && r.Properties.Name === name,
  )!;
const envOf = (p: Resource): Record<string, string> =>
  Object.fromEntries(
    (p.Properties.Environment.EnvironmentVariables as { Name: string; Value: Json }[]).map((v) => [
      v.Name,
      typeof v.Value === 'string' ? v.Value : JSON.stringify(v.Value),
    ]),
  );
const statementsOf = (app: App, stack: AppStack): { Action: string | string[]; Resource: Json }[] =>
  resourcesOf(app, stack)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
/** The artifact ids of the stacks (and assets) a stack depends on, as the cloud assembly holds them. */
const dependenciesOf = (app: App, stack: AppStack) =>
  app.assembly.getStackArtifact(stack.artifactId).dependencies.map((d) => d.id);
const imports = (app: App) =>
  statementsOf(app, app.stacks.pipelines).filter((s) =>
    [s.Action].flat().includes('securityhub:BatchImportFindings'),
  );

/**
 * The cached stacks as deploymentWaves reads a Stack (its name, template file and dependencies), from the
 * cloud assembly, whose stack dependencies CDK wrote from the stacks' own.
 */
function stacksOfAssembly(refs: readonly StackRef<Stack>[]): Stack[] {
  const byId = new Map<string, { stackName: string; templateFile: string; dependencies: unknown[] }>();
  for (const ref of refs) {
    const artifact = full.assembly.getStackArtifact(ref.artifactId);
    byId.set(ref.artifactId, {
      stackName: artifact.stackName,
      templateFile: artifact.templateFile,
      dependencies: [],
    });
  }
  for (const [id, stack] of byId)
    for (const dependency of full.assembly.getStackArtifact(id).dependencies)
      if (byId.has(dependency.id)) stack.dependencies.push(byId.get(dependency.id));
  return [...byId.values()] as unknown as Stack[];
}

describe('the infrastructure pipeline updates itself first (point 5)', () => {
  const infra = () => pipeline(full, full.stacks.infrastructure, 'pipewarden-infrastructure');

  it('runs SelfUpdate right after Synth, before Assets and Deploy, and restarts when it changed', () => {
    const stages = infra().Properties.Stages as { Name: string; Actions: Json[] }[];
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Synth', 'SelfUpdate', 'Assets', 'Deploy']);
    // A changed pipeline stops this execution and starts a new one that runs the new stages.
    expect(infra().Properties.RestartExecutionOnUpdate).toBe(true);
    const self = stages[2].Actions.map((a) => ({
      name: a.Name,
      provider: a.ActionTypeId.Provider,
      runOrder: a.RunOrder,
      stack: a.Configuration.StackName,
    }));
    expect(self).toEqual([
      { name: 'PublishOwnAssets', provider: 'CodeBuild', runOrder: 1, stack: undefined },
      {
        name: 'pipewarden-infrastructure-pipeline',
        provider: 'CloudFormation',
        runOrder: 2,
        stack: 'pipewarden-infrastructure-pipeline',
      },
    ]);
  });

  it("publishes only its own stack's assets before updating itself (the CLI the next Synth fetches)", () => {
    const publish = infra().Properties.Stages[2].Actions[0];
    const manifest = `${full.stacks.infrastructure.artifactId}.assets.json`;
    expect(JSON.parse(publish.Configuration.EnvironmentVariables)).toEqual([
      { name: 'PIPEWARDEN_ASSET_MANIFESTS', type: 'PLAINTEXT', value: manifest },
    ]);
    // That manifest is in the cloud assembly the Synth action outputs, and names the pinned CLI.
    const file = join(full.assembly.directory, manifest);
    expect(existsSync(file)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).files ?? {}).length).toBeGreaterThan(0);
    // The Assets project publishes every manifest unless the action narrows it.
    full.template(full.stacks.infrastructure).hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'pipewarden-infra-assets',
      Source: {
        BuildSpec: Match.stringLikeRegexp(
          'for manifest in \\$\\{PIPEWARDEN_ASSET_MANIFESTS:-\\*.assets.json\\}',
        ),
      },
    });
  });

  it('still deploys every application stack in the Deploy stage, after the assets', () => {
    const deploy = infra().Properties.Stages[4].Actions.map((a: Json) => a.Configuration.StackName);
    expect(deploy).toContain('pipewarden-pipelines');
    expect(deploy).not.toContain('pipewarden-infrastructure-pipeline');
  });

  it('is triggered by a dependency bump too (package.json, package-lock.json)', () => {
    const paths = infra().Properties.Triggers[0].GitConfiguration.Push[0].FilePaths.Includes;
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    // The default, for a configuration that does not list its paths.
    const defaults = parseConfig(
      {
        aws: { region: 'eu-west-1' },
        repository: { owner: 'o', name: 'r' },
        connection: { create: true, name: 'c' },
        environments: { staging: {}, production: {} },
        vpc: {
          cidr: '10.0.0.0/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          publicSubnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'],
        },
      },
      'defaults',
    );
    expect(defaults.pipelines.infrastructure.filePaths).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json']),
    );
  });
});

describe('one trigger per change (point 3)', () => {
  const git = (app: App, name: string) =>
    pipeline(app, app.stacks.pipelines, name).Properties.Triggers.map((t: Json) => t.GitConfiguration);

  it('starts the feature pipeline on push only, by default', () => {
    const [feature] = git(full, 'pipewarden-feature');
    expect(git(full, 'pipewarden-feature')).toHaveLength(1);
    expect(feature.Push).toHaveLength(1);
    expect(feature.PullRequest).toBeUndefined();
    expect(git(full, 'pipewarden-main')[0].PullRequest).toBeUndefined();
  });

  it('opting into the pull-request trigger replaces push: never two runs of one commit', () => {
    const triggers = git(central, 'pipewarden-feature');
    expect(triggers).toHaveLength(1);
    expect(triggers[0].Push).toBeUndefined();
    expect(triggers[0].PullRequest).toEqual([
      {
        Branches: { Includes: ['main'] },
        Events: ['OPEN', 'UPDATED'],
        FilePaths: { Excludes: ['docs/**', '**/*.md'] },
      },
    ]);
  });

  it('lets the image projects ask ECR whether a commit already has an image', () => {
    for (const [name, repo] of [
      ['pipewarden-image', full.stacks.storage.logicalIds.repository],
      ['pipewarden-ci-image', full.stacks.storage.logicalIds.ciRepository],
    ] as const) {
      const role = project(full, name).Properties.ServiceRole['Fn::GetAtt'][0];
      const policies = resourcesOf(full, full.stacks.pipelines).filter(
        (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(role),
      );
      const describes = policies
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s: Json) => [s.Action].flat().includes('ecr:DescribeImages'));
      expect(describes).toHaveLength(1);
      expect(JSON.stringify(describes[0].Resource)).toContain(repo!);
    }
  });
});

describe('publishing to Security Hub is separate from enabling it (point 6)', () => {
  it('publishes where the hub is enabled centrally: no hub resource, the gate publishes', () => {
    expect(central.stacks.security).toBeUndefined();
    expect(envOf(project(central, 'pipewarden-gate')).PIPEWARDEN_SECURITY_HUB).toBe('true');
    expect(imports(central)).toHaveLength(1);
  });

  it('enables the hub without publishing: the gate neither publishes nor may', () => {
    enableOnly.template(enableOnly.stacks.security!).resourceCountIs('AWS::SecurityHub::Hub', 1);
    expect(envOf(project(enableOnly, 'pipewarden-gate')).PIPEWARDEN_SECURITY_HUB).toBe('false');
    expect(imports(enableOnly)).toEqual([]);
    // Nothing publishes, so the pipelines need not wait for the hub (the stacks' dependencies, as the cloud
    // assembly holds them).
    expect(dependenciesOf(enableOnly, enableOnly.stacks.pipelines)).not.toContain(
      enableOnly.stacks.security!.artifactId,
    );
  });

  it('neither by default', () => {
    expect(example.stacks.security).toBeUndefined();
    expect(envOf(project(example, 'pipewarden-gate')).PIPEWARDEN_SECURITY_HUB).toBe('false');
    expect(imports(example)).toEqual([]);
  });

  it('deploys the hub before the pipelines that publish to it, in the assembly and the infrastructure pipeline', () => {
    const { security, pipelines } = full.stacks;
    full.template(security!).resourceCountIs('AWS::SecurityHub::Hub', 1);
    expect(envOf(project(full, 'pipewarden-gate')).PIPEWARDEN_SECURITY_HUB).toBe('true');
    // The cloud assembly (cdk deploy's order) …
    const artifact = full.assembly.getStackByName(pipelines.stackName);
    expect(artifact.dependencies.map((d) => d.id)).toContain(security!.artifactId);
    // … and the infrastructure pipeline's waves.
    const waves = deploymentWaves(
      stacksOfAssembly(namedStacks(full.stacks).filter((s) => s !== full.stacks.infrastructure)),
    );
    const waveOf = (name: string) => waves.findIndex((w) => w.some((s) => s.stackName === name));
    expect(waveOf(security!.stackName)).toBeLessThan(waveOf(pipelines.stackName));
    const deploy = pipeline(full, full.stacks.infrastructure, 'pipewarden-infrastructure').Properties
      .Stages[4].Actions as { Configuration: { StackName: string }; RunOrder: number }[];
    const runOrder = (name: string) => deploy.find((a) => a.Configuration.StackName === name)!.RunOrder;
    expect(runOrder(security!.stackName)).toBeLessThan(runOrder(pipelines.stackName));
  });
});

describe('smaller points of 9', () => {
  it('lets only this account’s notification rules publish to the topic (aws:SourceAccount, aws:SourceArn)', () => {
    const policies = resourcesOf(full, full.stacks.notifications).filter(
      (r) => r.Type === 'AWS::SNS::TopicPolicy',
    );
    const statements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: Json) => JSON.stringify(s.Principal ?? {}).includes('codestar-notifications'));
    // One statement for the three pipelines' rules, none without conditions.
    expect(statements).toEqual([
      {
        Sid: 'CodeStarNotifications',
        Effect: 'Allow',
        Principal: { Service: 'codestar-notifications.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.any(String) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: {
            'aws:SourceArn': 'arn:aws:codestar-notifications:eu-west-1:111111111111:notificationrule/*',
          },
        },
      },
    ]);
  });

  it('lets only this account’s notification rules use the key for the topic (aws:SourceAccount, aws:SourceArn)', () => {
    // The key policy must not be the way around the topic policy: CodeStar Notifications acting for another
    // account's rule, or for anything but a notification rule, may not encrypt with it.
    const [key] = resourcesOf(full, full.stacks.storage).filter((r) => r.Type === 'AWS::KMS::Key');
    const statements = key.Properties.KeyPolicy.Statement.filter((s: Json) =>
      JSON.stringify(s.Principal ?? {}).includes('codestar-notifications'),
    );
    expect(statements).toEqual([
      {
        Sid: 'CodeStarNotifications',
        Effect: 'Allow',
        Principal: { Service: 'codestar-notifications.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: {
            'aws:SourceArn': 'arn:aws:codestar-notifications:eu-west-1:111111111111:notificationrule/*',
          },
        },
      },
    ]);
  });

  it('passes the image repository as a URI written at synthesis: no Fn::Split over an imported value', () => {
    const text = JSON.stringify(full.template(full.stacks.pipelines).toJSON());
    expect(text).not.toContain('Fn::Split');
    for (const [name, repo] of [
      ['pipewarden-image', full.stacks.storage.logicalIds.repository],
      ['pipewarden-ci-image', full.stacks.storage.logicalIds.ciRepository],
    ] as const) {
      const value = (
        project(full, name).Properties.Environment.EnvironmentVariables as { Name: string; Value: Json }[]
      ).find((v) => v.Name === 'PIPEWARDEN_ECR_REPOSITORY_URI')!.Value;
      const [, parts] = value['Fn::Join'] as [string, Json[]];
      expect(parts[0]).toBe('111111111111.dkr.ecr.eu-west-1.');
      expect(parts[1]).toEqual({ Ref: 'AWS::URLSuffix' });
      expect(parts[2]).toBe('/');
      // The repository's name, exported by the storage stack (the repository of this principal).
      expect(JSON.stringify(parts[3])).toContain(repo!);
    }
  });
});

describe('after each deployment (with the deploy-safety constructs)', () => {
  const main = () => pipeline(full, full.stacks.pipelines, 'pipewarden-main');
  const stage = (name: string) =>
    (main().Properties.Stages as { Name: string; Actions: Json[] }[])
      .find((s) => s.Name === name)!
      .Actions.map((a) => ({
        name: a.Name,
        runOrder: a.RunOrder,
        project: a.Configuration.ProjectName,
        env: a.Configuration.EnvironmentVariables,
      }));

  it('records the image each environment runs, and smoke-tests staging before the approval', () => {
    const stages = main().Properties.Stages.map((s: { Name: string }) => s.Name);
    expect(stages.indexOf('Staging')).toBe(stages.indexOf('Approval') - 1);
    expect(stages.indexOf('Approval')).toBe(stages.indexOf('Production') - 1);
    // Deploy first; then, once it succeeded, the record and the smoke test (which fails the stage).
    expect(stage('Staging').map(({ name, runOrder, project }) => ({ name, runOrder, project }))).toEqual([
      { name: 'Deploy', runOrder: 1, project: undefined },
      { name: 'RecordImage', runOrder: 2, project: { Ref: expect.any(String) } },
      { name: 'SmokeTest', runOrder: 2, project: { Ref: expect.any(String) } },
    ]);
    expect(stage('Production').map(({ name, runOrder, project }) => ({ name, runOrder, project }))).toEqual([
      { name: 'Deploy', runOrder: 1, project: undefined },
      { name: 'RecordImage', runOrder: 2, project: { Ref: expect.any(String) } },
    ]);
    // Each environment's record runs the project that writes that environment's parameter.
    const projects = Object.entries(
      full.template(full.stacks.pipelines).toJSON().Resources as Record<string, Resource>,
    );
    const nameOf = (ref: { Ref: string }) => projects.find(([id]) => id === ref.Ref)![1].Properties.Name;
    expect(nameOf(stage('Staging')[1].project)).toBe('pipewarden-staging-record-image');
    expect(nameOf(stage('Staging')[2].project)).toBe('pipewarden-staging-smoke-test');
    expect(nameOf(stage('Production')[1].project)).toBe('pipewarden-production-record-image');
  });

  it('lets the main pipeline start the record and smoke-test projects, and the feature pipeline neither', () => {
    const names = [
      'pipewarden-staging-record-image',
      'pipewarden-production-record-image',
      'pipewarden-staging-smoke-test',
    ];
    const starts = statementsOf(full, full.stacks.pipelines).filter((s) =>
      [s.Action].flat().includes('codebuild:StartBuild'),
    );
    const text = (s: { Resource: Json }) => JSON.stringify(s.Resource);
    for (const name of names) {
      const projects = Object.entries(
        full.template(full.stacks.pipelines).toJSON().Resources as Record<string, Resource>,
      );
      const id = projects.find(
        ([, r]) => r.Type === 'AWS::CodeBuild::Project' && r.Properties.Name === name,
      )![0];
      // Exactly one role may start it: the main pipeline's CodeBuild action role.
      expect(starts.filter((s) => text(s).includes(`"${id}"`))).toHaveLength(1);
    }
  });
});

describe('pull-through cache for docker build --pull (point 9)', () => {
  const rulesOf = (app: App) =>
    resourcesOf(app, app.stacks.storage)
      .filter((r) => r.Type === 'AWS::ECR::PullThroughCacheRule')
      .map((r) => r.Properties);

  it('caches ECR Public by default, with no credentials', () => {
    expect(rulesOf(full)).toEqual([
      {
        EcrRepositoryPrefix: 'ecr-public',
        UpstreamRegistry: 'ecr-public',
        UpstreamRegistryUrl: 'public.ecr.aws',
      },
    ]);
  });

  it('caches Docker Hub when opted into, with the ecr-pullthroughcache/ secret', () => {
    expect(rulesOf(central)).toEqual([
      {
        EcrRepositoryPrefix: 'docker-hub',
        UpstreamRegistry: 'docker-hub',
        UpstreamRegistryUrl: 'registry-1.docker.io',
        CredentialArn:
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
      },
    ]);
  });

  it.each(['pipewarden-image', 'pipewarden-ci-image'])(
    '%s may create and import cached repositories under the prefix only, and is told the registry',
    (name) => {
      const cached = 'arn:aws:ecr:eu-west-1:111111111111:repository/ecr-public/*';
      const p = project(full, name);
      expect(envOf(p).PIPEWARDEN_BASE_IMAGE_REGISTRY).toContain('/ecr-public');
      const roleId = p.Properties.ServiceRole['Fn::GetAtt'][0];
      const statements = resourcesOf(full, full.stacks.pipelines)
        .filter(
          (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === roleId),
        )
        .flatMap((r) => r.Properties.PolicyDocument.Statement);
      // No push right on the cache (PutImage, upload): a build cannot put its own content where others pull.
      expect(statements.filter((s: Json) => JSON.stringify(s.Resource).includes('ecr-public'))).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:BatchImportUpstreamImage',
            'ecr:CreateRepository',
            'ecr:GetDownloadUrlForLayer',
          ],
          Resource: cached,
        },
      ]);
    },
  );

  it('grants ecr:CreateRepository to no other role', () => {
    const holders = namedStacks(full.stacks)
      .flatMap((s) => resourcesOf(full, s))
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties.PolicyDocument).includes('ecr:CreateRepository'),
      );
    expect(holders).toHaveLength(2);
  });
});
