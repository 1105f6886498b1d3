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
import { acknowledgeWildcardResource } from '../acknowledge.js';
import { AppPipeline, type BuildProjects, type DeployTarget } from '../constructs/app-pipeline.js';
import type { ArtifactReplica } from '../constructs/pipeline-roles.js';
import { BuildProject } from '../constructs/build-project.js';
import { DeployedImageRecorder } from '../constructs/deployed-image.js';
import { SmokeTest } from '../constructs/smoke-test.js';
import {
  STORE_SEGMENTS,
  baselineKey,
  branchPrefix,
  pipelineExecutionsPrefix,
} from '../../../findings/store/store-layout.js';
import { decrypt, writeObjects } from '../constructs/grants.js';
import { PlatformCli, type PlatformFiles, platformBuildspec } from '../constructs/platform.js';
import { pipelineNames } from '../names.js';

export interface PipelinesStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly connectionArn: string;
  readonly key: kms.IKey;
  /** The main pipeline's artifacts. */
  readonly artifactBucket: s3.IBucket;
  /** The feature pipeline's artifacts. */
  readonly ciArtifactBucket: s3.IBucket;
  readonly findingsBucket: s3.IBucket;
  readonly cacheBucket: s3.IBucket;
  /** The production image repository (main only). */
  readonly repository: ecr.IRepository;
  /** The feature pipeline's image repository, which nothing deploys from. */
  readonly ciRepository: ecr.IRepository;
  readonly snykToken: secretsmanager.ISecret;
  readonly ciSnykToken: secretsmanager.ISecret;
  readonly topic: sns.ITopic;
  /**
   * Staging and its URL: literal in this account, else the SSM parameter its stack writes in its own account,
   * read through the role of the smoke test there.
   */
  readonly staging: DeployTarget & {
    readonly url?: string;
    readonly urlParameterName?: string;
    readonly smokeTestRoleArn?: string;
  };
  readonly production: DeployTarget;
  /** The platform's buildspecs and CLI bundle, read at synthesis. */
  readonly platform: PlatformFiles;
  /** The main pipeline's artifact stores in the other regions its environments run in. */
  readonly replicas?: readonly ArtifactReplica[];
}

/** What differs between the two principals' projects. */
interface Principal {
  readonly kind: 'main' | 'feature';
  readonly pipelineName: string;
  /** Construct id prefix ('' for main: its logical ids stay as they were) and project name prefix. */
  readonly idPrefix: string;
  readonly namePrefix: string;
  readonly artifactBucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  readonly snykToken: secretsmanager.ISecret;
  readonly gateBuildspec: string;
}

/**
 * The application's two pipelines, main (CD) and feature branches (CI), each with its own five CodeBuild
 * projects and roles: two principals that share nothing writable (docs/security-model.md). The Snyk,
 * Inspector, Image and Gate projects run the platform's buildspecs, inlined here, and the pinned CLI; only
 * the Test project reads the repository's own buildspec.
 */
export class PipelinesStack extends Stack {
  readonly main: codepipeline.Pipeline;
  readonly feature: codepipeline.Pipeline;
  /** The main pipeline's projects (`<name>-test`, `-snyk`, `-inspector`, `-image`, `-gate`). */
  readonly projects: Record<keyof BuildProjects, BuildProject>;
  /** The feature pipeline's projects (`<name>-ci-test`, `-ci-snyk`, `-ci-inspector`, `-ci-image`, `-ci-gate`). */
  readonly ciProjects: Record<keyof BuildProjects, BuildProject>;
  readonly cli: PlatformCli;

  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = pipelineNames(config.name);
    this.cli = new PlatformCli(this, 'Cli', { file: props.platform.cliFile });
    this.projects = this.createProjects(props, {
      kind: 'main',
      pipelineName: names.main,
      idPrefix: '',
      namePrefix: config.name,
      artifactBucket: props.artifactBucket,
      repository: props.repository,
      snykToken: props.snykToken,
      gateBuildspec: 'gate.yml',
    });
    this.ciProjects = this.createProjects(props, {
      kind: 'feature',
      pipelineName: names.feature,
      idPrefix: 'Ci',
      namePrefix: `${config.name}-ci`,
      artifactBucket: props.ciArtifactBucket,
      repository: props.ciRepository,
      snykToken: props.ciSnykToken,
      gateBuildspec: 'gate-ci.yml',
    });
    const common = {
      connectionArn: props.connectionArn,
      owner: config.repository.owner,
      repo: config.repository.name,
      defaultBranch: config.repository.mainBranch,
      key: props.key,
    };

