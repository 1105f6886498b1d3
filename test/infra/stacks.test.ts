import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PIPELINE_VARIABLES } from '../../pipeline/contracts.js';
import { renderLikeNag } from '../../infra/lib/acknowledge.js';
import {
  loadTemplates,
  namedStacks,
  type CachedStacks,
  type SynthesizedTemplates,
} from '../support/synth-cache.js';
import { iamStatements } from './synth.js';
import { parse } from 'yaml';
import { loadBuildspec } from '../buildspecs/run-buildspec.js';
import { maskForSnapshot } from './snapshot.js';

// One synthesis of the whole app with every optional feature on (chat channels, Security Hub and
// Inspector, HTTPS, private subnets), checked by cdk-nag and the Control Tower rules as in `npm run synth`;
// synthesized once per change of the sources and shared with the other infra tests (test/support/synth-cache.ts).
let app: SynthesizedTemplates;
beforeAll(() => {
  app = loadTemplates('full');
}, 900_000); // generous: the Control Tower rules take most of it, and CI machines are shared
const t = (name: Exclude<keyof CachedStacks, 'repositories'>): Template => {
  const stack = app.stacks[name];
  if (!stack) throw new Error(`no ${name} stack`);
  return app.template(stack);
};
type Resource = { Type: string; Properties: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const resources = (template: Template, type: string): Resource[] =>
  Object.values(template.findResources(type)) as Resource[];
const allTemplates = () => namedStacks(app.stacks).map((s) => app.template(s));
const STACKS = [
  'storage',
  'network',
  'notifications',
  'staging',
  'production',
  'pipelines',
  'bot',
  'security',
  'infrastructure',
] as const;
const stageNames = (pipeline: Resource) => pipeline.Properties.Stages.map((s: { Name: string }) => s.Name);
const pipelineNamed = (name: string) =>
  resources(t('pipelines'), 'AWS::CodePipeline::Pipeline').find((p) => p.Properties.Name === name)!;

describe('checks', () => {
  it('synthesizes with zero cdk-nag and Control Tower violations', () => {
    // synthesize() would have thrown on an error; nothing may be left even as a warning.
    expect(app.violations()).toEqual([]);
  });

  it('uses no wildcard IAM action anywhere, and Resource "*" only where AWS has no resource-level permission', () => {
    const noResourceLevel = new Set([
      'ecr:GetAuthorizationToken',
      'inspector-scan:ScanSbom',
      'inspector2:ListFindings',
      'inspector2:ListCoverage',
      'inspector2:BatchGetCodeSnippet',
      'inspector2:Enable',
      'cloudformation:ValidateTemplate',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ecs:RegisterTaskDefinition',
      'ecs:DescribeTaskDefinition',
      'ecs:DescribeTasks',
      'ecs:ListTasks',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
    const statements = allTemplates().flatMap(iamStatements);
    expect(statements.length).toBeGreaterThan(50);
    for (const s of statements) {
      expect(s.Action.filter((a) => a.includes('*'))).toEqual([]);
      if (s.Resource.includes('*')) {
        expect(s.Action.filter((a) => !noResourceLevel.has(a))).toEqual([]);
      }
    }
  });

  it('encrypts every bucket, log group, topic, queue, secret and build with the system KMS key', () => {
    for (const template of allTemplates()) {
      for (const g of resources(template, 'AWS::Logs::LogGroup')) expect(g.Properties.KmsKeyId).toBeDefined();
      for (const q of resources(template, 'AWS::SQS::Queue'))
        expect(q.Properties.KmsMasterKeyId).toBeDefined();
      for (const s of resources(template, 'AWS::SNS::Topic'))
        expect(s.Properties.KmsMasterKeyId).toBeDefined();
      for (const s of resources(template, 'AWS::SecretsManager::Secret'))
        expect(s.Properties.KmsKeyId).toBeDefined();
      for (const p of resources(template, 'AWS::CodeBuild::Project'))
        expect(p.Properties.EncryptionKey).toBeDefined();
      for (const b of resources(template, 'AWS::S3::Bucket')) {
        const algorithm =
          b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
            .SSEAlgorithm;
        // Only the access-log bucket uses SSE-S3: S3 and ALB log delivery accept nothing else.
        expect(algorithm).toBe(b.Properties.LoggingConfiguration ? 'aws:kms' : 'AES256');
      }
    }
  });
});

describe('storage', () => {
  it('makes every bucket versioned, private, object-lock capable and logged (except the log target)', () => {
    const buckets = resources(t('storage'), 'AWS::S3::Bucket');
    // access logs, artifacts of main and of CI (two principals), findings, cache
    expect(buckets).toHaveLength(5);
    for (const b of buckets) {
      expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.ObjectLockEnabled).toBe(true);
      expect(b.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toBeDefined();
    }
    expect(buckets.filter((b) => b.Properties.LoggingConfiguration)).toHaveLength(4);
  });

  it('denies every non-TLS request on every bucket', () => {
    const policies = resources(t('storage'), 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(5);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('expires per-commit and per-execution findings (a feature run’s sooner) but never the branch baselines', () => {
    // latest.json under branches/ is the pull-request baseline and the base policy: it never expires.
    t('storage').hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 's3/findings/' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'example-org/example-service/commits/', ExpirationInDays: 400 }),
          Match.objectLike({
            Id: 'main-executions',
            Prefix: 'example-org/example-service/pipelines/pipewarden-main/executions/',
            ExpirationInDays: 400,
          }),
          Match.objectLike({
            Id: 'feature-executions',
            Prefix: 'example-org/example-service/pipelines/pipewarden-feature/executions/',
            ExpirationInDays: 30,
          }),
        ],
      },
    });
  });

  it('keeps the feature pipeline’s images in their own repository, scanned on push and expiring within days', () => {
    t('storage').hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'pipewarden-ci/example-service',
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.anyValue() },
      LifecyclePolicy: {
        LifecyclePolicyText: Match.stringLikeRegexp(
          '"tagStatus":"any","countType":"sinceImagePushed","countNumber":7,"countUnit":"days"',
        ),
      },
    });
  });

  it('keeps images immutable (but the branch-* pointers), scanned on push, encrypted and pruned', () => {
    // A push to a branch re-points branch-<name>; the commit tags that deployments name never move.
    t('storage').hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'pipewarden/example-service',
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      ImageTagMutabilityExclusionFilters: [
        {
          ImageTagMutabilityExclusionFilterType: 'WILDCARD',
          ImageTagMutabilityExclusionFilterValue: 'branch-*',
        },
      ],
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.anyValue() },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"tagStatus":"untagged"') },
    });
  });

  it('rotates the key and lets only AWS services create grants on it', () => {
    t('storage').hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });

  it('uses the configured connection instead of creating one', () => {
    t('storage').resourceCountIs('AWS::CodeConnections::Connection', 0);
  });
});

