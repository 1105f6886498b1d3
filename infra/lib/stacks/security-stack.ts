import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { CROSS_STACK, acknowledgeControl, acknowledgeWildcardResource } from '../acknowledge.js';

export interface SecurityStackProps extends StackProps {
  readonly enableSecurityHub: boolean;
  readonly enableInspector: boolean;
  readonly key: kms.IKey;
  readonly logsDays: logs.RetentionDays;
}

/**
 * Turns on the account-level services the seed had to enable by hand. Deployed only when a flag asks:
 * an account that already has them (or gets them from an organization) must leave both flags off.
 */
export class SecurityStack extends Stack {
  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);
    if (props.enableSecurityHub) {
      new securityhub.CfnHub(this, 'SecurityHub', {
        enableDefaultStandards: true,
        controlFindingGenerator: 'SECURITY_CONTROL',
        autoEnableControls: true,
      });
    }
    if (props.enableInspector) this.enableInspector(props);
  }

  /** CloudFormation has no resource that enables Inspector, so one API call does it; it stays on at deletion. */
  private enableInspector(props: SecurityStackProps): void {
    const logGroup = new logs.LogGroup(this, 'EnableInspectorLogs', {
      retention: props.logsDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    const role = new iam.Role(this, 'EnableInspectorRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Enables Amazon Inspector once',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    acknowledgeWildcardResource(
      role,
      logGroup.logGroupArn,
      'Lambda names a log stream per instance, in this log group only.',
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['inspector2:Enable'], resources: ['*'] }));
    acknowledgeWildcardResource(
      role,
      '*',
      'inspector2:Enable is an account-level action with no resource-level permissions.',
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          this.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: 'aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2',
          }),
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': 'inspector2.amazonaws.com' } },
      }),
    );
    const enable = new cr.AwsCustomResource(this, 'Inspector', {
      installLatestAwsSdk: false,
      role,
      logGroup,
      onCreate: {
        service: 'Inspector2',
        action: 'enable',
        parameters: { resourceTypes: ['ECR', 'LAMBDA', 'LAMBDA_CODE', 'CODE_REPOSITORY'] },
        physicalResourceId: cr.PhysicalResourceId.of('inspector2-enable'),
      },
    });
    // The provider function is a singleton at the stack root, not under `enable`.
    const provider = this.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    acknowledgeControl(
      provider ?? enable,
      'lambda_inside_vpc_check',
      'A one-time call to the Inspector API during deployment; it serves nothing and reaches no private network.',
    );
  }
}