    // After each deployment, the image the environment runs, into its deployed-image parameter (one project
    // per environment: each may write its own parameter only).
    const recorder = (environment: 'staging' | 'production') =>
      new DeployedImageRecorder(this, `Record${environment === 'staging' ? 'Staging' : 'Production'}Image`, {
        system: config.name,
        environment,
        environmentRoleArn: props[environment].recordImageRoleArn,
        environmentRegion: props[environment].region,
        key: props.key,
        artifactBucket: props.artifactBucket,
        cacheBucket: props.cacheBucket,
        logRetention: config.retention.logsDays,
      }).project;
    const recordImage = { staging: recorder('staging'), production: recorder('production') };
    const smokeTest = new SmokeTest(this, 'StagingSmokeTest', {
      projectName: `${config.name}-staging-smoke-test`,
      baseUrl: props.staging.url ?? '',
      baseUrlFrom:
        props.staging.smokeTestRoleArn && props.staging.urlParameterName
          ? {
              parameterName: props.staging.urlParameterName,
              roleArn: props.staging.smokeTestRoleArn,
              region: props.staging.region,
            }
          : undefined,
      healthCheckPath: config.service.healthCheckPath,
      paths: config.environments.staging.smokeTest.paths,
      attempts: config.environments.staging.smokeTest.attempts,
      key: props.key,
      artifactBucket: props.artifactBucket,
      cacheBucket: props.cacheBucket,
      logRetention: config.retention.logsDays,
      timeout: Duration.minutes(15),
    });

    this.main = new AppPipeline(this, 'Main', {
      ...common,
      pipelineName: names.main,
      kind: 'main',
      artifactBucket: props.artifactBucket,
      replicas: props.replicas,
      projects: projectsOf(this.projects),
      executionMode: codepipeline.ExecutionMode[config.pipelines.main.executionMode],
      push: config.pipelines.main,
      deploy: {
        staging: props.staging,
        production: props.production,
        topic: props.topic,
        stagingUrl: props.staging.url,
        recordImage,
        smokeTest: smokeTest.project,
      },
    }).pipeline;

