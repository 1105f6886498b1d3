import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CROSS_STACK, acknowledgeControl } from '../acknowledge.js';
import { BuildProject } from './build-project.js';
import { markDeployer } from '../accounts.js';

export const DEPLOYED_ENVIRONMENTS = ['staging', 'production'] as const;
export type DeployedEnvironment = (typeof DEPLOYED_ENVIRONMENTS)[number];

/**
 * The SSM parameter holding the image an environment runs: the application pipeline writes it after each
 * successful deployment, and the environment's stack reads it when CloudFormation deploys (a template
 * parameter of type AWS::SSM::Parameter::Value<String>), so a stack update registers the running image.
 */
export function deployedImageParameterName(system: string, environment: DeployedEnvironment): string {
  return `/${system}/${environment}/deployed-image`;
}

/** The parameter's ARN in `scope`'s stack (names start with `/`, which the ARN's resource part already has). */
export function deployedImageParameterArn(
  scope: Construct,
  system: string,
  environment: DeployedEnvironment,
): string {
  return Stack.of(scope).formatArn({
    service: 'ssm',
    resource: 'parameter',
    resourceName: deployedImageParameterName(system, environment).slice(1),
  });
}

export interface DeployedImageParametersProps {
  readonly system: string;
  /** The first value: what runs until the application pipeline's first deployment. */
  readonly initialImage: string;
  readonly key: kms.IKey;
  readonly logsDays: logs.RetentionDays;
  /** The environments whose parameters live in this account (all by default; not those in another account). */
  readonly environments?: readonly DeployedEnvironment[];
}

/**
 * Creates each environment's deployed-image parameter once, with the initial image, and never writes it again:
 * CloudFormation does not own it (a parameter resource would be reset to the initial image whenever its value
 * in the template changed, which is the rollback to the placeholder this exists to prevent). `Overwrite: false`
 * makes the call a no-op once the parameter exists; the parameter outlives the stack.
 */
export class DeployedImageParameters extends Construct {
  /** ARNs of the parameters, for the roles that read (stack deployments) or write (the application pipeline) them. */
  readonly parameterArns: Partial<Record<DeployedEnvironment, string>>;

