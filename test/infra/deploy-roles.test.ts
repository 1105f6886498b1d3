/* eslint-disable @typescript-eslint/no-explicit-any -- templates are walked as raw JSON */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { loadTemplates, type StackRef, type SynthesizedTemplates } from '../support/synth-cache.js';
import { templateApp } from './synth.js';

// Issue 11, point 9: the deploy roles are written by hand (narrower than CDK's), so each is compared with
// what CDK itself grants the same action when it makes the role: any action CDK's grant holds and ours
// lacks is a deployment that would fail in a real account on a call CDK knew about.

type Statement = { Action: string | string[]; Resource: unknown; Condition?: any };
const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => [s.Action].flat());

/** The statements CDK attaches to the role it creates for each of our two deploy actions. */
function cdkGrants(): Record<'ecs' | 'cloudformation', Statement[]> {
  const stack = new Stack(templateApp(), 'CdkGrant', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc') });
  const service = ecs.FargateService.fromFargateServiceAttributes(stack, 'Service', {
    cluster,
    serviceName: 'svc',
  });
  const source = new codepipeline.Artifact('Source');
  const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
    artifactBucket: new s3.Bucket(stack, 'Artifacts'),
  });
  pipeline.addStage({
    stageName: 'Source',
    actions: [
      new actions.S3SourceAction({
        actionName: 'Source',
        bucket: new s3.Bucket(stack, 'Bucket'),
        bucketKey: 'source.zip',
        output: source,
      }),
    ],
  });
  // Configured as app-pipeline.ts and infra-pipeline-stack.ts configure theirs, minus the role.
  pipeline.addStage({
    stageName: 'Deploy',
    actions: [
      new actions.EcsDeployAction({
        actionName: 'Ecs',
        service,
        imageFile: source.atPath('imagedefinitions.json'),
        deploymentTimeout: Duration.minutes(60),
      }),
      new actions.CloudFormationCreateUpdateStackAction({
        actionName: 'Cfn',
        stackName: 'stack',
        templatePath: source.atPath('template.json'),
        adminPermissions: false,
        deploymentRole: iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::111111111111:role/cfn-exec', {
          mutable: false,
        }),
      }),
    ],
  });
  const policies = Object.entries<any>(Template.fromStack(stack).toJSON().Resources).filter(
    ([, r]) => r.Type === 'AWS::IAM::Policy',
  );
  const of = (prefix: string) =>
    policies.find(([id]) => id.startsWith(prefix))![1].Properties.PolicyDocument.Statement as Statement[];
  return {
    ecs: of('PipelineDeployEcsCodePipelineActionRole'),
    cloudformation: of('PipelineDeployCfnCodePipelineActionRole'),
  };
}

/** CDK's wildcard actions, written out as the concrete calls our roles name instead. */
const WRITTEN_OUT: Record<string, string[]> = {
  'cloudformation:DescribeStack*': [
    'cloudformation:DescribeStacks',
    'cloudformation:DescribeStackEvents',
    'cloudformation:DescribeStackResource',
    'cloudformation:DescribeStackResources',
  ],
  'cloudformation:GetTemplate*': ['cloudformation:GetTemplate', 'cloudformation:GetTemplateSummary'],
};
/** The artifact read, which both sides grant, is proved in trust-boundaries.test.ts (one bucket, read only). */
const notArtifactRead = (a: string) => !a.startsWith('s3:');
const expand = (list: string[]) => list.filter(notArtifactRead).flatMap((a) => WRITTEN_OUT[a] ?? [a]);

// the full configuration, synthesized once per change of the sources and shared (test/support/synth-cache.ts)
let app: SynthesizedTemplates;
let cdk: ReturnType<typeof cdkGrants>;
beforeAll(() => {
  app = loadTemplates('full');
  cdk = cdkGrants();
}, 300_000);

function ourRole(stack: StackRef, description: string): Statement[] {
  const resources = Object.entries<any>(app.template(stack).toJSON().Resources);
  const [roleId] = resources.find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && String(r.Properties.Description).endsWith(description),
  )!;
  return resources
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
}

describe("deploy roles hold every action CDK's own grant holds for the action", () => {
  it('the ECS deploy role (main pipeline): the seven ECS calls and iam:PassRole', () => {
    const ours = ourRole(app.stacks.pipelines, ': ECS deploy actions');
    expect(expand(actionsOf(cdk.ecs)).filter((a) => !actionsOf(ours).includes(a))).toEqual([]);
    // Narrower than CDK's: PassRole only the environments' task and execution roles, only to ECS tasks
    // (CDK: any role, to EC2 too, and only "if exists").
    const passRole = ours.filter((s) => actionsOf([s]).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    expect(passRole[0].Resource).not.toEqual('*');
  });

  it('the CloudFormation deploy role (infrastructure pipeline): CDK’s stack calls, wildcards written out', () => {
    const ours = ourRole(app.stacks.infrastructure, ': CloudFormation deploy actions');
    expect(expand(actionsOf(cdk.cloudformation)).filter((a) => !actionsOf(ours).includes(a))).toEqual([]);
    // No wildcard action of ours: each call is named.
    expect(actionsOf(ours).filter((a) => a.includes('*'))).toEqual([]);
  });
});
