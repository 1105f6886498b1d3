import { ArnFormat, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CROSS_STACK, acknowledgeControl, acknowledgeWildcardResource } from '../acknowledge.js';
import { describeBucket, readObjects, writeObjects } from './grants.js';

export interface BuildProjectProps {
  readonly projectName: string;
  readonly description: string;
  /** Buildspec: a path in the source artifact (read at run time) or an inline object. */
  readonly buildSpec: codebuild.BuildSpec;
  readonly key: kms.IKey;
  readonly artifactBucket: s3.IBucket;
  /**
   * Where the build cache lives, under a prefix of the project's own; absent: no cache. Projects that run a
   * branch's unreviewed code get none: what one pull request's build caches, the next one's would restore.
   */
  readonly cacheBucket?: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  readonly computeType: codebuild.ComputeType;
  readonly timeout: Duration;
  /** Docker-in-Docker: only for the project that builds the image. */
  readonly privileged?: boolean;
  readonly environmentVariables?: Record<string, codebuild.BuildEnvironmentVariable>;
  /**
   * Report groups this project writes, by the key its buildspec uses under `reports:`. CodeBuild sends
   * a report keyed `tests` in project `p` to the group named `p-tests`, so the groups are named so here.
   */
  readonly reports?: Record<string, codebuild.ReportGroupType>;
}

/**
 * A CodeBuild project whose role holds exactly what this file writes: its own logs, the pipeline
 * artifacts, its cache prefix, its report groups. CDK's automatic grants are switched off
 * (`withoutPolicyUpdates`) because they use wildcard actions; callers add the project's own needs.
 */
export class BuildProject extends Construct {
  readonly project: codebuild.PipelineProject;
  /** The project's role, to add the project-specific statements to. */
  readonly role: iam.Role;
  readonly reportGroups: codebuild.ReportGroup[] = [];

  constructor(scope: Construct, id: string, props: BuildProjectProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `${props.projectName}: ${props.description}`,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/codebuild/${props.projectName}`,
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStreams = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/codebuild/${props.projectName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logStreams],
      }),
    );
    acknowledgeWildcardResource(
      this.role,
      logStreams,
      'CodeBuild names a log stream per build, in this log group only.',
    );
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);

    readObjects(this.role, props.artifactBucket, props.key);
    writeObjects(this.role, props.artifactBucket, props.key);
    describeBucket(this.role, props.artifactBucket);
    if (props.cacheBucket) {
      const cachePrefix = `${props.projectName}/`;
      readObjects(this.role, props.cacheBucket, props.key, cachePrefix);
      writeObjects(this.role, props.cacheBucket, props.key, cachePrefix);
      describeBucket(this.role, props.cacheBucket);
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:DescribeKey'], resources: [props.key.keyArn] }),
    );

    for (const [name, type] of Object.entries(props.reports ?? {})) {
      const group = new codebuild.ReportGroup(this, `Report-${name}`, {
        reportGroupName: `${props.projectName}-${name}`,
        type,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.reportGroups.push(group);
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'codebuild:CreateReport',
            'codebuild:UpdateReport',
            'codebuild:BatchPutTestCases',
            'codebuild:BatchPutCodeCoverages',
          ],
          resources: [group.reportGroupArn],
        }),
      );
    }

    this.project = new codebuild.PipelineProject(this, 'Project', {
      projectName: props.projectName,
      description: props.description,
      buildSpec: props.buildSpec,
      role: this.role.withoutPolicyUpdates(),
      encryptionKey: props.key,
      timeout: props.timeout,
      cache: props.cacheBucket
        ? codebuild.Cache.bucket(props.cacheBucket, { prefix: props.projectName })
        : codebuild.Cache.none(),
      environment: {
        buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: props.computeType,
        privileged: props.privileged ?? false,
      },
      environmentVariables: props.environmentVariables,
      logging: { cloudWatch: { logGroup } },
    });
    // The project's reports and logs must exist before it runs.
    this.project.node.addDependency(logGroup, ...this.reportGroups);
    if (props.privileged) {
      const reason =
        'Builds the container image with the Docker daemon, which needs privileged mode; no other project has it.';
      Validations.of(this.project).acknowledge({ id: 'AwsSolutions-CB3', reason });
      acknowledgeControl(this.project, 'codebuild_project_environment_privileged_check', reason);
    }
  }
}
