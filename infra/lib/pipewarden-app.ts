import { type App, Aws, type Stack, Tags } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  bootstrapRoleName,
  environmentAccounts,
  environmentRegion,
  environmentRoleNames,
  environmentUrlParameterName,
  remoteAccount,
  replicaRegions,
  repositoryRoleArns,
} from './accounts.js';
import type { PipewardenConfig, RepositoryConfig } from '../config/schema.js';
import type { ArtifactReplica } from './constructs/pipeline-roles.js';
import type { PlatformFiles } from './constructs/platform.js';
import {
  SYSTEM_TAG,
  imageRepositoryNames,
  repositoryConstructId,
  repositoryPrefix,
  stackNames,
} from './names.js';
import { ArtifactReplicaStack, artifactReplicaNames } from './stacks/artifact-replica-stack.js';
import { EnvironmentAccessStack } from './stacks/environment-access-stack.js';
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
  /** The tooling account's VPC and cluster; absent when staging and production both have their own accounts. */
  readonly network?: NetworkStack;
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
  // Also what separates deployments in one account: the bot's grants require it (SYSTEM_TAG).
  Tags.of(app).add(SYSTEM_TAG, config.name);

  const storage = new StorageStack(app, 'Storage', {
    ...stackProps(
      'storage',
      'KMS key, artifact (main, CI)/findings/cache/log buckets, ECR repositories (production, CI), Snyk tokens, GitHub connection',
    ),
    config,
    environmentAccounts: environmentAccounts(config),
  });
  const notifications = new NotificationsStack(app, 'Notifications', {
    ...stackProps('notifications', 'SNS topic, e-mail, Slack and Teams channels'),
    config,
    key: storage.key,
  });
  // An environment in another region: the pipelines' actions there read their artifacts from a copy there.
  const replicas = new Map(
    [...replicaRegions(config)].map(([region, environments]) => [
      region,
      new ArtifactReplicaStack(app, `Artifacts-${region}`, {
        env: { account: config.aws.account, region },
        stackName: artifactReplicaNames(config, region).stack,
        description: `pipewarden: pipeline artifacts replicated to ${region} for the ${environments.join(' and ')} actions there`,
        config,
        environments,
      }),
    ]),
  );
  const replicaList = [...replicas].map(([region, stack]): ArtifactReplica => ({
    region,
    bucket: stack.bucket,
    aliasName: stack.alias.aliasName,
  }));
  const remote = {
    staging: addEnvironmentAccount(app, config, 'staging'),
    production: addEnvironmentAccount(app, config, 'production'),
  };
  // The tooling account's VPC and cluster serve only environments that run there: none when both have
  // their own accounts (the pipelines' builds and the bot run outside any VPC).
  const network =
    remote.staging && remote.production
      ? undefined
      : new NetworkStack(app, 'Network', {
          ...stackProps('network', 'VPC with explicit subnet CIDRs, flow logs, ECS cluster'),
          config,
          key: storage.key,
        });
  const local = (): EnvironmentPlace => ({
    env,
    network: network!,
    key: storage.key,
    logsBucket: storage.logsBucket,
    topic: notifications.topic,
    base: [storage, network!, notifications],
  });
  const places = {
    staging: remote.staging ?? local(),
    production: remote.production ?? local(),
  };
  const repositories = config.repositories.map((repository) =>
    addRepositoryStacks(app, config, repository, {
      storage,
      notifications,
      options,
      places,
      replicas: replicaList,
    }),
  );
  const { staging, production, pipelines } = repositories[0]!;
  const bot = new BotStack(app, 'Bot', {
    ...stackProps('bot', 'GitHub App on Lambda, webhook URL, pipeline events'),
    config,
    codeDirectory: options.botCodeDirectory,
    key: storage.key,
    findingsBucket: storage.findingsBucket,
    connectionArn: storage.connectionArn,
    repository: storage.ciRepository,
    repositories: config.repositories.map((r) => ({
      config: r,
      prefix: repositoryPrefix(config.name, r.id),
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
    ...(network ? ([[network, [storage]]] as [Stack, Stack[]][]) : []),
    [notifications, [storage]],
    ...environmentBases(places),
    ...repositories.flatMap((r): [Stack, Stack[]][] => [
      [r.staging, places.staging.base],
      [r.production, places.production.base],
      [r.pipelines, [storage, notifications, r.staging, r.production, ...replicas.values()]],
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
    ...replicas.values(),
    storage,
    ...(network ? [network] : []),
    notifications,
    ...[places.staging, places.production].flatMap((p) => (p.access ? p.base : [])),
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
    waves: deploymentWaves(appStacks, (stack) => ({
      remote: remoteDeployment(config, stack, places),
      region: stack.region === config.aws.region ? undefined : stack.region,
    })),
    platform: options.platform,
    replicas: replicaList,
  });
  infrastructure.addStackDependency(storage);
  infrastructure.addStackDependency(notifications);
  for (const replica of replicas.values()) infrastructure.addStackDependency(replica);

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

/** Where an environment's services run: the tooling account's shared stacks, or its own account's. */
interface EnvironmentPlace {
  readonly env: { account?: string; region: string };
  readonly network: NetworkStack;
  readonly key: kms.IKey;
  readonly logsBucket: s3.IBucket;
  readonly topic: sns.ITopic;
  /** The stacks its services depend on. */
  readonly base: Stack[];
  /** In another account: its access stack (the roles the tooling pipelines assume there). */
  readonly access?: EnvironmentAccessStack;
}

interface SharedStacks {
  readonly storage: StorageStack;
  readonly notifications: NotificationsStack;
  readonly options: PipewardenAppOptions;
  readonly places: Record<'staging' | 'production', EnvironmentPlace>;
  readonly replicas: readonly ArtifactReplica[];
}

/**
 * An environment's own account (environments.<name>.account): its access stack (key, log bucket, deployed-image
 * parameters, the roles the tooling pipelines assume), its network and its alarm topic. Undefined when the
 * environment shares the tooling account.
 */
function addEnvironmentAccount(
  app: App,
  config: PipewardenConfig,
  environmentName: 'staging' | 'production',
): EnvironmentPlace | undefined {
  const account = remoteAccount(config, environmentName);
  if (!account) return undefined;
  const region = environmentRegion(config, environmentName);
  const env = { account, region };
  const system = `${config.name}-${environmentName}`;
  const names = stackNames(system);
  const id = environmentName === 'staging' ? 'Staging' : 'Production';
  const access = new EnvironmentAccessStack(app, `${id}Access`, {
    env,
    stackName: `${system}-access`,
    description: `pipewarden: ${environmentName} account's key, log bucket, deployed-image parameters and the roles the tooling account assumes`,
    config,
    environmentName,
    toolingAccount: config.aws.account!,
  });
  // The shared network and topic stacks, named for the environment (cluster `<name>-<environment>`).
  const { availabilityZones } = config.environments[environmentName];
  const own: PipewardenConfig = {
    ...config,
    name: system,
    notifications: { ...config.notifications, slack: [], teams: [] },
    // In another region, its own zones (the schema requires them there); the subnet CIDRs stay vpc's.
    ...(availabilityZones ? { vpc: { ...config.vpc, availabilityZones } } : {}),
  };
  const network = new NetworkStack(app, `${id}Network`, {
    env,
    stackName: names.network,
    description: `pipewarden: ${environmentName} VPC with explicit subnet CIDRs, flow logs, ECS cluster`,
    config: own,
    key: access.key,
  });
  const notifications = new NotificationsStack(app, `${id}Notifications`, {
    env,
    stackName: names.notifications,
    description: `pipewarden: ${environmentName} alarm topic and e-mail`,
    config: own,
    key: access.key,
  });
  return {
    env,
    network,
    key: access.key,
    logsBucket: access.logsBucket,
    topic: notifications.topic,
    base: [access, network, notifications],
    access,
  };
}

function environmentBases(places: SharedStacks['places']): [Stack, Stack[]][] {
  // In an environment account, its network and notifications stacks come after its access stack.
  return [places.staging, places.production].flatMap(({ access, base }): [Stack, Stack[]][] =>
    access ? base.filter((s) => s !== access).map((s) => [s, [access]]) : [],
  );
}

/** How the infrastructure pipeline deploys a stack of an environment account (undefined: this account's). */
function remoteDeployment(
  config: PipewardenConfig,
  stack: Stack,
  places: SharedStacks['places'],
): DeployedStack['remote'] {
  for (const environmentName of ['staging', 'production'] as const) {
    const account = remoteAccount(config, environmentName);
    if (!account || stack.account !== account) continue;
    const place = places[environmentName];
    // The access stack creates the stack-deploy role, so it goes through the bootstrap's deploy role.
    const roleName =
      stack === place.access
        ? bootstrapRoleName('deploy', account, environmentRegion(config, environmentName))
        : environmentRoleNames(config.name, environmentName).stacks;
    return { account, roleArn: `arn:${stack.partition}:iam::${account}:role/${roleName}` };
  }
  return undefined;
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
  const { storage, notifications, options, places, replicas } = shared;
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
  // A listed repository's images by name, not by the storage stack's tokens: each token read in another stack is
  // an output of the storage stack, 4 a repository, and CloudFormation allows 200 a stack (46 repositories). The
  // shorthand's (id "") keep the references a single-repository deployment always had.
  const images = repository.id
    ? imageReferences(storage, config, prefix, repository)
    : storage.images.get(repository.id)!;
  const of = repository.id ? ` of ${repository.owner}/${repository.name}` : '';
  const service = (id: 'Staging' | 'Production', environmentName: 'staging' | 'production') => {
    const place = places[environmentName];
    const { network } = place;
    // Another account pulls the images by name from the tooling account's registry (its policy names it).
    const repositoryName = imageRepositoryNames(prefix, repository.name).production;
    return new ServiceStack(app, repositoryConstructId(id, repository.id), {
      env: place.env,
      stackName: names[environmentName],
      description: `pipewarden: ${environmentName} load balancer and ECS service${of}`,
      config: own,
      environmentName,
      vpc: network.vpc,
      cluster: network.cluster,
      taskSubnets: network.taskSubnets,
      tasksArePublic: network.tasksArePublic,
      key: place.key,
      logsBucket: place.logsBucket,
      repository: place.access
        ? {
            name: repositoryName,
            arn: `arn:${Aws.PARTITION}:ecr:${config.aws.region}:${config.aws.account}:repository/${repositoryName}`,
          }
        : images.repository,
      topic: place.topic,
      urlParameterName:
        place.access && environmentName === 'staging'
          ? environmentUrlParameterName(prefix, environmentName)
          : undefined,
    });
  };
  const staging = service('Staging', 'staging');
  const production = service('Production', 'production');
  // In another account: this repository's roles there (deploy, record the image, read the URL).
  const roles = (environmentName: 'staging' | 'production') => {
    const region = environmentRegion(config, environmentName);
    return {
      ...repositoryRoleArns(config, Aws.PARTITION, prefix, environmentName),
      ...(region === config.aws.region ? {} : { region }),
    };
  };
  const pipelines = new PipelinesStack(app, repositoryConstructId('Pipelines', repository.id), {
    env: { account: config.aws.account, region: config.aws.region },
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
    ...(replicas.length > 0 ? { replicas } : {}),
    staging: places.staging.access
      ? {
          ...target(staging),
          ...roles('staging'),
          urlParameterName: environmentUrlParameterName(prefix, 'staging'),
        }
      : { ...target(staging), url: `http://${staging.loadBalancer.loadBalancerDnsName}` },
    production: { ...target(production), ...roles('production') },
  });
  return { repository, staging, production, pipelines };
}

/** A repository's production and CI image repositories, referred to by their (literal) names and ARNs. */
function imageReferences(
  storage: StorageStack,
  config: PipewardenConfig,
  prefix: string,
  repository: RepositoryConfig,
): { repository: ecr.IRepository; ciRepository: ecr.IRepository } {
  const names = imageRepositoryNames(prefix, repository.name);
  const byName = (id: string, repositoryName: string) =>
    ecr.Repository.fromRepositoryAttributes(storage, repositoryConstructId(id, repository.id), {
      repositoryName,
      repositoryArn: `arn:${Aws.PARTITION}:ecr:${config.aws.region}:${config.aws.account ?? Aws.ACCOUNT_ID}:repository/${repositoryName}`,
    });
  return {
    repository: byName('RepositoryName', names.production),
    ciRepository: byName('CiRepositoryName', names.ci),
  };
}

function target(stack: ServiceStack) {
  return { service: stack.service, passRoles: stack.passRoles, family: stack.family };
}

/** Groups stacks into waves: each stack lands one wave after the latest of its dependencies. */
export function deploymentWaves(
  stacks: readonly Stack[],
  place: (stack: Stack) => Pick<DeployedStack, 'remote' | 'region'> = () => ({}),
): DeployedStack[][] {
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
    const { remote, region } = place(stack);
    (waves[i] ??= []).push({
      stackName: stack.stackName,
      templateFile: stack.templateFile,
      ...(remote ? { remote } : {}),
      ...(region ? { region } : {}),
    });
  }
  return waves;
}
