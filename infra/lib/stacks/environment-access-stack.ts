import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { DEPLOYER_TAG, environmentRoleNames, environmentUrlParameterName } from '../accounts.js';
import { acknowledgeWildcardResource } from '../acknowledge.js';
import {
  DeployedImageParameters,
  type DeployedEnvironment,
  deployedImageParameterArn,
} from '../constructs/deployed-image.js';
import { deployStacks } from '../constructs/grants.js';
import { allowKeyServices } from '../constructs/key-policy.js';
import { accessLogBucket } from '../constructs/secure-bucket.js';
import { repositoryConstructId, repositoryPrefix, stackNames } from '../names.js';

export interface EnvironmentAccessStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly environmentName: DeployedEnvironment;
  /** The tooling account: its pipelines (and only they) assume this account's two roles. */
  readonly toolingAccount: string;
}

/**
 * What an environment in its own account needs before its network and services: a KMS key and an access-log
 * bucket of its own (the tooling account's cannot be referenced across accounts), the deployed-image parameters,
 * and the two roles the tooling account's pipelines assume here, each trusting only the tooling roles that use it
 * (by name prefix, as their names are generated) and acting only on this environment's resources.
 */
export class EnvironmentAccessStack extends Stack {
  readonly key: kms.Key;
  readonly logsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EnvironmentAccessStackProps) {
    super(scope, id, props);
    const { config, environmentName: env, toolingAccount } = props;
    const system = `${config.name}-${env}`;
    const prefixes = config.repositories.map((r) => repositoryPrefix(config.name, r.id));

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${system}`,
      description: `${system}: logs, the alarm topic and the deployed-image parameters' function`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowKeyServices(this.key);
    this.logsBucket = accessLogBucket(
      this,
      'ALB access logs are only delivered to buckets encrypted with SSE-S3.',
    );
    config.repositories.forEach((r, i) => {
      new DeployedImageParameters(this, repositoryConstructId('DeployedImages', r.id), {
        system: prefixes[i]!,
        initialImage: r.service.initialImage,
        key: this.key,
        logsDays: config.retention.logsDays,
        environments: [env],
      });
    });

    const names = environmentRoleNames(config.name, env);
    const toolingRoles = (stackPrefixes: string[], deployersOnly = false) =>
      new iam.AccountPrincipal(toolingAccount).withConditions({
        ArnLike: {
          'aws:PrincipalArn': stackPrefixes.map(
            (p) => `arn:${this.partition}:iam::${toolingAccount}:role/${p}-*`,
          ),
        },
        // The pipelines stack holds the feature (CI) pipeline's roles too: only the tagged deployers may come.
        ...(deployersOnly
          ? { StringEquals: { [`aws:PrincipalTag/${DEPLOYER_TAG.key}`]: DEPLOYER_TAG.value } }
          : {}),
      });
    // Reads the tooling account's artifacts (its bucket policy and key policy name this account).
    const toolingArtifactResources = [
      `arn:${this.partition}:s3:::*/*`,
      `arn:${this.partition}:kms:${this.region}:${toolingAccount}:key/*`,
    ];
    const toolingArtifacts = [
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [toolingArtifactResources[0]!],
        conditions: { StringEquals: { 's3:ResourceAccount': toolingAccount } },
      }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [toolingArtifactResources[1]!],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
      }),
    ];

    // The application pipelines (their pipeline role and record-image builds, in `<prefix>-pipelines`).
    const pipeline = new iam.Role(this, 'PipelineAccess', {
      roleName: names.pipeline,
      assumedBy: toolingRoles(
        prefixes.map((p) => stackNames(p).pipelines),
        true,
      ),
      description: `${system}: the tooling account's application pipelines deploy ${env} and record its image`,
    });
    const cluster = `${config.name}-${env}`;
    pipeline.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
        resources: prefixes.map((p) =>
          this.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/${p}-${env}` }),
        ),
      }),
    );
    const families = prefixes.map((p) =>
      this.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${p}-${env}:*` }),
    );
    pipeline.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:TagResource'], resources: families }));
    pipeline.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecs:RegisterTaskDefinition',
          'ecs:DescribeTaskDefinition',
          'ecs:DescribeTasks',
          'ecs:ListTasks',
        ],
        resources: ['*'],
      }),
    );
    // The service stacks' task and execution roles, named after their stacks by CloudFormation.
    const taskRoles = prefixes.map((p) => `arn:${this.partition}:iam::${this.account}:role/${p}-${env}-*`);
    pipeline.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: taskRoles,
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    pipeline.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter'],
        resources: prefixes.map((p) => deployedImageParameterArn(this, p, env)),
      }),
    );
    pipeline.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: prefixes.map((p) =>
          this.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: environmentUrlParameterName(p, env).slice(1),
          }),
        ),
      }),
    );
    toolingArtifacts.forEach((s) => pipeline.addToPolicy(s));
    acknowledgeAll(pipeline, families, 'Each deployment registers the next revision number of this family.');
    acknowledgeAll(
      pipeline,
      ['*'],
      'ECS RegisterTaskDefinition, DescribeTaskDefinition, DescribeTasks and ListTasks have no resource-level permissions.',
    );
    acknowledgeAll(
      pipeline,
      taskRoles,
      "CloudFormation names the service stack's task roles after the stack; passed to ECS tasks only.",
    );
    acknowledgeAll(pipeline, toolingArtifactResources, TOOLING_ARTIFACTS);

    // The infrastructure pipeline's CloudFormation actions for this environment's stacks. Not the bootstrap deploy
    // role: the service stacks read the deployed-image parameters, which that role may not.
    const stacks = new iam.Role(this, 'StackDeploy', {
      roleName: names.stacks,
      assumedBy: toolingRoles([stackNames(config.name).infrastructure]),
      description: `${system}: the tooling account's infrastructure pipeline deploys the ${env} stacks`,
    });
    const own = stackNames(system);
    const stackArns = [own.network, own.notifications, ...prefixes.map((p) => stackNames(p)[env])].map(
      (name) => this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` }),
    );
    deployStacks(stacks, stackArns);
    stacks.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [bootstrapExecutionRoleArn(this)],
      }),
    );
    stacks.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameters'],
        resources: [
          this.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: 'cdk-bootstrap/hnb659fds/version',
          }),
          ...prefixes.map((p) => deployedImageParameterArn(this, p, env)),
        ],
      }),
    );
    toolingArtifacts.forEach((s) => stacks.addToPolicy(s));
    acknowledgeAll(
      stacks,
      stackArns,
      'A stack ARN ends in the id CloudFormation generates; the stack name is fixed.',
    );
    acknowledgeAll(
      stacks,
      ['*'],
      'cloudformation:ValidateTemplate has no resource-level permissions; it only reads the template given.',
    );
    acknowledgeAll(stacks, toolingArtifactResources, TOOLING_ARTIFACTS);
  }
}

const TOOLING_ARTIFACTS =
  "The tooling account's artifact bucket and key, named there (generated names): only that account's (s3:ResourceAccount), only through S3, and its bucket and key policies name this account.";

function acknowledgeAll(role: iam.IRole, resources: readonly string[], reason: string): void {
  for (const resource of resources) acknowledgeWildcardResource(role, resource, reason);
}

/** The CloudFormation execution role `cdk bootstrap` created in this stack's account and region. */
export function bootstrapExecutionRoleArn(stack: Stack, account = stack.account): string {
  return `arn:${stack.partition}:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${stack.region}`;
}