describe('network', () => {
  it('gives every subnet exactly the CIDR written in the config', () => {
    // Explicit CIDRs: changing the AZ count can never renumber a subnet into a conflict (the seed's obstacle).
    const subnets = resources(t('network'), 'AWS::EC2::Subnet').map((s) => [
      s.Properties.AvailabilityZone,
      s.Properties.CidrBlock,
    ]);
    expect(subnets.sort()).toEqual(
      [
        ['eu-west-1a', '10.40.0.0/24'],
        ['eu-west-1b', '10.40.1.0/24'],
        ['eu-west-1a', '10.40.10.0/24'],
        ['eu-west-1b', '10.40.11.0/24'],
      ].sort(),
    );
    t('network').hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.40.0.0/16' });
    t('network').resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('logs rejected traffic and watches the cluster', () => {
    t('network').hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    t('network').hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('environments', () => {
  it('deploys production blue/green with a test listener, bake time and rollback on failure and on alarms', () => {
    t('production').hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'BLUE_GREEN',
        BakeTimeInMinutes: 10,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { AlarmNames: Match.anyValue(), Enable: true, Rollback: true },
      }),
      LoadBalancers: [
        Match.objectLike({
          AdvancedConfiguration: {
            AlternateTargetGroupArn: Match.anyValue(),
            ProductionListenerRule: Match.anyValue(),
            TestListenerRule: Match.anyValue(),
            RoleArn: Match.anyValue(),
          },
        }),
      ],
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  it('routes production and test traffic through two rules ECS owns, not CloudFormation', () => {
    // Created once weighted blue 100 / green 0, then ECS shifts them (weights: deploy-safety.test.ts).
    expect(resources(t('production'), 'AWS::ElasticLoadBalancingV2::ListenerRule')).toHaveLength(0);
    const rules = resources(t('production'), 'Custom::AWS').filter((r) =>
      JSON.stringify(r.Properties.Create).includes('createRule'),
    );
    expect(rules).toHaveLength(2);
  });

  it('serves production on HTTPS, with the test listener on its own port, reachable only from the test CIDR', () => {
    const listeners = resources(t('production'), 'AWS::ElasticLoadBalancingV2::Listener').map((l) => [
      l.Properties.Port,
      l.Properties.Protocol,
    ]);
    expect(listeners.sort()).toEqual([
      [443, 'HTTPS'],
      [80, 'HTTP'],
      [8443, 'HTTPS'],
    ]);
    t('production').hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([
        Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 8443, ToPort: 8443 }),
      ]),
    });
  });

  it('health-checks the configured path and alarms to the topic', () => {
    t('production').resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      { HealthCheckPath: '/', TargetType: 'ip', Port: 8080 },
      2,
    );
    for (const alarm of resources(t('production'), 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    }
  });

  it('rolls staging forward with the circuit breaker, no blue/green', () => {
    t('staging').hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'ROLLING',
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });

  it('runs the container as non-root with a read-only root filesystem and a memory limit', () => {
    for (const env of ['staging', 'production'] as const) {
      t(env).hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'app',
            User: '1000',
            ReadonlyRootFilesystem: true,
            Memory: 512,
            MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' }],
          }),
        ],
      });
    }
  });
});

