import { Duration } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../../pipeline/contracts.js';
import { deployEcsServices, readObjects } from './grants.js';
import { type ArtifactReplica, artifactStores, PipelineRoles } from './pipeline-roles.js';

/** The CodeBuild projects one application pipeline runs: each pipeline has its own (its own principal). */
export interface BuildProjects {
  readonly test: codebuild.IProject;
  readonly snyk: codebuild.IProject;
  readonly inspector: codebuild.IProject;
  readonly image: codebuild.IProject;
  readonly gate: codebuild.IProject;
}

export interface GitFilter {
  readonly branches: { readonly includes: readonly string[]; readonly excludes: readonly string[] };
  readonly filePaths: { readonly includes: readonly string[]; readonly excludes: readonly string[] };
}

export interface DeployTarget {
  readonly service: ecs.IBaseService;
  readonly passRoles: readonly iam.IRole[];
  readonly family: string;
  /**
   * The environment's role in its own account (EnvironmentAccessStack), which the deploy action runs as; absent,
   * the environment is in this account and the pipeline's own deploy role gets the rights.
   */
  readonly roleArn?: string;
  /** The environment's role its RecordImage build assumes to write the deployed-image parameter there. */
  readonly recordImageRoleArn?: string;
  /** The environment's region when it is not the pipeline's (its deploy action runs there). */
  readonly region?: string;
}

export interface AppPipelineProps {
  readonly pipelineName: string;
  /** `main` deploys; `feature` stops after the gate. */
  readonly kind: 'main' | 'feature';
  readonly executionMode: codepipeline.ExecutionMode;
  readonly connectionArn: string;
  readonly owner: string;
  readonly repo: string;
  /** The branch a manual "Release change" builds. Triggered runs build the pushed or pull-request commit. */
  readonly defaultBranch: string;
  /**
   * One trigger per change: `push` or `pullRequest`, never both (both would start two runs of one commit, in
   * parallel, for a push to a branch with an open pull request).
   */
  readonly push?: GitFilter;
  readonly pullRequest?: {
    readonly into: readonly string[];
    readonly events: readonly ('OPEN' | 'UPDATED' | 'CLOSED')[];
    readonly filePaths: GitFilter['filePaths'];
  };
  readonly artifactBucket: s3.IBucket;
  readonly key: kms.IKey;
  /** The artifact stores of the other regions its deploy actions run in (environments.<name>.region). */
  readonly replicas?: readonly ArtifactReplica[];
  readonly projects: BuildProjects;
  readonly deploy?: {
    readonly staging: DeployTarget;
    readonly production: DeployTarget;
    readonly topic: sns.ITopic;
    /** The approval's link; absent when staging is in another account (its load balancer is not referable). */
    readonly stagingUrl?: string;
    /**
     * After each deployment, writes the image the environment now runs (imagedefinitions.json) to the
     * environment's deployed-image parameter, which its stack's task definition reads at deploy time: an
     * infrastructure change then re-registers the running image, never the placeholder.
     */
    readonly recordImage: { readonly staging: codebuild.IProject; readonly production: codebuild.IProject };
    /** The staging smoke test: after the staging deployment, before the approval (fails the stage). */
    readonly smokeTest?: codebuild.IProject;
  };
}

/** Stage and action names the bot and the docs rely on. */
export const APPROVAL = { stage: 'Approval', action: 'Approve' } as const;
export const SOURCE_ACTION = 'Source';
export const GATE_STAGE = 'Gate';

const list = (xs: readonly string[]) => (xs.length > 0 ? [...xs] : undefined);

/**
 * One V2 application pipeline: Source (CodeConnections, trigger with glob filters) → Build (tests, Snyk,
 * Inspector code security, image + SBOM as parallel actions: one action-minute bill, the longest action's
 * wall time) → Gate → for `main`: Staging (deploy, then record the image and smoke-test it) → Approval
 * (notified) → Production (ECS blue/green, then record the image).
 * Every role is written out here; CDK's wildcard grants are turned off with `withoutPolicyUpdates()`.
 */
export class AppPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: AppPipelineProps) {
    super(scope, id);
    const { artifactBucket: bucket, key } = props;

