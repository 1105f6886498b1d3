import { type App, type Stack, Tags } from 'aws-cdk-lib';
import type { PipewardenConfig, RepositoryConfig } from '../config/schema.js';
import type { PlatformFiles } from './constructs/platform.js';
import { repositoryConstructId, repositoryPrefix, stackNames } from './names.js';
import { BotStack } from './stacks/bot-stack.js';
import { InfraPipelineStack, type DeployedStack } from './stacks/infra-pipeline-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { NotificationsStack } from './stacks/notifications-stack.js';
import { PipelinesStack } from './stacks/pipelines-stack.js';
import { SecurityStack } from './stacks/security-stack.js';
import { ServiceStack } from './stacks/service-stack.js';
import { StorageStack } from './stacks/storage-stack.js';

export interface PipewardenAppOptions {
  /** Directory of the bundled bot (dist/bot). */
  readonly botCodeDirectory: string;
  /** Repository-relative path of the configuration, for the infrastructure pipeline's synth. */
  readonly configPath: string;
  /** The platform's buildspecs (`buildspecs/`) and CLI bundle (`dist/cli/index.js`), inlined and pinned. */
  readonly platform: PlatformFiles;
}

/** One application repository's stacks: its two environments and its main and feature pipelines. */
export interface RepositoryStacks {
  readonly repository: RepositoryConfig;
  readonly staging: ServiceStack;
  readonly production: ServiceStack;
  readonly pipelines: PipelinesStack;
}

export interface PipewardenStacks {
  readonly storage: StorageStack;
  readonly network: NetworkStack;
  readonly notifications: NotificationsStack;
  /** The first listed repository's stacks (the only ones with the single-repository shorthand). */
  readonly staging: ServiceStack;
  readonly production: ServiceStack;
  readonly pipelines: PipelinesStack;
  /** Every repository's stacks, in the order of config.repositories. */
  readonly repositories: readonly RepositoryStacks[];
  readonly bot: BotStack;
  readonly security?: SecurityStack;
  readonly infrastructure: InfraPipelineStack;
}

/** Every stack of the system, wired together. Reads nothing: the validated config comes in. */
export function addPipewardenStacks(
  app: App,
  config: PipewardenConfig,
  options: PipewardenAppOptions,
): PipewardenStacks {
  const env = { account: config.aws.account, region: config.aws.region };
  const names = stackNames(config.name);
  const stackProps = (key: keyof typeof names, description: string) => ({
    env,
    stackName: names[key],
    description: `pipewarden: ${description}`,
  });
  Tags.of(app).add('pipewarden:system', config.name);

  const storage = new StorageStack(app, 'Storage', {
    ...stackProps(
      'storage',
      'KMS key, artifact (main, CI)/findings/cache/log buckets, ECR repositories (production, CI), Snyk tokens, GitHub connection',
    ),
    config,
  });
  const network = new NetworkStack(app, 'Network', {
    ...stackProps('network', 'VPC with explicit subnet CIDRs, flow logs, ECS cluster'),
    config,
    key: storage.key,
  });
  const notifications = new NotificationsStack(app, 'Notifications', {
    ...stackProps('notifications', 'SNS topic, e-mail, Slack and Teams channels'),
    config,
    key: storage.key,
  });
  const repositories = config.repositories.map((repository) =>
    addRepositoryStacks(app, config, repository, { env, storage, network, notifications, options }),
  );
  const { staging, production, pipelines } = repositories[0]!;
  const bot = new BotStack(app, 'Bot', {
    ...stackProps('bot', 'GitHub App on Lambda, webhook URL, pipeline events'),
    config,
    codeDirectory: options.botCodeDirectory,
    key: storage.key,
    findingsBucket: storage.findingsBucket,
    repository: storage.ciRepository,
    repositories: config.repositories.map((r) => ({
      config: r,
      prefix: repositoryPrefix(config.name, r.id),
      ciRepository: storage.images.get(r.id)!.ciRepository,
    })),
    topic: notifications.topic,
    reservedConcurrency: config.bot.reservedConcurrency,
  });
  const { enableSecurityHub, enableInspector } = config.security;
  const security =
    enableSecurityHub || enableInspector
      ? new SecurityStack(app, 'Security', {
          ...stackProps('security', 'Security Hub and Amazon Inspector enablement'),
          enableSecurityHub,
          enableInspector,
          key: storage.key,
          logsDays: config.retention.logsDays,
        })
      : undefined;

  // Declared here, from the references passed above, so the infrastructure pipeline can order its
  // deploy actions before synthesis resolves the references (a test checks the two agree).
  const dependsOn: [Stack, Stack[]][] = [
    [network, [storage]],
    [notifications, [storage]],
    ...repositories.flatMap((r): [Stack, Stack[]][] => [
      [r.staging, [storage, network, notifications]],
      [r.production, [storage, network, notifications]],
      [r.pipelines, [storage, notifications, r.staging, r.production]],
    ]),
    [bot, [storage, notifications]],
    ...(security ? ([[security, [storage]]] as [Stack, Stack[]][]) : []),
  ];
  // The hub this app enables exists before the gate that publishes to it is deployed (and runs).
  if (security && enableSecurityHub && config.security.publishToSecurityHub) {
    for (const r of repositories) dependsOn.push([r.pipelines, [security]]);
  }
  for (const [stack, deps] of dependsOn) deps.forEach((d) => stack.addStackDependency(d));
  const appStacks = [
    storage,
    network,
    notifications,
    ...repositories.flatMap((r) => [r.staging, r.production, r.pipelines]),
    bot,
    ...(security ? [security] : []),
  ];

  const infrastructure = new InfraPipelineStack(app, 'InfrastructurePipeline', {
    ...stackProps('infrastructure', 'self-mutating infrastructure pipeline'),
    config,
    configPath: options.configPath,
    connectionArn: storage.connectionArn,
    key: storage.key,
    artifactBucket: storage.artifactBucket,
    cacheBucket: storage.cacheBucket,
    findingsBucket: storage.findingsBucket,
    snykToken: storage.snykToken,
    topic: notifications.topic,
    waves: deploymentWaves(appStacks),
    platform: options.platform,
  });
  infrastructure.addStackDependency(storage);
  infrastructure.addStackDependency(notifications);

  return {
    storage,
    network,
    notifications,
    staging,
    production,
    pipelines,
    repositories,
    bot,
    security,
    infrastructure,
  };
}