describe('application pipelines', () => {
  it('triggers main on pushes to main, skipping docs and infrastructure changes', () => {
    const main = pipelineNamed('pipewarden-main');
    expect(main.Properties).toMatchObject({ PipelineType: 'V2', ExecutionMode: 'SUPERSEDED' });
    expect(main.Properties.Triggers).toEqual([
      {
        ProviderType: 'CodeStarSourceConnection',
        GitConfiguration: {
          SourceActionName: 'Source',
          Push: [
            { Branches: { Includes: ['main'] }, FilePaths: { Excludes: ['docs/**', '**/*.md', 'infra/**'] } },
          ],
        },
      },
    ]);
  });

  it('triggers feature CI on branch globs with excludes, in parallel; pull requests only through the bot', () => {
    const feature = pipelineNamed('pipewarden-feature');
    expect(feature.Properties.ExecutionMode).toBe('PARALLEL');
    const git = feature.Properties.Triggers[0].GitConfiguration;
    expect(git.Push).toEqual([
      {
        Branches: { Includes: ['feature/**', 'bugfix/**'], Excludes: ['feature/**/wip-*'] },
        FilePaths: { Excludes: ['docs/**', '**/*.md'] },
      },
    ]);
    // The V2 pull-request trigger cannot tell a fork's pull request apart: opt-in (trust-boundaries.test.ts).
    expect(git.PullRequest).toBeUndefined();
  });

  it('runs tests, Snyk, Inspector and the image build as parallel actions of one stage', () => {
    for (const name of ['pipewarden-main', 'pipewarden-feature']) {
      const build = pipelineNamed(name).Properties.Stages.find((s: { Name: string }) => s.Name === 'Build');
      expect(build.Actions.map((a: { Name: string; RunOrder: number }) => [a.Name, a.RunOrder])).toEqual([
        ['Test', 1],
        ['Snyk', 1],
        ['Inspector', 1],
        ['Image', 1],
      ]);
    }
  });

  it('puts the gate, fed every report, before any deployment; feature CI never deploys', () => {
    expect(stageNames(pipelineNamed('pipewarden-main'))).toEqual([
      'Source',
      'Build',
      'Gate',
      'Staging',
      'Approval',
      'Production',
    ]);
    expect(stageNames(pipelineNamed('pipewarden-feature'))).toEqual(['Source', 'Build', 'Gate']);
    const gate = pipelineNamed('pipewarden-main').Properties.Stages[2].Actions[0];
    // The Test action ran the repository's own buildspec: its output is no gate input.
    expect(gate.InputArtifacts.map((a: { Name: string }) => a.Name)).toEqual([
      'Source',
      'SnykReports',
      'InspectorReports',
      'Image',
    ]);
  });

  it('deploys staging and production from the built image, with a notified manual approval between', () => {
    const stages = pipelineNamed('pipewarden-main').Properties.Stages;
    for (const i of [3, 5]) {
      expect(stages[i].Actions[0]).toMatchObject({
        ActionTypeId: { Category: 'Deploy', Provider: 'ECS' },
        Configuration: { FileName: 'imagedefinitions.json' },
        InputArtifacts: [{ Name: 'Image' }],
      });
    }
    expect(stages[4].Actions[0]).toMatchObject({
      ActionTypeId: { Category: 'Approval', Provider: 'Manual' },
      Configuration: { NotificationArn: expect.anything(), ExternalEntityLink: expect.anything() },
    });
  });

  it('notifies on failure, success and waiting approval', () => {
    t('pipelines').hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Name: 'pipewarden-main-notifications',
      EventTypeIds: [
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
        'codepipeline-pipeline-manual-approval-needed',
      ],
    });
  });

  it('runs privileged mode only where the image is built', () => {
    const projects = resources(t('pipelines'), 'AWS::CodeBuild::Project');
    expect(
      projects.filter((p) => p.Properties.Environment.PrivilegedMode).map((p) => p.Properties.Name),
    ).toEqual(['pipewarden-image', 'pipewarden-ci-image']);
  });

  it('gives every build its pipeline, the findings bucket and the baseline branch, and each Snyk build its own token', () => {
    // Besides the deploy-side projects (record image, smoke test: pipelines-safety.test.ts).
    const projects = resources(t('pipelines'), 'AWS::CodeBuild::Project').filter(
      (p) => !/-(record-image|smoke-test)$/.test(p.Properties.Name),
    );
    expect(resources(t('pipelines'), 'AWS::CodeBuild::Project')).toHaveLength(13);
    expect(projects).toHaveLength(10);
    for (const p of projects) {
      const env = Object.fromEntries(
        p.Properties.Environment.EnvironmentVariables.map(
          (v: { Name: string; Type: string; Value: unknown }) => [v.Name, v],
        ),
      );
      expect(env.PIPEWARDEN_FINDINGS_BUCKET).toBeDefined();
      expect(env.PIPEWARDEN_BASELINE_BRANCH.Value).toBe('main');
      expect(env.AWS_ACCOUNT_ID).toBeDefined();
      const ci = p.Properties.Name.startsWith('pipewarden-ci-');
      expect(env.PIPEWARDEN_PIPELINE.Value).toBe(ci ? 'pipewarden-feature' : 'pipewarden-main');
      expect(env.PIPEWARDEN_PIPELINE_KIND.Value).toBe(ci ? 'feature' : 'main');
      if (p.Properties.Name === 'pipewarden-snyk') {
        expect(env.SNYK_TOKEN).toEqual({
          Name: 'SNYK_TOKEN',
          Type: 'SECRETS_MANAGER',
          Value: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf',
        });
      } else if (p.Properties.Name === 'pipewarden-ci-snyk') {
        expect(env.SNYK_TOKEN).toMatchObject({ Type: 'SECRETS_MANAGER', Value: expect.anything() });
        expect(env.SNYK_TOKEN.Value).not.toEqual(
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf',
        );
      } else {
        expect(env.SNYK_TOKEN).toBeUndefined();
      }
    }
  });

  it('lets exactly the two Snyk builds read the Snyk token', () => {
    const readers = allTemplates()
      .flatMap(iamStatements)
      .filter((s) => s.Action.includes('secretsmanager:GetSecretValue'))
      .filter((s) => s.Resource.includes('arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf'));
    expect(readers).toHaveLength(2);
  });

  it('reads only the test buildspec from the source, inlines the platform’s, and reports to named groups', () => {
    const specs = resources(t('pipelines'), 'AWS::CodeBuild::Project')
      .filter((p) => !/-(record-image|smoke-test)$/.test(p.Properties.Name))
      .map((p) => [
        p.Properties.Name,
        p.Properties.Source.BuildSpec.startsWith('version: 0.2')
          ? `inline: ${String(parse(p.Properties.Source.BuildSpec).phases.build.commands.length)} build commands`
          : p.Properties.Source.BuildSpec,
      ]);
    const inline = (file: string) =>
      `inline: ${String(loadBuildspec(file).phases!.build!.commands!.length)} build commands`;
    expect(specs).toEqual([
      ['pipewarden-test', 'buildspec.yml'],
      ['pipewarden-snyk', inline('scan.yml')],
      ['pipewarden-inspector', inline('scan.yml')],
      ['pipewarden-image', inline('image.yml')],
      ['pipewarden-gate', inline('gate.yml')],
      ['pipewarden-ci-test', 'buildspec.yml'],
      ['pipewarden-ci-snyk', inline('scan.yml')],
      ['pipewarden-ci-inspector', inline('scan.yml')],
      ['pipewarden-ci-image', inline('image.yml')],
      ['pipewarden-ci-gate', inline('gate-ci.yml')],
    ]);
    // CodeBuild files the buildspec's `reports: tests` of project p under the group p-tests.
    t('pipelines').hasResourceProperties('AWS::CodeBuild::ReportGroup', {
      Name: 'pipewarden-test-tests',
      Type: 'TEST',
    });
    for (const name of [
      'pipewarden-gate-findings',
      'pipewarden-ci-test-tests',
      'pipewarden-ci-gate-findings',
    ])
      t('pipelines').hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: name, Type: 'TEST' });
  });
});