    const roles = new PipelineRoles(this, 'Roles', {
      pipelineName: props.pipelineName,
      artifactBucket: bucket,
      key,
      replicas: props.replicas,
    });
    const sourceRole = roles.source(props.connectionArn);
    const projectList = [
      ...(Object.values(props.projects) as codebuild.IProject[]),
      ...(props.deploy ? [props.deploy.recordImage.staging, props.deploy.recordImage.production] : []),
      ...(props.deploy?.smokeTest ? [props.deploy.smokeTest] : []),
    ];
    const buildRole = roles.build(projectList.map((p) => p.projectArn));

    const sourceOutput = new codepipeline.Artifact('Source');
    const source = new actions.CodeStarConnectionsSourceAction({
      actionName: SOURCE_ACTION,
      connectionArn: props.connectionArn,
      owner: props.owner,
      repo: props.repo,
      branch: props.defaultBranch,
      output: sourceOutput,
      variablesNamespace: 'SourceVariables',
      role: sourceRole.withoutPolicyUpdates(),
    });

    // What every build learns about the run: the findings CLI reads these (findings/cli/scan-context.ts).
    const runVariables: Record<string, codebuild.BuildEnvironmentVariable> = {
      PIPEWARDEN_COMMIT: { value: source.variables.commitId },
      PIPEWARDEN_BRANCH: { value: source.variables.branchName },
      PIPEWARDEN_EXECUTION_ID: { value: '#{codepipeline.PipelineExecutionId}' },
      PIPEWARDEN_PIPELINE: { value: props.pipelineName },
      PIPEWARDEN_PIPELINE_KIND: { value: props.kind },
      PIPEWARDEN_PULL_REQUEST: { value: `#{variables.${PIPELINE_VARIABLES.pullRequest}}` },
      PIPEWARDEN_HEAD_BRANCH: { value: `#{variables.${PIPELINE_VARIABLES.headBranch}}` },
      PIPEWARDEN_BASE_BRANCH: { value: `#{variables.${PIPELINE_VARIABLES.baseBranch}}` },
    };
    const build = (actionName: string, project: codebuild.IProject, output: codepipeline.Artifact) =>
      new actions.CodeBuildAction({
        actionName,
        project,
        input: sourceOutput,
        outputs: [output],
        environmentVariables: runVariables,
        runOrder: 1,
        role: buildRole.withoutPolicyUpdates(),
      });
    const outputs = {
      test: new codepipeline.Artifact('TestReports'),
      snyk: new codepipeline.Artifact('SnykReports'),
      inspector: new codepipeline.Artifact('InspectorReports'),
      image: new codepipeline.Artifact('Image'),
    };

    const stages: codepipeline.StageProps[] = [
      { stageName: 'Source', actions: [source] },
      {
        // Same runOrder: the four run in parallel, so the stage takes as long as the slowest one.
        stageName: 'Build',
        actions: [
          build('Test', props.projects.test, outputs.test),
          build('Snyk', props.projects.snyk, outputs.snyk),
          build('Inspector', props.projects.inspector, outputs.inspector),
          build('Image', props.projects.image, outputs.image),
        ],
      },
      {
        // The gate reads every scan report (CODEBUILD_SRC_DIR_<artifact>) and fails the run on new findings.
        // The Test action's output is no input of it: the repository's own buildspec wrote it.
        stageName: GATE_STAGE,
        actions: [
          new actions.CodeBuildAction({
            actionName: 'Gate',
            project: props.projects.gate,
            input: sourceOutput,
            extraInputs: [outputs.snyk, outputs.inspector, outputs.image],
            environmentVariables: runVariables,
            role: buildRole.withoutPolicyUpdates(),
          }),
        ],
      },
    ];

