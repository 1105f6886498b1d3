import { CfnCapabilities, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { acknowledgeWildcardResource } from '../acknowledge.js';
import { BuildProject } from '../constructs/build-project.js';
import { DEPLOYED_ENVIRONMENTS, deployedImageParameterArn } from '../constructs/deployed-image.js';
import { deployStacks, readObjects } from '../constructs/grants.js';
import { type ArtifactReplica, artifactStores, PipelineRoles } from '../constructs/pipeline-roles.js';
import { PlatformCli, type PlatformFiles, platformBuildspec } from '../constructs/platform.js';
import { BOOTSTRAP_VERSION_PARAMETER, bootstrapRoleName, remoteAccount } from '../accounts.js';
import { deploymentStages } from '../deploy-stages.js';
import { pipelineNames, repositoryPrefix } from '../names.js';

/** A stack the infrastructure pipeline deploys: its CloudFormation name and its template in the cloud assembly. */
export interface DeployedStack {
  readonly stackName: string;
  readonly templateFile: string;
  /**
   * An environment account's stack: the account, and the role there the action runs as (the environment's
   * stack-deploy role, or the bootstrap deploy role for the stack that creates it); CloudFormation then runs as
   * that account's bootstrap execution role.
   */
  readonly remote?: { readonly account: string; readonly roleArn: string };
  /** The stack's region when it is not the pipeline's (an environment's, or the artifact replica there). */
  readonly region?: string;
}

export interface InfraPipelineStackProps extends StackProps {
  readonly config: PipewardenConfig;
  /** Repository-relative path of the configuration the pipeline synthesizes with. */
  readonly configPath: string;
  readonly connectionArn: string;
  readonly key: kms.IKey;
  readonly artifactBucket: s3.IBucket;
  readonly cacheBucket: s3.IBucket;
  readonly findingsBucket: s3.IBucket;
  readonly snykToken: secretsmanager.ISecret;
  readonly topic: sns.ITopic;
  /** Application stacks in waves: every stack of a wave depends only on earlier waves. */
  readonly waves: readonly (readonly DeployedStack[])[];
  /** The platform's buildspecs and CLI bundle, read at synthesis. */
  readonly platform: PlatformFiles;
  /** The artifact stores of the other regions stacks deploy to (ArtifactReplicaStack). */
  readonly replicas?: readonly ArtifactReplica[];
}

/**
 * The self-mutating infrastructure pipeline, separate from the application's (the seed's reasons: an
 * application run never pays for a self-update, and each pipeline has one job). Source (only infra paths
 * trigger it) → Synth (cdk-nag, Snyk IaC, gate: buildspecs/infra-synth.yml, inlined) → SelfUpdate (its own
 * assets, then itself; a changed pipeline restarts the execution, as CDK Pipelines does) → Assets (publish to
 * the bootstrap bucket) → Deploy (CloudFormation, stack waves in dependency order). Updating itself first means
 * an added or removed stack takes effect in the same run, and a removed stack's Deploy action is gone before it
 * could fail.
 */
export class InfraPipelineStack extends Stack {
  readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: InfraPipelineStackProps) {
    super(scope, id, props);
    const { config, key, artifactBucket: bucket } = props;
    const name = pipelineNames(config.name).infrastructure;
    // The publishing and execution roles are the bootstrap's (accounts.ts BOOTSTRAP_QUALIFIER).
    const bootstrapRole = (kind: string, account = this.account, region = this.region) =>
      this.formatArn({
        service: 'iam',
        region: '',
        account,
        resource: 'role',
        resourceName: bootstrapRoleName(kind, account, region),
      });
    // Each account and region a stack deploys to besides this stack's own (each bootstrapped there).
    const elsewhere = [
      ...new Map(
        props.waves.flat().flatMap((s) => {
          if (!s.remote && !s.region) return [];
          const account = s.remote?.account ?? this.account;
          const region = s.region ?? this.region;
          return [[`${account}/${region}`, { account, region }] as const];
        }),
      ).values(),
    ];
    const regionOf = (s: DeployedStack) => s.region ?? this.region;
    const localRegions = [...new Set(props.waves.flat().flatMap((s) => (s.remote ? [] : [regionOf(s)])))];

    // The deployment's own repository: the service repository holds no infra/ (docs/security-model.md).
    const platformRepo = config.platformRepository ?? {
      owner: config.repository.owner,
      name: config.repository.name,
      branch: config.repository.mainBranch,
    };
    const common = {
      key,
      artifactBucket: bucket,
      cacheBucket: props.cacheBucket,
      logRetention: config.retention.logsDays,
      computeType: codebuild.ComputeType[config.build.computeType],
      timeout: Duration.minutes(config.build.timeoutMinutes),
    };
    // The synth's buildspec is this deployment's, inlined; its gate runs the pinned CLI, not the checkout's.
    const cli = new PlatformCli(this, 'Cli', { file: props.platform.cliFile });
    const synth = new BuildProject(this, 'Synth', {
      ...common,
      projectName: `${config.name}-infra-synth`,
      description: 'cdk synth with cdk-nag, Snyk IaC, gate',
      buildSpec: platformBuildspec(props.platform.buildspecDirectory, 'infra-synth.yml'),
      environmentVariables: {
        ...cli.environment(),
        PIPEWARDEN_CONFIG: { value: props.configPath },
        PIPEWARDEN_FINDINGS_BUCKET: { value: props.findingsBucket.bucketName },
        PIPEWARDEN_BASELINE_BRANCH: { value: platformRepo.branch },
        PIPEWARDEN_REPO: { value: `${platformRepo.owner}/${platformRepo.name}` },
        AWS_ACCOUNT_ID: { value: this.account },
        SNYK_TOKEN: {
          type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
          value: props.snykToken.secretArn,
        },
      },
      reports: { findings: codebuild.ReportGroupType.TEST },
    });
    synth.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.snykToken.secretArn],
      }),
    );
    cli.grantFetch(synth.role);
    // No access to the findings store: the infrastructure gate reports to its report group and its artifact
    // (buildspecs/infra-synth.yml); the store holds the application's findings per commit.

    // Embedded, not read from buildspecs/: a tiny one-off; the platform buildspecs are inlined as well.
    const assets = new BuildProject(this, 'Assets', {
      ...common,
      projectName: `${config.name}-infra-assets`,
      description: 'publish file assets to the CDK bootstrap bucket',
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: { commands: ['npm install --global cdk-assets@3'] },
          build: {
            // PIPEWARDEN_ASSET_MANIFESTS narrows the run to some stacks (SelfUpdate: this stack's own assets).
            commands: [
              'for manifest in ${PIPEWARDEN_ASSET_MANIFESTS:-*.assets.json}; do cdk-assets --path "$manifest" --verbose publish; done',
            ],
          },
        },
      }),
    });
    assets.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        // An environment account's assets (its functions' code) go to its own bootstrap bucket, through its
        // publishing role, which trusts this account (`cdk bootstrap --trust`).
        resources: [{ account: this.account, region: this.region }, ...elsewhere].flatMap(
          ({ account, region }) => [
            bootstrapRole('file-publishing', account, region),
            bootstrapRole('image-publishing', account, region),
          ],
        ),
      }),
    );

    const roles = new PipelineRoles(this, 'Roles', {
      pipelineName: name,
      artifactBucket: bucket,
      key,
      replicas: props.replicas,
    });
    const sourceRole = roles.source(props.connectionArn);
    const buildRole = roles.build([synth.project.projectArn, assets.project.projectArn]);
    const deployRole = roles.action('DeployRole', 'CloudFormation deploy actions');
    const executionRole = iam.Role.fromRoleArn(
      this,
      'CloudFormationExecutionRole',
      bootstrapRole('cfn-exec'),
      {
        mutable: false,
      },
    );
    const allStacks = [
      ...props.waves.flat().filter((s) => !s.remote),
      { stackName: this.stackName, templateFile: this.templateFile },
    ];
    const stackArns = allStacks.map((s) =>
      this.formatArn({
        service: 'cloudformation',
        region: 'region' in s ? s.region : undefined,
        resource: 'stack',
        resourceName: `${s.stackName}/*`,
      }),
    );
    deployStacks(deployRole, stackArns);
    acknowledgeWildcardResource(
      deployRole,
      '*',
      'cloudformation:ValidateTemplate has no resource-level permissions; it only reads the template given.',
    );
    for (const arn of stackArns) {
      acknowledgeWildcardResource(
        deployRole,
        arn,
        'A stack ARN ends in the id CloudFormation generates; the stack name is fixed.',
      );
    }
    // This account's stacks in other regions (the artifact replicas) deploy through its execution role there.
    const otherRegions = localRegions.filter((r) => r !== this.region);
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [
          executionRole.roleArn,
          ...otherRegions.map((region) => bootstrapRole('cfn-exec', this.account, region)),
        ],
      }),
    );
    // Templates check the bootstrap version through this SSM parameter, and the staging and production
    // stacks read the image each environment runs from its deployed-image parameter: CloudFormation resolves
    // SSM-typed template parameters with the caller's (this role's) credentials.
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameters'],
        resources: [
          ...[this.region, ...otherRegions].map((region) =>
            this.formatArn({
              service: 'ssm',
              region: region === this.region ? undefined : region,
              resource: 'parameter',
              resourceName: BOOTSTRAP_VERSION_PARAMETER,
            }),
          ),
          ...config.repositories.flatMap((r) =>
            // The environments of this account: another account's stack deploys through its own role.
            DEPLOYED_ENVIRONMENTS.filter((env) => !remoteAccount(config, env)).map((env) =>
              deployedImageParameterArn(this, repositoryPrefix(config.name, r.id), env),
            ),
          ),
        ],
      }),
    );
    readObjects(deployRole, bucket, key);
    // The templates of this account's stacks in another region (the replicas themselves) come from there.
    for (const replica of props.replicas ?? []) {
      if (localRegions.includes(replica.region)) roles.replicaObjects(deployRole, replica);
    }

    const sourceOutput = new codepipeline.Artifact('Source');
    const assembly = new codepipeline.Artifact('CloudAssembly');
    const source = new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: props.connectionArn,
      owner: platformRepo.owner,
      repo: platformRepo.name,
      branch: platformRepo.branch,
      output: sourceOutput,
      role: sourceRole.withoutPolicyUpdates(),
    });
    // Ids keep the region out when it is this stack's: a one-region deployment's logical ids stay as they were.
    const executionRoles = new Map(
      elsewhere.map(({ account, region }) => [
        `${account}/${region}`,
        iam.Role.fromRoleArn(
          this,
          `CloudFormationExecutionRole-${account}${region === this.region ? '' : `-${region}`}`,
          bootstrapRole('cfn-exec', account, region),
          {
            mutable: false,
          },
        ),
      ]),
    );
    const deploy = (stack: DeployedStack, runOrder: number) =>
      new actions.CloudFormationCreateUpdateStackAction({
        actionName: stack.stackName,
        stackName: stack.stackName,
        templatePath: assembly.atPath(stack.templateFile),
        adminPermissions: false,
        account: stack.remote?.account,
        region: stack.region,
        deploymentRole:
          stack.remote || stack.region
            ? executionRoles.get(`${stack.remote?.account ?? this.account}/${regionOf(stack)}`)
            : executionRole,
        cfnCapabilities: [CfnCapabilities.NAMED_IAM, CfnCapabilities.AUTO_EXPAND],
        runOrder,
        role: stack.remote
          ? roles.remote(`DeployRole-${stack.stackName}`, stack.remote.roleArn)
          : deployRole.withoutPolicyUpdates(),
      });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: name,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode[config.pipelines.infrastructure.executionMode],
      ...artifactStores(this, bucket, props.replicas),
      role: roles.pipeline.withoutPolicyUpdates(),
      restartExecutionOnUpdate: true,
      stages: [
        { stageName: 'Source', actions: [source] },
        {
          stageName: 'Synth',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Synth',
              project: synth.project,
              input: sourceOutput,
              outputs: [assembly],
              environmentVariables: {
                PIPEWARDEN_COMMIT: { value: source.variables.commitId },
                PIPEWARDEN_BRANCH: { value: source.variables.branchName },
                PIPEWARDEN_EXECUTION_ID: { value: '#{codepipeline.PipelineExecutionId}' },
                PIPEWARDEN_PIPELINE: { value: name },
                PIPEWARDEN_PIPELINE_KIND: { value: 'infrastructure' },
              },
              role: buildRole.withoutPolicyUpdates(),
            }),
          ],
        },
        {
          // Right after Synth: publish this stack's own assets (the pinned CLI the next Synth fetches), then
          // update the pipeline. A changed pipeline stops this execution and starts a new one on the same
          // commit (RestartExecutionOnUpdate), which runs the new stages; an unchanged one goes on.
          stageName: 'SelfUpdate',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'PublishOwnAssets',
              project: assets.project,
              input: assembly,
              environmentVariables: {
                PIPEWARDEN_ASSET_MANIFESTS: { value: `${this.artifactId}.assets.json` },
              },
              runOrder: 1,
              role: buildRole.withoutPolicyUpdates(),
            }),
            deploy({ stackName: this.stackName, templateFile: this.templateFile }, 2),
          ],
        },
        {
          stageName: 'Assets',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Publish',
              project: assets.project,
              input: assembly,
              role: buildRole.withoutPolicyUpdates(),
            }),
          ],
        },
        // One runOrder per wave: stacks of a wave deploy in parallel, after every stack they depend on; at most
        // 50 actions a stage (CodePipeline's quota), so many repositories' stacks continue in Deploy2, ...
        ...deploymentStages(props.waves).map((stage, i) => ({
          stageName: i === 0 ? 'Deploy' : `Deploy${i + 1}`,
          actions: stage.map(({ item, runOrder }) => deploy(item, runOrder)),
        })),
      ],
      triggers: [
        {
          providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
          gitConfiguration: {
            sourceAction: source,
            pushFilter: [
              {
                branchesIncludes: [platformRepo.branch],
                filePathsIncludes: [...config.pipelines.infrastructure.filePaths],
              },
            ],
          },
        },
      ],
    });
    this.pipeline.notifyOn('Notify', props.topic, {
      notificationRuleName: `${name}-notifications`,
      events: [
        codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
        codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
      ],
    });
  }
}
