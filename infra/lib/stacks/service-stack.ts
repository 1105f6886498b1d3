import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { CROSS_STACK, acknowledgeControl } from '../acknowledge.js';
import { remoteAccount, serviceRoleNames } from '../accounts.js';
import { deployedImageParameterName } from '../constructs/deployed-image.js';
import { EcsOwnedListenerRules } from '../constructs/ecs-owned-listener-rules.js';
import { GreenCheck } from '../constructs/green-check.js';

/** A listener rule ECS's blue/green configuration names by ARN (the rule is not a CloudFormation resource). */
class RuleByArn extends ecs.ListenerRuleConfiguration {
  constructor(readonly _listenerArn: string) {
    super();
  }
}

export type EnvironmentName = 'staging' | 'production';

const NO_CERTIFICATE =
  'No certificateArn configured for this environment, so the listener serves HTTP; set environments.<name>.certificateArn to get HTTPS and the redirect.';

export interface ServiceStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly environmentName: EnvironmentName;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly taskSubnets: ec2.SubnetSelection;
  readonly tasksArePublic: boolean;
  readonly key: kms.IKey;
  readonly logsBucket: s3.IBucket;
  /** The production images: a repository of this account, or by name and ARN one in the tooling account. */
  readonly repository: ecr.IRepository | { readonly arn: string; readonly name: string };
  /** Where rollback alarms notify. */
  readonly topic: sns.ITopic;
  /**
   * Writes the URL to an SSM parameter of this name too: for a pipeline in another account, which cannot refer
   * to this load balancer (the staging smoke test reads it through the environment's pipeline role).
   */
  readonly urlParameterName?: string;
}

/**
 * One environment of the application: an internet-facing ALB and a Fargate service behind it.
 * Staging deploys by rolling update (fast, cheap: it is where a new image is first exercised).
 * Production deploys by ECS-native blue/green: the new revision comes up behind the test listener,
 * bakes, then takes the production listener; the circuit breaker and the CloudWatch alarms roll it back.
 */
