import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { AppPipeline, type BuildProjects, type DeployTarget } from '../constructs/app-pipeline.js';
import { BuildProject } from '../constructs/build-project.js';
import { readObjects, writeObjects } from '../constructs/grants.js';
import { pipelineNames } from '../names.js';

export interface PipelinesStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly connectionArn: string;
  readonly key: kms.IKey;
  readonly artifactBucket: s3.IBucket;
  readonly findingsBucket: s3.IBucket;
  readonly cacheBucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  readonly snykToken: secretsmanager.ISecret;
  readonly topic: sns.ITopic;
  readonly staging: DeployTarget & { readonly url: string };
  readonly production: DeployTarget;
}

/** The application's CodeBuild projects and its two pipelines: main (CD) and feature branches (CI). */
export class PipelinesStack extends Stack {
  readonly main: codepipeline.Pipeline;
  readonly feature: codepipeline.Pipeline;
  readonly projects: Record<keyof BuildProjects, BuildProject>;

  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.projects = this.createProjects(props);
    const projects: BuildProjects = {
      test: this.projects.test.project,
      snyk: this.projects.snyk.project,
      inspector: this.projects.inspector.project,
      image: this.projects.image.project,
      gate: this.projects.gate.project,
    };
    const names = pipelineNames(config.name);
    const common = {
      connectionArn: props.connectionArn,
      owner: config.repository.owner,
      repo: config.repository.name,
      defaultBranch: config.repository.mainBranch,
      artifactBucket: props.artifactBucket,
      key: props.key,
      projects,
    };

    this.main = new AppPipeline(this, 'Main', {
      ...common,
      pipelineName: names.main,
      kind: 'main',
      executionMode: codepipeline.ExecutionMode[config.pipelines.main.executionMode],
      push: config.pipelines.main,
      deploy: {
        staging: props.staging,
        production: props.production,
        topic: props.topic,
        stagingUrl: props.staging.url,
      },
    }).pipeline;

    const feature = config.pipelines.feature;
    this.feature = new AppPipeline(this, 'Feature', {
      ...common,
      pipelineName: names.feature,
      kind: 'feature',
      executionMode: codepipeline.ExecutionMode[feature.executionMode],
      push: feature,
      pullRequest: {
        into: feature.pullRequests.into,
        events: feature.pullRequests.events,
        filePaths: feature.filePaths,
      },
    }).pipeline;

    const events = [
      codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
      codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
    ];
    this.main.notifyOn('Notify', props.topic, {
      notificationRuleName: `${names.main}-notifications`,
      events: [...events, codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED],
    });
    this.feature.notifyOn('Notify', props.topic, {
      notificationRuleName: `${names.feature}-notifications`,
      events,
    });
  }

  private createProjects(props: PipelinesStackProps): Record<keyof BuildProjects, BuildProject> {
    const { config, key, findingsBucket, repository } = props;
    const name = config.name;
    const common = {
      key,
      artifactBucket: props.artifactBucket,
      cacheBucket: props.cacheBucket,
      logRetention: config.retention.logsDays,
      computeType: codebuild.ComputeType[config.build.computeType],
      timeout: Duration.minutes(config.build.timeoutMinutes),
    };
    // Every build knows where findings go and which branch is the baseline for pull requests.
    const env = (extra: Record<string, codebuild.BuildEnvironmentVariable> = {}) => ({
      PIPEWARDEN_FINDINGS_BUCKET: { value: findingsBucket.bucketName },
      PIPEWARDEN_BASELINE_BRANCH: { value: config.repository.mainBranch },
      PIPEWARDEN_REPO: { value: `${config.repository.owner}/${config.repository.name}` },
      AWS_ACCOUNT_ID: { value: this.account },
      ...extra,
    });
    const fromSource = (file: string) => codebuild.BuildSpec.fromSourceFilename(`buildspecs/${file}`);

    const test = new BuildProject(this, 'Test', {
      ...common,
      projectName: `${name}-test`,
      description: 'unit tests, JUnit report',
      buildSpec: fromSource('test.yml'),
      environmentVariables: env(),
      reports: { tests: codebuild.ReportGroupType.TEST },
    });

    // The Snyk token is a secrets-manager variable of this project alone (and of the infrastructure synth).
    const snyk = new BuildProject(this, 'Snyk', {
      ...common,
      projectName: `${name}-snyk`,
      description: 'Snyk open-source and code scan',
      buildSpec: fromSource('scan.yml'),
      environmentVariables: env({
        PIPEWARDEN_SCANNER: { value: 'snyk' },
        SNYK_TOKEN: {
          type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
          value: props.snykToken.secretArn,
        },
      }),
    });
    snyk.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.snykToken.secretArn],
      }),
    );

    const inspector = new BuildProject(this, 'Inspector', {
      ...common,
      projectName: `${name}-inspector`,
      description: 'Amazon Inspector code security findings for the commit',
      buildSpec: fromSource('scan.yml'),
      environmentVariables: env({ PIPEWARDEN_SCANNER: { value: 'inspector' } }),
    });
    inspector.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['inspector2:ListFindings', 'inspector2:ListCoverage', 'inspector2:BatchGetCodeSnippet'],
        resources: ['*'],
      }),
    );
    Validations.of(inspector.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'inspector2:ListFindings, ListCoverage and BatchGetCodeSnippet have no resource-level permissions.',
    });

    const image = new BuildProject(this, 'Image', {
      ...common,
      projectName: `${name}-image`,
      description: 'container image, SBOM, Inspector SBOM scan, push',
      buildSpec: fromSource('image.yml'),
      privileged: true,
      environmentVariables: env({
        PIPEWARDEN_ECR_REPOSITORY_URI: { value: repository.repositoryUri },
        PIPEWARDEN_CONTAINER_NAME: { value: config.service.containerName },
      }),
    });
    image.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:DescribeImages',
        ],
        resources: [repository.repositoryArn],
      }),
    );
    image.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:GetAuthorizationToken', 'inspector-scan:ScanSbom'],
        resources: ['*'],
      }),
    );
    image.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
    );
    Validations.of(image.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken and inspector-scan:ScanSbom have no resource-level permissions.',
    });

    const gate = new BuildProject(this, 'Gate', {
      ...common,
      projectName: `${name}-gate`,
      description: 'merge findings, baseline, gate, publish to S3 and Security Hub',
      buildSpec: fromSource('gate.yml'),
      environmentVariables: env({
        PIPEWARDEN_SECURITY_HUB: { value: String(config.security.enableSecurityHub) },
      }),
      reports: { findings: codebuild.ReportGroupType.TEST },
    });
    readObjects(gate.role, findingsBucket, key);
    writeObjects(gate.role, findingsBucket, key);
    gate.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [findingsBucket.bucketArn] }),
    );
    gate.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['securityhub:BatchImportFindings'],
        resources: [
          this.formatArn({
            service: 'securityhub',
            resource: 'product',
            resourceName: `${this.account}/default`,
          }),
        ],
      }),
    );

    return { test, snyk, inspector, image, gate };
  }
}