describe('bot hosting', () => {
  it('declares, in both application pipelines, every variable the bot sets when it starts a run', () => {
    // CodePipeline refuses StartPipelineExecution with a variable the pipeline does not declare.
    const pipelines = resources(t('pipelines'), 'AWS::CodePipeline::Pipeline');
    expect(pipelines).toHaveLength(2);
    for (const p of pipelines) {
      const declared = (p.Properties.Variables as { Name: string }[]).map((v) => v.Name);
      expect(declared).toEqual(expect.arrayContaining(Object.values(PIPELINE_VARIABLES)));
    }
  });

  it('sends a pipeline event the handler failed on, after Lambda’s retries, to the alarmed dead-letter queue', () => {
    t('bot').hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'Arn'] } },
      },
    });
  });

  it('runs dist/bot on Node 24 with the variables the bot reads', () => {
    t('bot').hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          PIPEWARDEN_FINDINGS_BUCKET: Match.anyValue(),
          PIPEWARDEN_PIPELINES: 'pipewarden-main,pipewarden-feature',
          PIPEWARDEN_FEATURE_PIPELINE: 'pipewarden-feature',
          PIPEWARDEN_REPOSITORY: 'example-org/example-service',
          PIPEWARDEN_MAIN_BRANCH: 'main',
          PIPEWARDEN_SOURCE_ACTION: 'Source',
          PIPEWARDEN_GATE_STAGE: 'Gate',
          PIPEWARDEN_ECR_REPOSITORY: Match.anyValue(),
          PIPEWARDEN_SECRET_ARN: { Ref: Match.stringLikeRegexp('^GitHubApp') },
        }),
      },
    });
    t('bot').hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    // The secret is read through the Parameters and Secrets extension, so the layer must be there.
    t('bot').hasResourceProperties('AWS::Lambda::Function', {
      Layers: [Match.stringLikeRegexp('AWS-Parameters-and-Secrets-Lambda-Extension-Arm64')],
    });
  });

  it('keeps the GitHub App credentials in one secret, with a generated webhook secret', () => {
    t('bot').hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'pipewarden/github-app',
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'webhookSecret' }),
    });
  });

  it('receives this system’s pipeline state changes, retried, with a dead-letter queue', () => {
    // Executions and stages only: action events would cost an invocation each for nothing the checks show.
    t('bot').hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codepipeline'],
        'detail-type': [
          'CodePipeline Pipeline Execution State Change',
          'CodePipeline Stage Execution State Change',
        ],
        detail: { pipeline: ['pipewarden-main', 'pipewarden-feature'] },
      },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
  });

  it('can start, stop and approve only these pipelines, read only their executions, delete only CI images', () => {
    const statements = iamStatements(t('bot')).map((s) => ({
      actions: s.Action,
      resources: s.Resource.map((r) => renderLikeNag(r)),
    }));
    const on = (action: string) =>
      statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    const pipelines = [
      'arn:aws:codepipeline:eu-west-1:111111111111:pipewarden-feature',
      'arn:aws:codepipeline:eu-west-1:111111111111:pipewarden-main',
    ];
    for (const action of [
      'codepipeline:StartPipelineExecution',
      'codepipeline:StopPipelineExecution',
      'codepipeline:GetPipelineState',
      'codepipeline:GetPipelineExecution',
      'codepipeline:ListPipelineExecutions',
      'codepipeline:ListActionExecutions',
    ]) {
      expect(on(action).sort()).toEqual(pipelines);
    }
    expect(on('codepipeline:PutApprovalResult')).toEqual([
      'arn:aws:codepipeline:eu-west-1:111111111111:pipewarden-main/Approval/Approve',
    ]);
    for (const action of ['ecr:BatchDeleteImage', 'ecr:ListImages', 'ecr:DescribeImages']) {
      expect(on(action)).toEqual([expect.stringMatching(/CiRepository\w*Arn/)]);
    }
    // A run's findings only where its pipeline wrote them (never commits/, which another run could write).
    expect(on('s3:GetObject').sort()).toEqual([
      expect.stringMatching(
        /FindingsBucket.*\/example-org\/example-service\/pipelines\/pipewarden-feature\/executions\/\*$/,
      ),
      expect.stringMatching(
        /FindingsBucket.*\/example-org\/example-service\/pipelines\/pipewarden-main\/executions\/\*$/,
      ),
    ]);
    // Every action that changes something, in full: nothing beyond the above and its own logs.
    const writes = statements
      .flatMap((s) => s.actions)
      .filter((a) => /(Put|Delete|Create|Update|Start|Stop)/.test(a));
    expect(writes.sort()).toEqual([
      'codepipeline:PutApprovalResult',
      'codepipeline:StartPipelineExecution',
      'codepipeline:StopPipelineExecution',
      'ecr:BatchDeleteImage',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });
});