export class ServiceStack extends Stack {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The roles the pipeline's deploy action passes to ECS when it registers a new task-definition revision. */
  readonly passRoles: iam.IRole[];
  /** Task-definition family: the deploy action registers revisions of it. */
  readonly family: string;
  /** Alarms that roll a production deployment back (empty in staging). */
  readonly rollbackAlarms: cloudwatch.Alarm[] = [];
  /** Production's lifecycle hook that checks green through the test listener (undefined in staging). */
  greenCheck?: GreenCheck;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, environmentName } = props;
    const env = config.environments[environmentName];
    const app = config.service;
    const blueGreen = environmentName === 'production';
    const prefix = `${config.name}-${environmentName}`;

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `${prefix} load balancer`,
      allowAllOutbound: false,
    });
    const listenerPort = env.certificateArn ? 443 : 80;
    for (const cidr of env.allowedCidrs) {
      albSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(listenerPort), 'application traffic');
      if (env.certificateArn) {
        albSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(80), 'redirected to HTTPS');
      }
    }
    if (env.allowedCidrs.includes('0.0.0.0/0')) {
      Validations.of(albSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'The public entry point of a web application: environments.*.allowedCidrs narrows it when wanted.',
      });
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      // Turn it off before deleting the stack: an environment's entry point is not removed by accident.
      deletionProtection: true,
    });
    this.loadBalancer.logAccessLogs(props.logsBucket, `alb/${environmentName}`);
    acknowledgeControl(this.loadBalancer, 'elbv2_logging_enabled_check', CROSS_STACK);

    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: `${prefix} tasks: only the load balancer reaches them`,
      allowAllOutbound: true,
    });
    serviceSecurityGroup.addIngressRule(
      albSecurityGroup,
      ec2.Port.tcp(app.containerPort),
      'from the load balancer',
    );
    albSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(app.containerPort), 'to the tasks');

    const targetGroup = (name: string) =>
      new elbv2.ApplicationTargetGroup(this, name, {
        vpc: props.vpc,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: app.containerPort,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: {
          path: app.healthCheckPath,
          healthyHttpCodes: '200-299',
          interval: Duration.seconds(15),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 3,
        },
      });
    const blue = targetGroup('Blue');
    const green = blueGreen ? targetGroup('Green') : undefined;
    const listener = env.certificateArn
      ? this.loadBalancer.addListener('Https', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(env.certificateArn)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          open: false,
          defaultAction: elbv2.ListenerAction.fixedResponse(404),
        })
      : this.loadBalancer.addListener('Http', {
          port: 80,
          protocol: elbv2.ApplicationProtocol.HTTP,
          open: false,
          defaultAction: elbv2.ListenerAction.fixedResponse(404),
        });
    if (env.certificateArn) {
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
    } else {
      acknowledgeControl(listener, 'alb_http_to_https_redirection_check', NO_CERTIFICATE);
    }
    // ECS blue/green moves traffic by rewriting listener *rules*, so traffic goes through a rule, not the default
    // action. In production ECS owns the rules (created once below, never updated by CloudFormation).
    if (!green) {
      new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
        listener,
        priority: 10,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
        action: elbv2.ListenerAction.forward([blue]),
      });
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: config.retention.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: prefix,
      cpu: app.cpu,
      memoryLimitMiB: app.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // Hardened as the Control Tower ECS controls ask: non-root, read-only root filesystem (only /tmp is
    // writable), a hard memory limit. The deploy action keeps all of it and swaps only the image.
    taskDefinition.addVolume({ name: 'tmp' });
    const container = taskDefinition.addContainer('App', {
      containerName: app.containerName,
      // The image this environment runs now, read when CloudFormation deploys the stack (never a literal):
      // the application pipeline writes the parameter after each deployment, so an infrastructure change
      // registers a revision with the running image and can never roll the service back to service.initialImage
      // (which is only the parameter's first value, for the first deployment).
      image: ecs.ContainerImage.fromRegistry(
        ssm.StringParameter.valueForStringParameter(
          this,
          deployedImageParameterName(config.name, environmentName),
        ),
      ),
      portMappings: [{ containerPort: app.containerPort, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: environmentName }),
      essential: true,
      user: app.user,
      readonlyRootFilesystem: true,
      memoryLimitMiB: app.memoryMiB,
    });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    // The images the pipeline deploys come from this system's repository (KMS-encrypted).
    const executionRole = taskDefinition.obtainExecutionRole();
    this.passRoles = [executionRole, taskDefinition.taskRole];
    // In an environment account, named: the deploy role passes them and the tooling key lets them pull by name.
    if (remoteAccount(config, environmentName)) {
      const names = serviceRoleNames(config.name, environmentName);
      (taskDefinition.taskRole.node.defaultChild as iam.CfnRole).roleName = names.task;
      (executionRole.node.defaultChild as iam.CfnRole).roleName = names.execution;
    }
    this.family = prefix;
    const repository =
      'arn' in props.repository
        ? ecr.Repository.fromRepositoryAttributes(this, 'Images', {
            repositoryArn: props.repository.arn,
            repositoryName: props.repository.name,
          })
        : props.repository;
    repository.grantPull(executionRole);
    props.key.grantDecrypt(executionRole);
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken has no resource-level permissions; every other ECR action is on this repository.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      serviceName: prefix,
      taskDefinition,
      desiredCount: env.desiredCount,
      vpcSubnets: props.taskSubnets,
      assignPublicIp: props.tasksArePublic,
      securityGroups: [serviceSecurityGroup],
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      circuitBreaker: { enable: true, rollback: true },
      deploymentStrategy: blueGreen ? ecs.DeploymentStrategy.BLUE_GREEN : ecs.DeploymentStrategy.ROLLING,
      bakeTime: blueGreen ? Duration.minutes(config.environments.production.bakeTimeMinutes) : undefined,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    if (props.tasksArePublic) {
      acknowledgeControl(
        this.service,
        'ecs_service_assign_public_ip_disabled_check',
        "Tasks run in public subnets to avoid a NAT gateway (the seed's cost choice); only the load balancer may reach them. Set vpc.privateSubnetCidrs and natGateways to remove the public IPs.",
      );
    }

    const scheme = env.certificateArn ? 'https' : 'http';
    new CfnOutput(this, 'Url', { value: `${scheme}://${this.loadBalancer.loadBalancerDnsName}` });
    if (props.urlParameterName) {
      new ssm.StringParameter(this, 'UrlParameter', {
        parameterName: props.urlParameterName,
        stringValue: `${scheme}://${this.loadBalancer.loadBalancerDnsName}`,
        description: `${prefix}: the URL the tooling account's smoke test checks`,
      });
    }
    if (!green) {
      this.service.attachToApplicationTargetGroup(blue);
      return;
    }

    const prod = config.environments.production;
    const testSecurityRule = (cidr: string) =>
      albSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(prod.testListenerPort),
        'test listener',
      );
    prod.testListenerCidrs.forEach(testSecurityRule);
    const testListener = this.loadBalancer.addListener('Test', {
      port: prod.testListenerPort,
      protocol: env.certificateArn ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      certificates: env.certificateArn ? [elbv2.ListenerCertificate.fromArn(env.certificateArn)] : undefined,
      sslPolicy: env.certificateArn ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404),
    });
    if (!env.certificateArn) {
      acknowledgeControl(testListener, 'alb_http_to_https_redirection_check', NO_CERTIFICATE);
    }
    new CfnOutput(this, 'TestUrl', {
      value: `${scheme}://${this.loadBalancer.loadBalancerDnsName}:${prod.testListenerPort}`,
      description:
        'The new revision during a blue/green deployment (open to environments.production.testListenerCidrs)',
    });
    const rules = new EcsOwnedListenerRules(this, 'Rules', {
      logsDays: config.retention.logsDays,
      key: props.key,
      rules: {
        production: { listener, targetGroups: [blue, green] },
        test: { listener: testListener, targetGroups: [blue, green] },
      },
    });
    const productionRule = rules.ruleArns.production;
    const testRule = rules.ruleArns.test;

    const target = this.service.loadBalancerTarget({
      containerName: app.containerName,
      containerPort: app.containerPort,
      protocol: ecs.Protocol.TCP,
      alternateTarget: new ecs.AlternateTarget('Green', {
        alternateTargetGroup: green,
        productionListener: new RuleByArn(productionRule),
        testListener: new RuleByArn(testRule),
        role: this.trafficShiftRole(
          prefix,
          [blue, green],
          [listener, testListener],
          [productionRule, testRule],
        ),
      }),
    });
    target.attachToApplicationTargetGroup(blue);
    this.service.node.addDependency(rules);

    // Green answers through the test listener before production traffic moves, or ECS rolls back.
    this.greenCheck = new GreenCheck(this, 'GreenCheck', {
      service: this.service,
      vpc: props.vpc,
      subnets: props.taskSubnets,
      loadBalancer: this.loadBalancer,
      loadBalancerSecurityGroup: albSecurityGroup,
      testListenerPort: prod.testListenerPort,
      https: env.certificateArn !== undefined,
      paths: [app.healthCheckPath, ...prod.smokeTest.paths],
      attempts: prod.smokeTest.attempts,
      key: props.key,
      logsDays: config.retention.logsDays,
    });

    // Roll back when this service's targets serve errors, fail health checks or slow down. Each alarm watches
    // the service's own two target groups (whichever is live), never the whole load balancer.
    const alarms = prod.alarms;
    const perTargetGroup = (
      name: string,
      metric: (tg: elbv2.ApplicationTargetGroup) => cloudwatch.Metric,
      combine: 'SUM' | 'MAX',
    ) =>
      new cloudwatch.MathExpression({
        expression: combine === 'SUM' ? 'blue + green' : 'MAX([blue, green])',
        usingMetrics: { blue: metric(blue), green: metric(green) },
        period: Duration.minutes(1),
        label: `${name} (blue and green target groups)`,
      });
    const alarm = (
      id: string,
      suffix: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
    ) =>
      new cloudwatch.Alarm(this, id, {
        alarmName: `${prefix}-${suffix}`,
        alarmDescription: `${description}: rolls a blue/green deployment back`,
        metric,
        threshold,
        evaluationPeriods: alarms.evaluationMinutes,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    // Built from the names: CDK's target-group metrics need a CloudFormation rule, and ECS owns these rules.
    const targetGroupMetric =
      (metricName: string, statistic: string) =>
      (tg: elbv2.ApplicationTargetGroup): cloudwatch.Metric =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName,
          statistic,
          period: Duration.minutes(1),
          dimensionsMap: {
            TargetGroup: tg.targetGroupFullName,
            LoadBalancer: this.loadBalancer.loadBalancerFullName,
          },
        });
    const alarmSuffixes = ['target-5xx', 'unhealthy-targets'];
    this.rollbackAlarms.push(
      alarm(
        'Target5xx',
        'target-5xx',
        "5xx answers from the service's targets",
        perTargetGroup('Target 5xx', targetGroupMetric('HTTPCode_Target_5XX_Count', 'Sum'), 'SUM'),
        alarms.target5xxPerMinute,
      ),
      alarm(
        'UnhealthyTargets',
        'unhealthy-targets',
        "The service's targets failing the load balancer's health check",
        perTargetGroup('Unhealthy targets', targetGroupMetric('UnHealthyHostCount', 'Maximum'), 'MAX'),
        alarms.unhealthyTargets,
      ),
    );
    if (alarms.p99LatencySeconds > 0) {
      alarmSuffixes.push('p99-latency');
      this.rollbackAlarms.push(
        alarm(
          'P99Latency',
          'p99-latency',
          "The service's targets answering slowly (p99)",
          perTargetGroup('Target p99 response time', targetGroupMetric('TargetResponseTime', 'p99'), 'MAX'),
          alarms.p99LatencySeconds,
        ),
      );
    }
    for (const a of this.rollbackAlarms) a.addAlarmAction(new cwActions.SnsAction(props.topic));
    // By literal name, with an explicit dependency: the alarms watch the target groups, never the service,
    // so there is no cycle (the construct warns when it cannot tell).
    this.service.enableDeploymentAlarms(
      alarmSuffixes.map((suffix) => `${prefix}-${suffix}`),
      { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
    );
    this.service.node.addDependency(...this.rollbackAlarms);
  }

  /** What ECS needs to move traffic between the blue and green target groups, and nothing beyond these resources. */
  private trafficShiftRole(
    prefix: string,
    targetGroups: elbv2.ApplicationTargetGroup[],
    listeners: elbv2.ApplicationListener[],
    ruleArns: string[],
  ): iam.Role {
    const role = new iam.Role(this, 'TrafficShiftRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `${prefix}: ECS blue/green moves traffic between the target groups`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        resources: targetGroups.map((t) => t.targetGroupArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:ModifyListener'],
        resources: listeners.map((l) => l.listenerArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:ModifyRule'],
        resources: ruleArns,
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The four ELB Describe actions have no resource-level permissions; every write is on named resources.',
    });
    return role;
  }
}
