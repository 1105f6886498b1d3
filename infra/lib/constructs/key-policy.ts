import * as iam from 'aws-cdk-lib/aws-iam';
import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** Service principals that encrypt with the key on its account's behalf, each limited to its own use. */
export function allowKeyServices(key: kms.Key): void {
  const stack = Stack.of(key);
  const account = stack.account;
  const region = stack.region;
  // Grants only for AWS services acting for a principal (ECR, Lambda, Secrets Manager): CT.KMS.PR.3.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${region}:${account}:*`,
        },
      },
    }),
  );
  // CodeStar Notifications and CloudWatch alarms publish to the encrypted topic; EventBridge writes to the
  // encrypted dead-letter queue. CodeStar Notifications also names the rule it acts for (aws:SourceArn), as
  // the topic policy requires: only this account's notification rules may use the key (confused deputy).
  const codestarRules = {
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'codestar-notifications',
        resource: 'notificationrule',
        resourceName: '*',
      }),
    },
  };
  for (const [sid, service, more] of [
    ['CodeStarNotifications', 'codestar-notifications.amazonaws.com', codestarRules],
    ['EventBridge', 'events.amazonaws.com', {}],
    ['CloudWatchAlarms', 'cloudwatch.amazonaws.com', {}],
  ] as const) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account }, ...more },
      }),
    );
  }
}