    if (props.deploy) {
      const { staging, production, topic } = props.deploy;
      const local = [staging, production].filter((t) => t.roleArn === undefined);
      const deployRole = local.length > 0 ? roles.action('DeployRole', 'ECS deploy actions') : undefined;
      if (deployRole) {
        deployEcsServices(deployRole, {
          services: local.map((t) => t.service.serviceArn),
          families: local.map((t) => t.family),
          passRoles: local.flatMap((t) => t.passRoles.map((r) => r.roleArn)),
        });
        readObjects(deployRole, bucket, key);
      }
      const approvalRole = roles.action('ApprovalRole', 'manual approval notification');
      approvalRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
      );
      approvalRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
      );
      const deploy = (target: DeployTarget, name: 'Staging' | 'Production') =>
        new actions.EcsDeployAction({
          actionName: 'Deploy',
          service: target.service,
          imageFile: outputs.image.atPath('imagedefinitions.json'),
          deploymentTimeout: Duration.minutes(60),
          role: target.roleArn
            ? roles.remote(`${name}DeployRole`, target.roleArn)
            : deployRole!.withoutPolicyUpdates(),
        });
      const { recordImage, smokeTest } = props.deploy;
      // Runs once the deployment succeeded: the environment runs this image from now on.
      const record = (environment: 'staging' | 'production') =>
        new actions.CodeBuildAction({
          actionName: 'RecordImage',
          project: recordImage[environment],
          input: outputs.image,
          runOrder: 2,
          role: buildRole.withoutPolicyUpdates(),
        });
      const stagingActions: codepipeline.IAction[] = [deploy(staging, 'Staging'), record('staging')];
      if (smokeTest) {
        stagingActions.push(
          new actions.CodeBuildAction({
            actionName: 'SmokeTest',
            project: smokeTest,
            // CodeBuild actions need an input; the smoke test's buildspec is inline and runs nothing of it.
            input: sourceOutput,
            runOrder: 2,
            role: buildRole.withoutPolicyUpdates(),
          }),
        );
      }
      stages.push(
        { stageName: 'Staging', actions: stagingActions },
        {
          stageName: APPROVAL.stage,
          actions: [
            new actions.ManualApprovalAction({
              actionName: APPROVAL.action,
              notificationTopic: topic,
              externalEntityLink: props.deploy.stagingUrl,
              additionalInformation: `Commit ${source.variables.commitId} passed the gate and runs in staging. Approve to deploy it to production (blue/green).`,
              timeout: Duration.days(3),
              role: approvalRole.withoutPolicyUpdates(),
            }),
          ],
        },
        { stageName: 'Production', actions: [deploy(production, 'Production'), record('production')] },
      );
    }

    const pr = props.pullRequest;
    const push = props.push;
    if ((push === undefined) === (pr === undefined)) {
      throw new Error(
        `pipewarden: pipeline ${props.pipelineName} needs exactly one trigger, push or pull request: set one of the two`,
      );
    }
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: props.executionMode,
      ...artifactStores(this, bucket, props.replicas),
      role: roles.pipeline.withoutPolicyUpdates(),
      restartExecutionOnUpdate: false,
      // Every variable the bot or the action sets when it starts a run must be declared: CodePipeline
      // refuses a start that sets an undeclared one (pipeline/contracts.ts PIPELINE_VARIABLES).
      variables: [
        new codepipeline.Variable({
          variableName: PIPELINE_VARIABLES.pullRequest,
          defaultValue: VARIABLE_NOT_SET,
          description: 'Pull request number, set by the GitHub Action or bot when they start a run',
        }),
        new codepipeline.Variable({
          variableName: PIPELINE_VARIABLES.headBranch,
          defaultValue: VARIABLE_NOT_SET,
          description: "The pull request's head branch, for a run started at its commit",
        }),
        new codepipeline.Variable({
          variableName: PIPELINE_VARIABLES.baseBranch,
          defaultValue: VARIABLE_NOT_SET,
          description: "The pull request's base branch, for a run started at its commit",
        }),
      ],
      stages,
      triggers: [
        {
          providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
          gitConfiguration: {
            sourceAction: source,
            pushFilter: push
              ? [
                  {
                    branchesIncludes: list(push.branches.includes),
                    branchesExcludes: list(push.branches.excludes),
                    filePathsIncludes: list(push.filePaths.includes),
                    filePathsExcludes: list(push.filePaths.excludes),
                  },
                ]
              : undefined,
            pullRequestFilter: pr
              ? [
                  {
                    branchesIncludes: [...pr.into],
                    events: pr.events.map((e) => codepipeline.GitPullRequestEvent[e]),
                    filePathsIncludes: list(pr.filePaths.includes),
                    filePathsExcludes: list(pr.filePaths.excludes),
                  },
                ]
              : undefined,
          },
        },
      ],
    });
  }
}
