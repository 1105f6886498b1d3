import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CROSS_STACK, acknowledgeControl, acknowledgeWildcardResource } from '../acknowledge.js';
import { SMOKE_TEST_RETRY_SECONDS } from './smoke-test.js';

/** The handlers' source: bundled by esbuild at synthesis (ESM, the SDK left to the runtime). */
export const GREEN_CHECK_ENTRY = join(import.meta.dirname, '..', '..', 'lambda', 'green-check.ts');
/** Time one GET through the test listener may take. */
export const GREEN_CHECK_TIMEOUT_SECONDS = 5;

export interface GreenCheckProps {
  readonly service: ecs.BaseService;
  readonly vpc: ec2.IVpc;
  /** Where the probe function runs: subnets of the load balancer's VPC (it needs no internet access). */
  readonly subnets: ec2.SubnetSelection;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  readonly testListenerPort: number;
  readonly https: boolean;
  /** The health path first, then environments.production.smokeTest.paths. */
  readonly paths: readonly string[];
  readonly attempts: number;
  readonly key: kms.IKey;
  readonly logsDays: logs.RetentionDays;
}

/**
 * Green tested before production traffic moves: an ECS lifecycle hook at POST_TEST_TRAFFIC_SHIFT (green
 * serves only the test listener) that GETs each path through the test listener and answers FAILED, so ECS
 * rolls back, on an answer outside 200-399, a timeout, or any error of the check itself.
 *
 * The route, for a real account: the load balancer is internet-facing, so its DNS name resolves to public
 * addresses. A function outside the VPC would reach them from Lambda's shared public addresses, which the
 * test listener's security group cannot single out (it would have to open the test port to the internet);
 * a function in the VPC has no public address and, without a NAT gateway (the default), no route to them.
 * So two functions: the probe runs in the VPC and reaches the load balancer's private addresses through a
 * security-group rule from its own group to the test port, and holds no AWS right; the hook, which ECS
 * invokes, runs outside the VPC, where it can call EC2 to find those addresses (they change as the load
 * balancer scales) and then invokes the probe. Nothing costs anything between deployments.
 */
export class GreenCheck extends Construct {
  readonly hook: lambda.IFunction;
  readonly probe: lambda.IFunction;
  readonly probeSecurityGroup: ec2.SecurityGroup;
  /** The role ECS assumes to invoke the hook. */
  readonly invokeRole: iam.Role;

