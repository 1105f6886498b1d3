import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { CROSS_STACK, acknowledgeControl } from '../acknowledge.js';
import { ExplicitSubnetCidrs } from '../constructs/explicit-subnet-cidrs.js';

export interface NetworkStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly key: kms.IKey;
}

/** The VPC (one explicit CIDR per subnet), its flow logs, and the ECS cluster both environments share. */
export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  /** Where tasks run: private subnets behind NAT when configured, else public ones (the seed's cost choice). */
  readonly taskSubnets: ec2.SubnetSelection;
  readonly tasksArePublic: boolean;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { vpc: net, retention } = props.config;
    const hasPrivate = net.privateSubnetCidrs.length > 0;
    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
    ];
    if (hasPrivate)
      subnetConfiguration.push({ name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: new ExplicitSubnetCidrs(
        net.cidr,
        { public: net.publicSubnetCidrs, private: net.privateSubnetCidrs },
        net.availabilityZones,
      ),
      availabilityZones: net.availabilityZones,
      natGateways: net.natGateways,
      subnetConfiguration,
      restrictDefaultSecurityGroup: false,
    });
    // The default security group is left as AWS creates it but nothing uses it; restricting it would
    // need a custom-resource Lambda, one more function to patch for no gain here.
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: retention.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(flowLogs, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      clusterName: props.config.name,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.tasksArePublic = !hasPrivate;
    this.taskSubnets = {
      subnetType: hasPrivate ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
    };
  }
}
