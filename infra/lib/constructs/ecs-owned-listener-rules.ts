import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CROSS_STACK, acknowledgeControl, acknowledgeWildcardResource } from '../acknowledge.js';

/**
 * Priority of each blue/green rule on its listener (the listener's default action answers 404). Not 10, the
 * priority of the CloudFormation rules these replace: a stack created before them is updated by creating the
 * new rules first and deleting the old ones last, and two rules of a listener cannot share a priority.
 */
export const BLUE_GREEN_RULE_PRIORITY = 20;

export interface EcsOwnedRule {
  readonly listener: elbv2.IApplicationListener;
  /** [primary, alternate]: the rule starts with all traffic on the first. */
  readonly targetGroups: readonly [elbv2.IApplicationTargetGroup, elbv2.IApplicationTargetGroup];
}

export interface EcsOwnedListenerRulesProps {
  readonly rules: Record<'production' | 'test', EcsOwnedRule>;
  readonly key: kms.IKey;
  readonly logsDays: logs.RetentionDays;
}

/**
 * The blue/green listener rules, created once (weights 100/0) and then left to ECS, which rewrites their
 * weights on every deployment. They are not CloudFormation resources: a stack update can never write the
 * template's weights back over ECS's and send traffic to the target group that has no tasks. The rule is
 * created on stack creation and deleted with the stack; no update call exists (`onUpdate` is absent).
 */
export class EcsOwnedListenerRules extends Construct {
  readonly ruleArns: Record<'production' | 'test', string>;

  constructor(scope: Construct, id: string, props: EcsOwnedListenerRulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stack.stackName}: creates the blue/green listener rules once, then ECS owns them`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const entries = Object.entries(props.rules) as ['production' | 'test', EcsOwnedRule][];
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:CreateRule'],
        resources: entries.map(([, r]) => r.listener.listenerArn),
      }),
    );
    // A rule's ARN is known only once it exists: DeleteRule is limited to rules of this stack's load balancer.
    const ruleArnPattern = stack.formatArn({
      service: 'elasticloadbalancing',
      resource: 'listener-rule',
      resourceName: 'app/*',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DeleteRule'],
        resources: [ruleArnPattern],
        conditions: { StringEquals: { 'aws:ResourceTag/pipewarden:stack': stack.stackName } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      ruleArnPattern,
      "A rule's ARN ends in an id ELB generates; DeleteRule is further limited to rules tagged with this stack.",
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:AddTags'],
        resources: [ruleArnPattern],
        conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' } },
      }),
    );

    const arns: Partial<Record<'production' | 'test', string>> = {};
    let first: cr.AwsCustomResource | undefined;
    for (const [name, rule] of entries) {
      const [primary, alternate] = rule.targetGroups;
      const resource = new cr.AwsCustomResource(this, `${name}Rule`, {
        installLatestAwsSdk: false,
        role,
        logGroup,
        onCreate: {
          service: 'ElasticLoadBalancingV2',
          action: 'createRule',
          parameters: {
            ListenerArn: rule.listener.listenerArn,
            Priority: BLUE_GREEN_RULE_PRIORITY,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
            Actions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: primary.targetGroupArn, Weight: 100 },
                    { TargetGroupArn: alternate.targetGroupArn, Weight: 0 },
                  ],
                },
              },
            ],
            Tags: [{ Key: 'pipewarden:stack', Value: stack.stackName }],
          },
          physicalResourceId: cr.PhysicalResourceId.fromResponse('Rules.0.RuleArn'),
          outputPaths: ['Rules.0.RuleArn'],
        },
        onDelete: {
          service: 'ElasticLoadBalancingV2',
          action: 'deleteRule',
          parameters: { RuleArn: new cr.PhysicalResourceIdReference() },
        },
      });
      first ??= resource;
      arns[name] = resource.getResponseField('Rules.0.RuleArn');
    }
    this.ruleArns = arns as Record<'production' | 'test', string>;
    const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    acknowledgeControl(
      provider ?? first!,
      'lambda_inside_vpc_check',
      'Creates and deletes two listener rules during deployment; it serves nothing and reaches no private network.',
    );
  }
}
