import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Stage, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PipewardenConfig, RepositoryConfig } from '../../config/schema.js';
import { CROSS_STACK, acknowledgeControl, acknowledgeWildcardResource } from '../acknowledge.js';
import { APPROVAL, GATE_STAGE, SOURCE_ACTION } from '../constructs/app-pipeline.js';
import { pipelineExecutionsPrefix } from '../../../findings/store/store-layout.js';
import { BOT_ENV, PIPELINE_EVENT_SOURCE, PIPELINE_EVENT_TYPES } from '../../../pipeline/contracts.js';
import { objectsArn } from '../constructs/grants.js';
import { SYSTEM_TAG, imageRepositoryNames, pipelineNames } from '../names.js';

export interface BotStackProps extends StackProps {
  readonly config: PipewardenConfig;
  /** Directory of the bundled bot (`dist/bot`, ESM, handler `index.handler`). */
  readonly codeDirectory: string;
  readonly key: kms.IKey;
  readonly findingsBucket: s3.IBucket;
  /** The pipelines' GitHub connection: the bot reads its state to explain a failed Source action. */
  readonly connectionArn: string;
  /**
   * Where the bot deletes a gone branch's `branch-*` tags: the CI repository, to which feature branches
   * push. The bot has no right on the production repository.
   */
  readonly repository: ecr.IRepository;
  /**
   * Every repository the bot serves, with its pipelines' name prefix and CI image repository. Absent: the
   * configuration's one repository, with `config.name` and `repository`.
   */
  readonly repositories?: readonly BotRepository[];
  readonly topic: sns.ITopic;
  /**
   * Instances the bot may run at once (Lambda reserved concurrency). The Function URL is public: a flood of
   * unsigned requests is rejected in milliseconds but still costs an instance each, and without a cap it can
   * use the account's concurrency that other functions and the pipeline events need. Pipeline events wait
   * their turn (EventBridge invokes asynchronously and Lambda retries throttled events for up to 6 hours);
   * webhooks beyond the cap get 429 and can be redelivered from the App's settings.
   * Default: {@link BOT_RESERVED_CONCURRENCY}.
   */
  readonly reservedConcurrency?: number;
}

/**
 * A repository the bot serves: its pipelines are `<prefix>-main` and `<prefix>-feature` (infra/lib/names.ts),
 * its prefix the deployment's name (id "") or `<name>-<id>` (repositoryPrefix).
 */
export interface BotRepository {
  readonly config: Pick<RepositoryConfig, 'owner' | 'name' | 'mainBranch'>;
  readonly prefix: string;
}

/** Where the registry layer puts the served repositories in the function (layers are extracted to /opt). */
export const BOT_REGISTRY_PATH = '/opt/pipewarden/repositories.json';

/**
 * Room for one large publication (a 100,000-finding document takes about 3 s and 15 GitHub requests,
 * minutes when throttled) beside webhook bursts, while staying far below the default account limit of 1,000.
 * An account still on a low concurrency limit (new accounts can start at 10) must keep 10 unreserved:
 * lower this, or ask for a higher limit, there.
 */
export const BOT_RESERVED_CONCURRENCY = 10;

/**
 * Memory, from a measurement (scripts/measure-bot-memory.ts; docs/bot.md, "Memory"): publishing a
 * 100,000-finding document (43 MB of JSON) added 79–148 MB of RSS at its peak (6 runs) to a process of
 * about 127 MB with the bot, the engine and the test harness loaded; the whole measuring process, which
 * also built the document and held it in its fake S3, peaked at 485–581 MB. 512 MB was below that upper
 * figure; 1,024 MB keeps it under 60%, and Lambda's CPU share grows with memory, which the JSON parse of a
 * large document uses.
 */
export const BOT_MEMORY_MB = 1024;

/**
 * Pipeline events the bot turns into check runs and pull-request comments. Not every action event: the checks
 * follow executions and stages, and an action's change shows at its stage's next event, so each action
 * event would cost an invocation for nothing (they were half the events; docs/limits.md).
 */
export const BOT_PIPELINE_EVENT_TYPES = [PIPELINE_EVENT_TYPES.execution, PIPELINE_EVENT_TYPES.stage];
/**
 * …except a manual approval's start: its stage may start before the approval does (GetPipelineState shows
 * no token yet), and the check needs its Approve / Reject buttons while the approval waits.
 */
export const BOT_APPROVAL_EVENT = {
  detailType: [PIPELINE_EVENT_TYPES.action],
  detail: { type: { category: ['Approval'] }, state: ['STARTED'] },
};

/**
 * The GitHub App's hosting: one Lambda function reached two ways, by GitHub webhooks through a
 * Function URL (authenticated by the webhook signature) and by this system's pipeline events through
 * EventBridge (retried, then parked in a dead-letter queue that raises an alarm).
 */