    const feature = config.pipelines.feature;
    this.feature = new AppPipeline(this, 'Feature', {
      ...common,
      pipelineName: names.feature,
      kind: 'feature',
      artifactBucket: props.ciArtifactBucket,
      projects: projectsOf(this.ciProjects),
      executionMode: codepipeline.ExecutionMode[feature.executionMode],
      // One trigger per change (docs/pipeline.md): push by default. The pull-request trigger is opt-in (it
      // cannot tell a fork's pull request apart; by default the bot starts those runs) and replaces push.
      push: feature.pullRequests.enabled ? undefined : feature,
      pullRequest: feature.pullRequests.enabled
        ? {
            into: feature.pullRequests.into,
            events: feature.pullRequests.events,
            filePaths: feature.filePaths,
          }
        : undefined,
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

  private createProjects(
    props: PipelinesStackProps,
    who: Principal,
  ): Record<keyof BuildProjects, BuildProject> {
    const { config, key, findingsBucket } = props;
    const cli = this.cli;
    const repo = `${config.repository.owner}/${config.repository.name}`;
    const mainBranch = config.repository.mainBranch;
    const id = (name: string) => `${who.idPrefix}${name}`;
    const projectName = (name: string) => `${who.namePrefix}-${name}`;
    const common = {
      key,
      artifactBucket: who.artifactBucket,
      cacheBucket: props.cacheBucket,
      logRetention: config.retention.logsDays,
      computeType: codebuild.ComputeType[config.build.computeType],
      timeout: Duration.minutes(config.build.timeoutMinutes),
    };
    // Every build knows its pipeline (a project serves one pipeline only), where findings go and which
    // branch is the baseline for pull requests.
    const env = (extra: Record<string, codebuild.BuildEnvironmentVariable> = {}) => ({
      PIPEWARDEN_FINDINGS_BUCKET: { value: findingsBucket.bucketName },
      PIPEWARDEN_BASELINE_BRANCH: { value: mainBranch },
      PIPEWARDEN_REPO: { value: repo },
      PIPEWARDEN_PIPELINE: { value: who.pipelineName },
      PIPEWARDEN_PIPELINE_KIND: { value: who.kind },
      AWS_ACCOUNT_ID: { value: this.account },
      ...extra,
    });
    // The security projects: the platform's buildspec, inlined; the pinned CLI, fetched and checked.
    const platform = (file: string) => platformBuildspec(props.platform.buildspecDirectory, file);
    const security = (extra: Record<string, codebuild.BuildEnvironmentVariable> = {}) =>
      env({ ...cli.environment(), ...extra });

    // The only buildspec read from the source: the repository's own tests. No secret, no findings store,
    // no Security Hub, no ECR; its report is not a gate input.
    // The feature pipeline's Test and Snyk builds execute the branch's code (its tests; the build tools Snyk
    // runs for Gradle, sbt, Maven): no cache, so one pull request cannot plant what the next one restores.
    const runsBranchCode = who.kind === 'feature' ? { cacheBucket: undefined } : {};
    const test = new BuildProject(this, id('Test'), {
      ...common,
      ...runsBranchCode,
      projectName: projectName('test'),
      description: `${who.kind} pipeline: the repository's own tests (${config.build.testBuildspec}), JUnit report`,
      buildSpec: codebuild.BuildSpec.fromSourceFilename(config.build.testBuildspec),
      environmentVariables: env(),
      reports: { tests: codebuild.ReportGroupType.TEST },
    });

    // The Snyk token is a secrets-manager variable of this project alone: the main token for main, the CI
    // token for feature (and the main one for the infrastructure synth).
    const snyk = new BuildProject(this, id('Snyk'), {
      ...common,
      ...runsBranchCode,
      projectName: projectName('snyk'),
      description: `${who.kind} pipeline: Snyk open-source and code scan`,
      buildSpec: platform('scan.yml'),
      environmentVariables: security({
        PIPEWARDEN_SCANNER: { value: 'snyk' },
        SNYK_TOKEN: {
          type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
          value: who.snykToken.secretArn,
        },
      }),
    });
    snyk.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [who.snykToken.secretArn],
      }),
    );