interface SharedStacks {
  readonly env: { account?: string; region: string };
  readonly storage: StorageStack;
  readonly network: NetworkStack;
  readonly notifications: NotificationsStack;
  readonly options: PipewardenAppOptions;
}

/**
 * One repository's environments and pipelines. They see the configuration as if the repository were the only
 * one: its name prefix, its pipelines and service settings; the shorthand's repository (id "") keeps every
 * name and logical id a single-repository deployment always had.
 */
function addRepositoryStacks(
  app: App,
  config: PipewardenConfig,
  repository: RepositoryConfig,
  shared: SharedStacks,
): RepositoryStacks {
  const { env, storage, network, notifications, options } = shared;
  const prefix = repositoryPrefix(config.name, repository.id);
  const names = stackNames(prefix);
  const own: PipewardenConfig = {
    ...config,
    name: prefix,
    repository: { owner: repository.owner, name: repository.name, mainBranch: repository.mainBranch },
    repositories: [repository],
    pipelines: { ...config.pipelines, ...repository.pipelines },
    service: repository.service,
  };
  const images = storage.images.get(repository.id)!;
  const of = repository.id ? ` of ${repository.owner}/${repository.name}` : '';
  const service = (id: 'Staging' | 'Production', environmentName: 'staging' | 'production') =>
    new ServiceStack(app, repositoryConstructId(id, repository.id), {
      env,
      stackName: names[environmentName],
      description: `pipewarden: ${environmentName} load balancer and ECS service${of}`,
      config: own,
      environmentName,
      vpc: network.vpc,
      cluster: network.cluster,
      taskSubnets: network.taskSubnets,
      tasksArePublic: network.tasksArePublic,
      key: storage.key,
      logsBucket: storage.logsBucket,
      repository: images.repository,
      topic: notifications.topic,
    });
  const staging = service('Staging', 'staging');
  const production = service('Production', 'production');
  const pipelines = new PipelinesStack(app, repositoryConstructId('Pipelines', repository.id), {
    env,
    stackName: names.pipelines,
    description: `pipewarden: main (CD) and feature (CI) pipelines, each with its own CodeBuild projects${of}`,
    config: own,
    connectionArn: storage.connectionArn,
    key: storage.key,
    artifactBucket: storage.artifactBucket,
    ciArtifactBucket: storage.ciArtifactBucket,
    findingsBucket: storage.findingsBucket,
    cacheBucket: storage.cacheBucket,
    repository: images.repository,
    ciRepository: images.ciRepository,
    snykToken: storage.snykToken,
    ciSnykToken: storage.ciSnykToken,
    topic: notifications.topic,
    platform: options.platform,
    staging: { ...target(staging), url: `http://${staging.loadBalancer.loadBalancerDnsName}` },
    production: target(production),
  });
  return { repository, staging, production, pipelines };
}

function target(stack: ServiceStack) {
  return { service: stack.service, passRoles: stack.passRoles, family: stack.family };
}

/** Groups stacks into waves: each stack lands one wave after the latest of its dependencies. */
export function deploymentWaves(stacks: readonly Stack[]): DeployedStack[][] {
  const wave = new Map<Stack, number>();
  const level = (stack: Stack, seen: Set<Stack> = new Set()): number => {
    const known = wave.get(stack);
    if (known !== undefined) return known;
    if (seen.has(stack)) throw new Error(`pipewarden: stack dependency cycle through ${stack.stackName}`);
    seen.add(stack);
    const deps = stack.dependencies.filter((d) => stacks.includes(d));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => level(d, seen)));
    wave.set(stack, value);
    return value;
  };
  const waves: DeployedStack[][] = [];
  for (const stack of stacks) {
    const i = level(stack);
    (waves[i] ??= []).push({ stackName: stack.stackName, templateFile: stack.templateFile });
  }
  return waves;
}
