import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcardResource } from '../acknowledge.js';

/**
 * Hand-written grants with exact action names. CDK's `grantRead`/`grantReadWrite` expand to wildcard
 * actions (`s3:GetObject*`, `s3:List*`, `kms:GenerateDataKey*`): the over-privilege the seed's
 * "Improvements" list asked to remove. Object keys stay a wildcard: CodePipeline and the builds name them.
 */
const OBJECT_KEYS =
  'Object keys are generated per execution and per commit; the bucket (and prefix) is fixed.';

export function objectsArn(role: iam.IRole, bucket: s3.IBucket, prefix = ''): string {
  const arn = bucket.arnForObjects(`${prefix}*`);
  acknowledgeWildcardResource(role, arn, OBJECT_KEYS);
  return arn;
}

export function readObjects(role: iam.IRole, bucket: s3.IBucket, key: kms.IKey, prefix = ''): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [objectsArn(role, bucket, prefix)],
    }),
  );
  decrypt(role, key);
}

export function writeObjects(role: iam.IRole, bucket: s3.IBucket, key: kms.IKey, prefix = ''): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objectsArn(role, bucket, prefix)] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
  );
}

/** The bucket metadata reads CodeBuild and the source action perform before touching artifacts. */
export function describeBucket(role: iam.IRole, bucket: s3.IBucket, list = false): void {
  const actions = ['s3:GetBucketLocation', 's3:GetBucketAcl'];
  if (list) actions.push('s3:ListBucket');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [bucket.bucketArn] }));
}

export function decrypt(role: iam.IRole, key: kms.IKey): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
}

/**
 * Deploying CloudFormation stacks: what CDK's own grant for a deploy action holds (CreateStack, UpdateStack,
 * DescribeStack*, GetTemplate*, Get/SetStackPolicy, ValidateTemplate), with its wildcards written out;
 * test/infra/deploy-roles.test.ts compares the two. ValidateTemplate takes no resource (CDK's grant names the
 * stack, where IAM never matches it).
 */
export function deployStacks(role: iam.IRole, stackArns: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'cloudformation:CreateStack',
        'cloudformation:UpdateStack',
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:DescribeStackResource',
        'cloudformation:DescribeStackResources',
        'cloudformation:GetTemplate',
        'cloudformation:GetTemplateSummary',
        'cloudformation:GetStackPolicy',
        'cloudformation:SetStackPolicy',
      ],
      resources: stackArns,
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['cloudformation:ValidateTemplate'], resources: ['*'] }),
  );
}

/** What one ECS deploy action acts on: its services, their task-definition families, the roles those name. */
export interface EcsDeployTargets {
  /** Service ARNs. */
  readonly services: readonly string[];
  /** Task-definition family names (each deployment registers the next revision of one). */
  readonly families: readonly string[];
  /** ARNs of the task and execution roles the task definitions name, passed to ECS tasks only. */
  readonly passRoles: readonly string[];
}

/**
 * CodePipeline's ECS (standard) deploy action: describe and update these services, register and tag revisions
 * of their families, pass their roles to ECS tasks. One set of rights wherever the action's role lives: the main
 * pipeline's own deploy role (environments in the tooling account) or an environment account's deploy role.
 */
export function deployEcsServices(role: iam.IRole, targets: EcsDeployTargets): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
      resources: [...targets.services],
    }),
  );
  const revisions = targets.families.map((family) =>
    Stack.of(role).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${family}:*` }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:TagResource'], resources: revisions }));
  for (const arn of revisions)
    acknowledgeWildcardResource(
      role,
      arn,
      'Each deployment registers the next revision number of this family.',
    );
  role.addToPrincipalPolicy(
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
  acknowledgeWildcardResource(
    role,
    '*',
    'ECS RegisterTaskDefinition, DescribeTaskDefinition, DescribeTasks and ListTasks have no resource-level permissions.',
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [...targets.passRoles],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  );
}