  constructor(scope: Construct, id: string, props: GreenCheckProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Every URL tried `attempts` times, each try up to the GET timeout plus the pause, with a minute to spare.
    const probeTimeout = Duration.seconds(
      props.attempts * (GREEN_CHECK_TIMEOUT_SECONDS + SMOKE_TEST_RETRY_SECONDS) + 60,
    );
    const bundling: nodejs.BundlingOptions = {
      format: nodejs.OutputFormat.ESM,
      target: 'node24',
      minify: false,
      sourceMap: false,
    };

    this.probeSecurityGroup = new ec2.SecurityGroup(this, 'ProbeSecurityGroup', {
      vpc: props.vpc,
      description: `${stack.stackName} green check: only the test listener`,
      allowAllOutbound: false,
    });
    props.loadBalancerSecurityGroup.connections.allowFrom(
      this.probeSecurityGroup,
      ec2.Port.tcp(props.testListenerPort),
      'green check (lifecycle hook) to the test listener',
    );

    const probeLogs = this.logGroup('ProbeLogs', props);
    const probeRole = this.lambdaRole(
      'ProbeRole',
      'green check probe: GETs the test listener',
      probeLogs,
      props.key,
    );
    // What Lambda needs to attach the function to the VPC (AWSLambdaVPCAccessExecutionRole's actions): the
    // two Describe actions have no resource-level permissions, the others are held to this account and region.
    probeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
    );
    Validations.of(probeRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets have no resource-level permissions.',
    });
    const ec2Arn = (resource: string) => stack.formatArn({ service: 'ec2', resource, resourceName: '*' });
    const interfaces = ec2Arn('network-interface');
    probeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface'],
        resources: [interfaces, ec2Arn('subnet'), ec2Arn('security-group')],
      }),
    );
    probeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: [interfaces],
      }),
    );
    const attachment =
      'Lambda names the network interfaces it creates for the VPC attachment; this account and region only.';
    for (const resource of [interfaces, ec2Arn('subnet'), ec2Arn('security-group')]) {
      acknowledgeWildcardResource(probeRole, resource, attachment);
    }
    const probe = new nodejs.NodejsFunction(this, 'Probe', {
      description: `${stack.stackName}: GETs green through the test listener (in the VPC)`,
      entry: GREEN_CHECK_ENTRY,
      handler: 'probeHandler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      bundling,
      role: probeRole.withoutPolicyUpdates(),
      logGroup: probeLogs,
      timeout: probeTimeout,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      // No internet access is needed (the load balancer is in this VPC): public subnets are fine.
      allowPublicSubnet: true,
      securityGroups: [this.probeSecurityGroup],
      environmentEncryption: props.key,
    });
    // Its subnets and group come from the network stack: a cross-stack reference the rule cannot follow.
    acknowledgeControl(probe, 'lambda_inside_vpc_check', CROSS_STACK);
    this.probe = probe;

    const hookLogs = this.logGroup('HookLogs', props);
    const hookRole = this.lambdaRole(
      'HookRole',
      'green check hook: finds the load balancer and runs the probe',
      hookLogs,
      props.key,
    );
    hookRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }),
    );
    Validations.of(hookRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeNetworkInterfaces has no resource-level permissions; it only reads.',
    });
    hookRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [probe.functionArn] }),
    );
    const scheme = props.https ? 'https' : 'http';
    const hook = new nodejs.NodejsFunction(this, 'Hook', {
      description: `${stack.stackName}: ECS lifecycle hook, green must answer on the test listener`,
      entry: GREEN_CHECK_ENTRY,
      handler: 'hookHandler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      bundling,
      role: hookRole.withoutPolicyUpdates(),
      logGroup: hookLogs,
      timeout: probeTimeout.plus(Duration.seconds(30)),
      environmentEncryption: props.key,
      environment: {
        PIPEWARDEN_LOAD_BALANCER: props.loadBalancer.loadBalancerFullName,
        PIPEWARDEN_VPC_ID: props.vpc.vpcId,
        PIPEWARDEN_PROBE_FUNCTION: probe.functionName,
        PIPEWARDEN_TEST_SCHEME: scheme,
        PIPEWARDEN_TEST_PORT: String(props.testListenerPort),
        PIPEWARDEN_PATHS: props.paths.join('\n'),
        PIPEWARDEN_ATTEMPTS: String(props.attempts),
        PIPEWARDEN_RETRY_MS: String(SMOKE_TEST_RETRY_SECONDS * 1000),
        PIPEWARDEN_TIMEOUT_MS: String(GREEN_CHECK_TIMEOUT_SECONDS * 1000),
      },
    });
    acknowledgeControl(
      hook,
      'lambda_inside_vpc_check',
      'Calls only the EC2 and Lambda APIs; in this VPC (no NAT by default) it could not. The probe, which reaches the load balancer, runs in the VPC.',
    );
    this.hook = hook;

    // Exactly what ECS needs: invoke this one function (CDK's default grant adds its versions, `:*`, too).
    this.invokeRole = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `${stack.stackName}: ECS invokes the green check lifecycle hook`,
    });
    this.invokeRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [hook.functionArn] }),
    );
    props.service.addLifecycleHook(
      new ecs.DeploymentLifecycleLambdaTarget(hook, 'GreenCheck', {
        role: this.invokeRole,
        lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
      }),
    );
  }

  private logGroup(id: string, props: GreenCheckProps): logs.LogGroup {
    const group = new logs.LogGroup(this, id, {
      retention: props.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(group, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    return group;
  }

  private lambdaRole(id: string, description: string, group: logs.LogGroup, key: kms.IKey): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${Stack.of(this).stackName} ${description}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [group.logGroupArn],
      }),
    );
    // The function's environment is encrypted with the system key.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
    return role;
  }
}