export class BotStack extends Stack {
  readonly function: lambda.Function;
  readonly url: lambda.FunctionUrl;
  readonly secret: secretsmanager.Secret;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: BotStackProps) {
    super(scope, id, props);
    const { config, key } = props;
    const reservedConcurrency = props.reservedConcurrency ?? BOT_RESERVED_CONCURRENCY;
    if (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1)
      throw new Error(
        `pipewarden: bot reservedConcurrency ${reservedConcurrency}: expected a whole number of at least 1 (default ${BOT_RESERVED_CONCURRENCY})`,
      );
    const served = (props.repositories ?? [{ config: config.repository, prefix: config.name }]).map((r) => ({
      repo: `${r.config.owner}/${r.config.name}`,
      mainBranch: r.config.mainBranch,
      names: pipelineNames(r.prefix),
      ciRepositoryName: imageRepositoryNames(r.prefix, r.config.name).ci,
    }));
    // What the bot may touch, by the deployment's naming scheme: the same few patterns for 3 or 200
    // repositories, so neither its policy nor its event rule grows with the organisation.
    const own = servedScope(config.name, props.repositories ?? [{ prefix: config.name }]);
    const pipelineArn = (name: string) => this.formatArn({ service: 'codepipeline', resource: name });
    const ciRepositoryArns = [
      ...(own.shorthand ? [props.repository.repositoryArn] : []),
      ...(own.prefixed
        ? [this.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${config.name}-*-ci/*` })]
        : []),
    ];

    // appId and privateKey come from the GitHub App's settings page; the webhook secret is generated
    // here and pasted into the App's webhook settings (docs/bot.md).
    this.secret = new secretsmanager.Secret(this, 'GitHubApp', {
      secretName: `${config.name}/github-app`,
      description: 'GitHub App credentials: {"appId","privateKey","webhookSecret"}',
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ appId: 'replace-me', privateKey: 'replace-me' }),
        generateStringKey: 'webhookSecret',
        passwordLength: 40,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'GitHub issues the App private key and checks the webhook secret; both are rotated in the App settings.',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: config.retention.logsDays,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControl(logGroup, 'cloudwatch_log_group_encrypted_check', CROSS_STACK);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${config.name} bot: execution findings, these pipelines, feature-branch images`,
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
    // A run's findings are read only where that run's pipeline wrote them: its execution's folder.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources:
          served.length === 1
            ? [served[0]!.names.main, served[0]!.names.feature].map((p) =>
                objectsArn(role, props.findingsBucket, pipelineExecutionsPrefix(served[0]!.repo, p)),
              )
            : // `<owner>/<repo>/pipelines/<pipeline>/executions/`: each gate writes only under its own
              // repository (test/infra/repositories.test.ts); the bot pairs repository and pipeline itself.
              own.pipelines.map((p) =>
                objectsArn(role, props.findingsBucket, pipelineExecutionsPrefix('*/*', p)),
              ),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.findingsBucket.bucketArn] }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
    // Read only: a failed Source action is explained by the connection's state (PENDING, ERROR) on the check.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codestar-connections:GetConnection', 'codeconnections:GetConnection'],
        resources: [props.connectionArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    const listed =
      "The deployment's naming scheme (<name>-<id>-main / -feature, <name>-<id>-ci/<repository>): every listed repository's, never the infrastructure pipeline; the bot pairs repository and pipeline from its registry.";
    for (const p of own.pipelines.filter((n) => n.includes('*')))
      acknowledgeWildcardResource(role, pipelineArn(p), listed);
    for (const p of own.mainPipelines.filter((n) => n.includes('*')))
      acknowledgeWildcardResource(role, `${pipelineArn(p)}/${APPROVAL.stage}/${APPROVAL.action}`, listed);
    for (const arn of ciRepositoryArns.slice(own.shorthand ? 1 : 0))
      acknowledgeWildcardResource(role, arn, listed);
    // The name patterns alone reach another deployment whose name starts with this one's and a '-'
    // (`pipewarden-*-main` matches `pipewarden-eu-x-main`), so the pipeline and image grants also require
    // this deployment's tag on the resource. Only where the Service Authorization Reference lists
    // aws:ResourceTag for the action's resource type (CodePipeline `pipeline` and `action`, ECR `repository`):
    // elsewhere the key is absent and the statement would allow nothing.
    const ownTag = { [`aws:ResourceTag/${SYSTEM_TAG}`]: config.name };
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'codepipeline:StartPipelineExecution',
          'codepipeline:StopPipelineExecution',
          'codepipeline:GetPipelineState',
          'codepipeline:GetPipelineExecution',
          'codepipeline:ListPipelineExecutions',
          'codepipeline:ListActionExecutions',
        ],
        resources: own.pipelines.map(pipelineArn),
        conditions: { StringEquals: ownTag },
      }),
    );
    // Approve or reject exactly one action per repository: the production gate of its main pipeline.
    // IfExists: an action is not tagged itself, and CodePipeline's guide warns that nested resources (stages,
    // actions) may carry no tag key; the approval's token comes only from GetPipelineState, which the strict
    // condition above keeps to this deployment's pipelines.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:PutApprovalResult'],
        resources: own.mainPipelines.map((p) => `${pipelineArn(p)}/${APPROVAL.stage}/${APPROVAL.action}`),
        conditions: { StringEqualsIfExists: ownTag },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchDeleteImage'],
        resources: ciRepositoryArns,
        conditions: { StringEquals: ownTag },
      }),
    );
    // One repository: the single-repository variables (docs/bot.md). Several: the registry file, in a layer.
    const [only] = served;
    const single = served.length === 1 && only;
    const registry = single ? undefined : this.registryLayer(served);
    const repositoryEnvironment: Record<string, string> = single
      ? {
          [BOT_ENV.pipelines]: [only.names.main, only.names.feature].join(','),
          [BOT_ENV.featurePipeline]: only.names.feature,
          [BOT_ENV.repository]: only.repo,
          [BOT_ENV.mainBranch]: only.mainBranch,
        }
      : { [BOT_ENV.repositoriesFile]: BOT_REGISTRY_PATH };

    this.function = new lambda.Function(this, 'Function', {
      functionName: `${config.name}-bot`,
      description: 'pipewarden GitHub App: webhooks and pipeline events',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.codeDirectory),
      ...(registry ? { layers: [registry] } : {}),
      role: role.withoutPolicyUpdates(),
      memorySize: BOT_MEMORY_MB,
      reservedConcurrentExecutions: reservedConcurrency,
      // A webhook is answered within GitHub's 10 s. A pipeline event may publish a large findings set: the
      // bot's Octokit spaces one installation's writes 1 s apart (GitHub's advice), and at the config's
      // largest annotations cap (10,000) that is about 200 writes.
      timeout: Duration.minutes(5),
      logGroup,
      // The bot reads its GitHub App secret through the AWS Parameters and Secrets Lambda Extension
      // (localhost:2773, cached), so it needs no Secrets Manager client (bot/aws/read-app-credentials.ts).
      paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(
        lambda.ParamsAndSecretsVersions.V1_0_103,
        {
          cacheSize: 10,
          secretsManagerTtl: Duration.minutes(5),
        },
      ),
      environmentEncryption: key,
      environment: {
        [BOT_ENV.findingsBucket]: props.findingsBucket.bucketName,
        ...repositoryEnvironment,
        [BOT_ENV.sourceAction]: SOURCE_ACTION,
        [BOT_ENV.gateStage]: GATE_STAGE,
        ...(served.length === 1 && only ? { [BOT_ENV.ecrRepository]: props.repository.repositoryName } : {}),
        [BOT_ENV.secretArn]: this.secret.secretArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeControl(
      this.function,
      'lambda_inside_vpc_check',
      'The bot talks only to GitHub and AWS APIs over HTTPS and serves no private network; in this VPC (no NAT by default) it could not reach GitHub.',
    );

    // GitHub calls this URL; the handler rejects any request without a valid X-Hub-Signature-256.
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'WebhookUrl', { value: this.url.url, description: "The GitHub App's webhook URL" });
    new CfnOutput(this, 'GitHubAppSecretName', {
      value: `${config.name}/github-app`,
      description: 'Put appId and privateKey here; copy webhookSecret into the GitHub App',
    });
    const webhook =
      'GitHub cannot sign webhook deliveries with SigV4, so the URL is public; every request must carry a valid X-Hub-Signature-256 (HMAC with the webhook secret) or the handler rejects it.';
    acknowledgeControl(this.function, 'lambda_function_url_auth_check', webhook);
    acknowledgeControl(this.function, 'lambda_function_public_access_prohibited_check', webhook);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${config.name}-bot-dead-letters`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const isDeadLetterQueue =
      'This queue is itself the dead-letter queue of the EventBridge target and of the function.';
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: isDeadLetterQueue });
    acknowledgeControl(this.deadLetterQueue, 'sqs_dlq_check', isDeadLetterQueue);
    acknowledgeControl(this.deadLetterQueue, 'sqs_queue_encrypted_check', CROSS_STACK);

    const target = new targets.LambdaFunction(this.function, {
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
      deadLetterQueue: this.deadLetterQueue,
    });
    // EventBridge has no tag filter: the wildcards also let through the pipeline events of another
    // deployment whose name starts with this one's and a '-'. The bot acts only on the pipelines of its
    // registry (bot/settings.ts isOwnPipeline) and passes over the rest; the grants above keep it off them.
    new events.Rule(this, 'PipelineEvents', {
      ruleName: `${config.name}-pipeline-events`,
      description: 'State changes of the application pipelines, for check runs and PR comments',
      eventPattern: {
        source: [PIPELINE_EVENT_SOURCE],
        detailType: BOT_PIPELINE_EVENT_TYPES,
        detail: { pipeline: own.eventPattern },
      },
      targets: [target],
    });
    // A second rule, not an $or in the first: each pattern stays one flat match, and only manual
    // approvals' starts among the action events reach the function.
    new events.Rule(this, 'ApprovalEvents', {
      ruleName: `${config.name}-approval-events`,
      description: 'Manual approvals starting in the application pipelines, for the Approve / Reject buttons',
      eventPattern: {
        source: [PIPELINE_EVENT_SOURCE],
        detailType: BOT_APPROVAL_EVENT.detailType,
        detail: { pipeline: own.eventPattern, ...BOT_APPROVAL_EVENT.detail },
      },
      targets: [target],
    });

    // EventBridge invokes the function asynchronously: its retry policy above covers failed deliveries,
    // while a handler that throws is retried by Lambda's own asynchronous retries, then lands here too.
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }));
    this.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${config.name}-bot-dead-letters`,
      alarmDescription: 'Pipeline events the bot could not handle after every retry',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cwActions.SnsAction(props.topic));
  }

  /**
   * The registry (bot/settings.ts reads it at start-up): each served repository with its two pipelines, main
   * branch and CI image repository, written from the config at synth time into a layer, so the bot acts on a
   * repository only through that repository's own pipelines, with no 4 KB environment limit on the list.
   */
  private registryLayer(
    served: readonly {
      repo: string;
      mainBranch: string;
      names: { main: string; feature: string };
      ciRepositoryName: string;
    }[],
  ): lambda.LayerVersion {
    const registry = served.map((r) => ({
      repository: r.repo,
      main: r.names.main,
      feature: r.names.feature,
      mainBranch: r.mainBranch,
      ecr: r.ciRepositoryName,
    }));
    // In the assembly's own directory (not a shared temporary one): the asset is staged from here by content.
    const directory = join(Stage.of(this)!.outdir, `pipewarden-registry-${this.artifactId}`);
    const file = join(directory, relative('/opt', BOT_REGISTRY_PATH));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(registry, null, 2)}\n`);
    return new lambda.LayerVersion(this, 'Registry', {
      code: lambda.Code.fromAsset(directory),
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      description: `${served.length} repositories the bot serves (${BOT_REGISTRY_PATH})`,
    });
  }
}

/**
 * The pipelines a deployment's bot may act on, as patterns of its naming scheme (infra/lib/names.ts): the
 * shorthand repository's `<name>-main` / `<name>-feature`, every listed one's `<name>-*-main` /
 * `<name>-*-feature`. Never `<name>-*`: that would cover the infrastructure pipeline. A prefix outside the
 * scheme is refused rather than widened to.
 */
export function servedScope(system: string, repositories: readonly { readonly prefix: string }[]) {
  const shorthand = repositories.some((r) => r.prefix === system);
  const prefixed = repositories.some((r) => r.prefix !== system);
  for (const { prefix } of repositories) {
    const id = prefix === system ? '' : prefix.slice(system.length + 1);
    if (prefix !== system && (!prefix.startsWith(`${system}-`) || !/^[a-z][a-z0-9]*$/.test(id)))
      throw new Error(
        `pipewarden: bot repository prefix "${prefix}" is not "${system}" or "${system}-<id>": derive it with repositoryPrefix (infra/lib/names.ts)`,
      );
  }
  const exact = shorthand ? pipelineNames(system) : undefined;
  const pattern = prefixed ? pipelineNames(`${system}-*`) : undefined;
  const pipelines = [exact, pattern].flatMap((n) => (n ? [n.main, n.feature] : []));
  return {
    shorthand,
    prefixed,
    /** IAM resource names (`*` is IAM's wildcard). */
    pipelines,
    mainPipelines: [exact, pattern].flatMap((n) => (n ? [n.main] : [])),
    /** EventBridge's `detail.pipeline`: exact names, and wildcard matches for the listed repositories. */
    eventPattern: [
      ...(exact ? [exact.main, exact.feature] : []),
      ...(pattern ? [...events.Match.wildcard(pattern.main), ...events.Match.wildcard(pattern.feature)] : []),
    ],
  };
}