  constructor(scope: Construct, id: string, props: DeployedImageParametersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const environments = props.environments ?? DEPLOYED_ENVIRONMENTS;
    const arn = (env: DeployedEnvironment) => deployedImageParameterArn(this, props.system, env);
    this.parameterArns = Object.fromEntries(environments.map((env) => [env, arn(env)]));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.system}: creates the deployed-image parameters once`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter'],
        resources: environments.map((env) => arn(env)),
      }),
    );

    for (const env of environments) {
      const call: cr.AwsSdkCall = {
        service: 'SSM',
        action: 'putParameter',
        parameters: {
          Name: deployedImageParameterName(props.system, env),
          Value: props.initialImage,
          Type: 'String',
          Overwrite: false,
          Description: `The image ${env} runs: written by the application pipeline after each deployment`,
        },
        physicalResourceId: cr.PhysicalResourceId.of(deployedImageParameterName(props.system, env)),
        // It exists from an earlier deployment: keep what the pipeline wrote.
        ignoreErrorCodesMatching: 'ParameterAlreadyExists',
      };
      new cr.AwsCustomResource(this, `${env}Parameter`, {
        installLatestAwsSdk: false,
        role,
        logGroup,
        onCreate: call,
        onUpdate: call,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
    // The provider function is a singleton at the stack root.
    const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider) {
      acknowledgeControl(
        provider,
        'lambda_inside_vpc_check',
        'Creates two SSM parameters during deployment; it serves nothing and reaches no private network.',
      );
    }
  }
}

export interface DeployedImageRecorderProps {
  readonly system: string;
  readonly environment: DeployedEnvironment;
  readonly key: kms.IKey;
  readonly artifactBucket: s3.IBucket;
  readonly cacheBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  /** The environment's record-image role to assume when its parameter lives in another account (accounts.ts). */
  readonly environmentRoleArn?: string;
  /** The environment's region when it is not this stack's: the parameter lives there. */
  readonly environmentRegion?: string;
}

/**
 * Records the image an environment now runs: reads the Image artifact's imagedefinitions.json (what the ECS
 * deploy action just deployed) and overwrites the environment's deployed-image parameter. The application
 * pipeline runs it right after each Deploy action succeeds (same stage, runOrder 2), so a failed or rolled-back
 * deployment records nothing. Its role may write that one parameter and nothing else.
 */
export class DeployedImageRecorder extends Construct {
  readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, props: DeployedImageRecorderProps) {
    super(scope, id);
    const parameterName = deployedImageParameterName(props.system, props.environment);
    const built = new BuildProject(this, 'Build', {
      projectName: `${props.system}-${props.environment}-record-image`,
      description: `records the image ${props.environment} runs in ${parameterName}`,
      buildSpec: recordImageBuildspec(
        props.environmentRoleArn !== undefined,
        props.environmentRegion !== undefined,
      ),
      key: props.key,
      artifactBucket: props.artifactBucket,
      cacheBucket: props.cacheBucket,
      logRetention: props.logRetention,
      computeType: codebuild.ComputeType.SMALL,
      timeout: Duration.minutes(5),
      environmentVariables: {
        PIPEWARDEN_IMAGE_PARAMETER: { value: parameterName },
        ...(props.environmentRoleArn
          ? { PIPEWARDEN_ENVIRONMENT_ROLE: { value: props.environmentRoleArn } }
          : {}),
        ...(props.environmentRegion
          ? { PIPEWARDEN_ENVIRONMENT_REGION: { value: props.environmentRegion } }
          : {}),
      },
    });
    if (props.environmentRoleArn) markDeployer(built.role, 'record-image');
    built.role.addToPolicy(
      props.environmentRoleArn
        ? new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [props.environmentRoleArn] })
        : new iam.PolicyStatement({
            actions: ['ssm:PutParameter'],
            resources: [deployedImageParameterArn(this, props.system, props.environment)],
          }),
    );
    this.project = built.project;
  }
}

/**
 * Shell lines that switch a build to $PIPEWARDEN_ENVIRONMENT_ROLE, the role of an environment in another account
 * (its parameters live there).
 */
export const ASSUME_ENVIRONMENT_ROLE = [
  'creds=$(aws sts assume-role --role-arn "$PIPEWARDEN_ENVIRONMENT_ROLE" --role-session-name "pipewarden-$CODEBUILD_BUILD_NUMBER" --query Credentials --output json)',
  'export AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId <<< "$creds") AWS_SECRET_ACCESS_KEY=$(jq -r .SecretAccessKey <<< "$creds") AWS_SESSION_TOKEN=$(jq -r .SessionToken <<< "$creds")',
].join('\n');

/**
 * ASSUME_ENVIRONMENT_ROLE, and with `inRegion` every later AWS CLI call goes to $PIPEWARDEN_ENVIRONMENT_REGION, the
 * environment's region (the build runs in the tooling region; the environment's parameters live in its own).
 */
export function assumeEnvironmentRole(inRegion = false): string {
  return inRegion
    ? `${ASSUME_ENVIRONMENT_ROLE}\nexport AWS_REGION="$PIPEWARDEN_ENVIRONMENT_REGION" AWS_DEFAULT_REGION="$PIPEWARDEN_ENVIRONMENT_REGION"`
    : ASSUME_ENVIRONMENT_ROLE;
}

/** The inline buildspec: the one image URI of imagedefinitions.json, written to the parameter. */
export function recordImageBuildspec(assumeRole = false, inRegion = false): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      build: {
        commands: [
          ...(assumeRole ? [assumeEnvironmentRole(inRegion)] : []),
          [
            "image=$(jq -r 'if length == 1 then .[0].imageUri else empty end' imagedefinitions.json)",
            'if [ -z "$image" ] || [ "$image" = null ]; then',
            '  echo "pipewarden: imagedefinitions.json must name exactly one image (the Image action writes it); nothing recorded"',
            '  false',
            'else',
            '  aws ssm put-parameter --name "$PIPEWARDEN_IMAGE_PARAMETER" --value "$image" --type String --overwrite >/dev/null',
            '  echo "pipewarden: $PIPEWARDEN_IMAGE_PARAMETER = $image"',
            'fi',
          ].join('\n'),
        ],
      },
    },
  });
}