describe('notifications', () => {
  it('sends to e-mail, Slack and Teams from one encrypted topic', () => {
    const n = t('notifications');
    n.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    n.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'devops@example.com' });
    n.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123456789',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: [{ Ref: Match.anyValue() }],
    });
    n.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      TeamsChannelId: '19%3Aabc%40thread.tacv2',
      SnsTopicArns: [{ Ref: Match.anyValue() }],
    });
  });
});

describe('infrastructure pipeline', () => {
  const infra = () =>
    resources(t('infrastructure'), 'AWS::CodePipeline::Pipeline').find(
      (p) => p.Properties.Name === 'pipewarden-infrastructure',
    )!;

  it('triggers only on changes under the infrastructure paths of main', () => {
    expect(infra().Properties.Triggers[0].GitConfiguration.Push).toEqual([
      {
        Branches: { Includes: ['main'] },
        FilePaths: {
          Includes: [
            'infra/**',
            'cdk.json',
            'buildspecs/**',
            'dist/bot/**',
            'dist/cli/**',
            'pipewarden.config*.json',
            'package.json',
            'package-lock.json',
          ],
        },
      },
    ]);
    expect(infra().Properties.ExecutionMode).toBe('QUEUED');
  });

  it('synthesizes with the checks, updates itself, publishes assets and deploys the stacks', () => {
    const stages = infra().Properties.Stages;
    // Issue 11: SelfUpdate right after Synth (test/infra/pipelines-safety.test.ts has the details).
    expect(stageNames(infra())).toEqual(['Source', 'Synth', 'SelfUpdate', 'Assets', 'Deploy']);
    expect(
      stages[2].Actions.map((a: { Configuration: { StackName?: string } }) => a.Configuration.StackName),
    ).toEqual([undefined, 'pipewarden-infrastructure-pipeline']);
    // The synth's buildspec is the deployment's, inlined: not read from the commit it synthesizes.
    t('infrastructure').hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'pipewarden-infra-synth',
      Source: { BuildSpec: Match.stringLikeRegexp('sha256sum -c -') },
    });
  });

  it('deploys each stack only after every stack it depends on', () => {
    // runOrder comes from dependencies declared before synthesis; the assembly's are the truth.
    const deploy = infra().Properties.Stages[4].Actions as {
      Configuration: { StackName: string };
      RunOrder: number;
    }[];
    const order = new Map(deploy.map((a) => [a.Configuration.StackName, a.RunOrder]));
    expect([...order.keys()].sort()).toEqual(
      [
        'pipewarden-bot',
        'pipewarden-network',
        'pipewarden-notifications',
        'pipewarden-pipelines',
        'pipewarden-production',
        'pipewarden-security',
        'pipewarden-staging',
        'pipewarden-storage',
      ].sort(),
    );
    let checked = 0;
    for (const artifact of app.assembly.stacks) {
      const own = order.get(artifact.stackName);
      if (own === undefined) continue;
      for (const dep of artifact.dependencies) {
        const theirs = order.get((dep as typeof artifact).stackName);
        if (theirs === undefined) continue;
        expect(theirs).toBeLessThan(own);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(8);
  });
});

