import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import {
  BOOTSTRAP_VERSION_PARAMETER,
  DEPLOYER_TAG,
  type DeployerDuty,
  SMOKE_TESTED,
  bootstrapRoleName,
  environmentRoleNames,
  environmentUrlParameterName,
  repositoryRoleNames,
  serviceRoleNames,
} from '../accounts.js';
import { acknowledgeWildcardResource } from '../acknowledge.js';
import {
  DeployedImageParameters,
  type DeployedEnvironment,
  deployedImageParameterArn,
} from '../constructs/deployed-image.js';
import { deployEcsServices, deployStacks } from '../constructs/grants.js';
import { allowKeyServices } from '../constructs/key-policy.js';
import { accessLogBucket } from '../constructs/secure-bucket.js';
import { repositoryConstructId, repositoryPrefix, stackNames } from '../names.js';

export interface EnvironmentAccessStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly environmentName: DeployedEnvironment;
  /** The tooling account: its pipelines (and only they) assume this account's roles. */
  readonly toolingAccount: string;
}

/**
 * What an environment in its own account needs before its network and services: a KMS key and an access-log
 * bucket of its own (the tooling account's cannot be referenced across accounts), the deployed-image parameters,
 * and the roles the tooling account's pipelines assume here: per repository one per duty of its main pipeline
 * (deploy, record the image, read the URL for the smoke test), and one for the infrastructure pipeline's stacks,
 * each trusting only the tooling roles that use it (by name prefix, as their names are generated, and for the
 * repositories' by the tag of their duty) and acting only on its own resources.
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
    const toolingRoles = (stackPrefixes: string[], duty?: DeployerDuty) =>
      new iam.AccountPrincipal(toolingAccount).withConditions({
        ArnLike: {
          'aws:PrincipalArn': stackPrefixes.map(
            (p) => `arn:${this.partition}:iam::${toolingAccount}:role/${p}-*`,
          ),
        },
        // The pipelines stack holds the feature (CI) pipeline's roles and every build's too: only the roles
        // tagged with this role's duty may come.
        ...(duty ? { StringEquals: { [`aws:PrincipalTag/${DEPLOYER_TAG.key}`]: duty } } : {}),
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

    // Per repository, one role per duty of its main pipeline (accounts.ts repositoryRoleNames), each trusting
    // only that repository's pipelines stack and the tag of that duty, and acting only on its own resources.
    config.repositories.forEach((r, i) => {
      const prefix = prefixes[i]!;
      const roleNames = repositoryRoleNames(prefix, env);
      const trusted = [stackNames(prefix).pipelines];
      const of = r.id ? ` of ${r.owner}/${r.name}` : '';

      // The ECS deploy action (the main pipeline's service role assumes it for the action).
      const deploy = new iam.Role(this, repositoryConstructId('Deploy', r.id), {
        roleName: roleNames.deploy,
        assumedBy: toolingRoles(trusted, 'deploy'),
        description: `${system}: the tooling account's main pipeline deploys the ${env} service${of}`,
      });
      // The service stack's task and execution roles, by the names it gives them here.
      const serviceRoles = serviceRoleNames(prefix, env);
      deployEcsServices(deploy, {
        services: [
          this.formatArn({
            service: 'ecs',
            resource: 'service',
            resourceName: `${config.name}-${env}/${prefix}-${env}`,
          }),
        ],
        families: [`${prefix}-${env}`],
        passRoles: [serviceRoles.task, serviceRoles.execution].map(
          (name) => `arn:${this.partition}:iam::${this.account}:role/${name}`,
        ),
      });
      toolingArtifacts.forEach((s) => deploy.addToPolicy(s));
      acknowledgeAll(deploy, toolingArtifactResources, TOOLING_ARTIFACTS);

      // The RecordImage build: the deployed-image parameter, nothing else.
      const record = new iam.Role(this, repositoryConstructId('RecordImage', r.id), {
        roleName: roleNames.recordImage,
        assumedBy: toolingRoles(trusted, 'record-image'),
        description: `${system}: the tooling account's RecordImage build writes the image ${env} runs${of}`,
      });
      record.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:PutParameter'],
          resources: [deployedImageParameterArn(this, prefix, env)],
        }),
      );

      // The SmokeTest build: the URL parameter the service stack writes, nothing else (only where one runs).
      if (SMOKE_TESTED.includes(env)) {
        const smoke = new iam.Role(this, repositoryConstructId('SmokeTest', r.id), {
          roleName: roleNames.smokeTest,
          assumedBy: toolingRoles(trusted, 'smoke-test'),
          description: `${system}: the tooling account's SmokeTest build reads the ${env} URL${of}`,
        });
        smoke.addToPolicy(
          new iam.PolicyStatement({
            actions: ['ssm:GetParameter'],
            resources: [
              this.formatArn({
                service: 'ssm',
                resource: 'parameter',
                resourceName: environmentUrlParameterName(prefix, env).slice(1),
              }),
            ],
          }),
        );
      }
    });

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
            resourceName: BOOTSTRAP_VERSION_PARAMETER,
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
  return `arn:${stack.partition}:iam::${account}:role/${bootstrapRoleName('cfn-exec', account, stack.region)}`;
}
