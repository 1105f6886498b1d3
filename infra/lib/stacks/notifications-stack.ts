import { Stack, type StackProps } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';

/**
 * The topic CodeStar Notifications rules publish to. sns.Topic grants `codestar-notifications` sns:Publish
 * with no condition, so any account's notification rule could publish to it (confused deputy); this grants it
 * once, to this account's notification rules only (aws:SourceAccount and aws:SourceArn).
 */
class NotificationTopic extends sns.Topic {
  private notificationGrant = false;

  override bindAsNotificationRuleTarget(_scope: Construct): notifications.NotificationRuleTargetConfig {
    if (!this.notificationGrant) {
      const stack = Stack.of(this);
      this.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CodeStarNotifications',
          principals: [new iam.ServicePrincipal('codestar-notifications.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'codestar-notifications',
                resource: 'notificationrule',
                resourceName: '*',
              }),
            },
          },
        }),
      );
      this.notificationGrant = true;
    }
    return { targetType: 'SNS', targetAddress: this.topicArn };
  }
}

export interface NotificationsStackProps extends StackProps {
  readonly config: PipewardenConfig;
  readonly key: kms.IKey;
}

/**
 * One encrypted topic that every pipeline notification and approval request goes to; e-mail subscribers
 * and, when configured, Slack and Microsoft Teams channels through AWS Chatbot all read from it.
 */
export class NotificationsStack extends Stack {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.topic = new NotificationTopic(this, 'Topic', {
      topicName: `${config.name}-notifications`,
      displayName: `${config.name} pipelines`,
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const { slack, teams } = config.notifications;
    if (slack.length === 0 && teams.length === 0) return;
    // Chatbot only relays notifications here: its role has no permissions and the guardrail caps any
    // command a channel member might run at reading pipelines.
    const role = new iam.Role(this, 'ChatbotRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: `${config.name}: AWS Chatbot channels (notifications only)`,
    });
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName('AWSCodePipeline_ReadOnlyAccess');
    for (const channel of slack) {
      new chatbot.SlackChannelConfiguration(this, `Slack-${channel.name}`, {
        slackChannelConfigurationName: `${config.name}-${channel.name}`,
        slackWorkspaceId: channel.workspaceId,
        slackChannelId: channel.channelId,
        notificationTopics: [this.topic],
        role,
        guardrailPolicies: [guardrail],
      });
    }
    for (const channel of teams) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${channel.name}`, {
        configurationName: `${config.name}-${channel.name}`,
        teamId: channel.teamId,
        teamsTenantId: channel.tenantId,
        teamsChannelId: channel.channelId,
        iamRoleArn: role.roleArn,
        snsTopicArns: [this.topic.topicArn],
        guardrailPolicies: [guardrail.managedPolicyArn],
      });
    }
  }
}