    const inspector = new BuildProject(this, id('Inspector'), {
      ...common,
      projectName: projectName('inspector'),
      description: `${who.kind} pipeline: Amazon Inspector code security findings for the commit`,
      buildSpec: platform('scan.yml'),
      environmentVariables: security({ PIPEWARDEN_SCANNER: { value: 'inspector' } }),
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

    const image = new BuildProject(this, id('Image'), {
      ...common,
      projectName: projectName('image'),
      description:
        who.kind === 'main'
          ? 'main pipeline: container image, SBOM, Inspector SBOM scan, push to the production repository'
          : 'feature pipeline: container image, SBOM, Inspector SBOM scan, push to the CI repository',
      buildSpec: platform('image.yml'),
      privileged: true,
      environmentVariables: security({
        // Written out from what synthesis knows (this stack's account and region, the repository's name), not
        // repositoryUri: that splits the storage stack's exported ARN (Fn::Split over Fn::GetStackOutput, E1022).
        PIPEWARDEN_ECR_REPOSITORY_URI: {
          value: `${this.account}.dkr.ecr.${this.region}.${this.urlSuffix}/${who.repository.repositoryName}`,
        },
        PIPEWARDEN_CONTAINER_NAME: { value: config.service.containerName },
        // Passed to docker build as a build argument: `FROM ${PIPEWARDEN_BASE_IMAGE_REGISTRY}/<repository>`.
        PIPEWARDEN_BASE_IMAGE_REGISTRY: {
          value: `${this.account}.dkr.ecr.${this.region}.${this.urlSuffix}/${config.build.pullThroughCache.prefix}`,
        },
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
        resources: [who.repository.repositoryArn],
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
    // Base images through the pull-through cache: the first pull of an upstream image creates its repository
    // under the prefix and imports it; only there. No push right: a build (a feature branch's too) can make the
    // cache fetch an upstream image, never put its own content in it.
    const cachedRepositories = this.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: `${config.build.pullThroughCache.prefix}/*`,
    });
    image.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:CreateRepository',
          'ecr:BatchImportUpstreamImage',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchCheckLayerAvailability',
        ],
        resources: [cachedRepositories],
      }),
    );
    acknowledgeWildcardResource(
      image.role,
      cachedRepositories,
      'The pull-through cache creates one repository per upstream image, named when first pulled, under this prefix only.',
    );

    const gate = new BuildProject(this, id('Gate'), {
      ...common,
      projectName: projectName('gate'),
      description:
        who.kind === 'main'
          ? 'main pipeline: merge findings, baseline, gate, publish the execution, commit, baseline and Security Hub'
          : "feature pipeline: merge findings, gate under the base branch's policy, publish this execution only",
      buildSpec: platform(who.gateBuildspec),
      // Publishing is its own setting: the hub may be enabled centrally (Organizations) and not by this app.
      environmentVariables: security(
        who.kind === 'main'
          ? { PIPEWARDEN_SECURITY_HUB: { value: String(config.security.publishToSecurityHub) } }
          : {},
      ),
      reports: { findings: codebuild.ReportGroupType.TEST },
    });
    // Read: the main branch's baseline (and the policy it records) only; list, so a missing one is a 404.
    gate.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [findingsBucket.arnForObjects(baselineKey(repo, mainBranch))],
      }),
    );
    decrypt(gate.role, key);
    gate.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [findingsBucket.bucketArn] }),
    );
    // Write: this pipeline's executions; for main also the commits and the main branch's baseline.
    writeObjects(gate.role, findingsBucket, key, pipelineExecutionsPrefix(repo, who.pipelineName));
    if (who.kind === 'main') {
      writeObjects(gate.role, findingsBucket, key, `${repo}/${STORE_SEGMENTS.commits}/`);
      writeObjects(gate.role, findingsBucket, key, branchPrefix(repo, mainBranch));
      // The baseline is ordered by this execution's start, asked of CodePipeline (buildspecs/gate.yml,
      // findings/cli/baseline-order.ts): its own pipeline only, so a tampered variable reads nothing else.
      gate.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['codepipeline:ListActionExecutions'],
          resources: [this.formatArn({ service: 'codepipeline', resource: who.pipelineName })],
        }),
      );
    }
    if (who.kind === 'main' && config.security.publishToSecurityHub) {
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
    }

    const all = { test, snyk, inspector, image, gate };
    for (const p of [snyk, inspector, image, gate]) cli.grantFetch(p.role);
    return all;
  }
}

function projectsOf(projects: Record<keyof BuildProjects, BuildProject>): BuildProjects {
  return {
    test: projects.test.project,
    snyk: projects.snyk.project,
    inspector: projects.inspector.project,
    image: projects.image.project,
    gate: projects.gate.project,
  };
}
