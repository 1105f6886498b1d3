import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

export interface SecurityStackProps extends StackProps {
  readonly enableSecurityHub: boolean;
  readonly enableInspector: boolean;
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
    if (props.enableInspector) {
      // CloudFormation has no resource that enables Inspector, so one API call does it; it is left on at deletion.
      const enable = new cr.AwsCustomResource(this, 'Inspector', {
        installLatestAwsSdk: false,
        onCreate: {
          service: 'Inspector2',
          action: 'enable',
          parameters: { resourceTypes: ['ECR', 'LAMBDA', 'LAMBDA_CODE', 'CODE_REPOSITORY'] },
          physicalResourceId: cr.PhysicalResourceId.of('inspector2-enable'),
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions: ['inspector2:Enable'], resources: ['*'] }),
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
        ]),
      });
      Validations.of(enable).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'inspector2:Enable is an account-level action with no resource-level permissions.',
      });
    }
  }
}