describe('security services', () => {
  it('enables Security Hub and Inspector when the flags ask', () => {
    t('security').hasResourceProperties('AWS::SecurityHub::Hub', { EnableDefaultStandards: true });
    t('security').hasResourceProperties('Custom::AWS', {
      Create: Match.stringLikeRegexp('"service":"Inspector2","action":"enable"'),
    });
  });
});

describe('runtimes (issue 15, point 4)', () => {
  it('runs every Lambda function of every stack, custom-resource providers included, on Node.js 22 or later', () => {
    // Node.js 20 reached end of life in April 2026; a provider CDK adds (AwsCustomResource, log retention)
    // is checked like the functions this app defines.
    const runtimes = allTemplates().flatMap((tpl) =>
      resources(tpl, 'AWS::Lambda::Function').map((f) => f.Properties.Runtime as string),
    );
    expect(runtimes.length).toBeGreaterThanOrEqual(5);
    for (const runtime of runtimes) {
      expect(runtime).toMatch(/^nodejs\d+\.x$/);
      expect(Number(runtime.match(/\d+/)![0])).toBeGreaterThanOrEqual(22);
    }
  });

  it('builds on CodeBuild standard:7.0, whose Node.js 22 the buildspecs select (test/buildspecs)', () => {
    const images = allTemplates().flatMap((tpl) =>
      resources(tpl, 'AWS::CodeBuild::Project').map((p) => p.Properties.Environment.Image as string),
    );
    expect(new Set(images)).toEqual(new Set(['aws/codebuild/standard:7.0']));
  });
});

describe('snapshots', () => {
  // One per stack, hashes and account masked: any other template change shows up in review.
  it.each(STACKS)('%s matches its snapshot', (name) => {
    expect(maskForSnapshot(t(name).toJSON())).toMatchSnapshot();
  });
});
