import { Tags } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { PipewardenConfig } from '../config/schema.js';
import type { DeployedEnvironment } from './constructs/deployed-image.js';
import { repositoryPrefix } from './names.js';

type Accounts = Pick<PipewardenConfig, 'aws' | 'environments'>;

/**
 * The account an environment runs in when it is not the tooling account (config.environments.<name>.account),
 * else undefined: one account for everything stays the default.
 */
export function remoteAccount(config: Accounts, environment: DeployedEnvironment): string | undefined {
  const account = config.environments[environment].account;
  return account !== undefined && account !== config.aws.account ? account : undefined;
}

/** The region an environment runs in (config.environments.<name>.region, else aws.region). */
export function environmentRegion(config: Accounts, environment: DeployedEnvironment): string {
  return config.environments[environment].region ?? config.aws.region;
}

/**
 * The regions besides aws.region that environments run in, each with its environments (staging first): the
 * pipelines' actions there read a replica of their artifacts in that region (ArtifactReplicaStack).
 */
export function replicaRegions(config: Accounts): Map<string, DeployedEnvironment[]> {
  const regions = new Map<string, DeployedEnvironment[]>();
  for (const environment of ['staging', 'production'] as const) {
    const region = environmentRegion(config, environment);
    if (region !== config.aws.region) regions.set(region, [...(regions.get(region) ?? []), environment]);
  }
  return regions;
}

/** The distinct accounts staging and production run in besides the tooling account, in that order. */
export function environmentAccounts(config: Accounts): string[] {
  const accounts = (['staging', 'production'] as const).map((e) => remoteAccount(config, e));
  return [...new Set(accounts.filter((a): a is string => a !== undefined))];
}

/**
 * The CDK bootstrap qualifier every account is bootstrapped with (CDK's default): the names of the bootstrap's
 * roles and version parameter contain it. Another one needs `cdk bootstrap --qualifier <q>` in every account,
 * the same value in cdk.json's context `@aws-cdk/core:bootstrapQualifier`, and this constant changed with it.
 */
export const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** The name of a role `cdk bootstrap` created in an account and region (deploy, cfn-exec, file-publishing, ...). */
export function bootstrapRoleName(kind: string, account: string, region: string): string {
  return `cdk-${BOOTSTRAP_QUALIFIER}-${kind}-role-${account}-${region}`;
}

/** The SSM parameter `cdk bootstrap` writes its template version to (without the leading slash). */
export const BOOTSTRAP_VERSION_PARAMETER = `cdk-bootstrap/${BOOTSTRAP_QUALIFIER}/version`;

/**
 * The principals of each environment account that may use the tooling account's shared resources, for the
 * aws:PrincipalArn conditions of its key and main artifact bucket (an account principal alone lets any role there):
 * `artifacts`, the roles that run pipeline actions there and read their input artifacts (each repository's deploy
 * role, the stack-deploy role, the bootstrap deploy role the access stack is deployed through); `images`, the
 * service stacks' task execution roles, which pull the images. `environments`: only theirs (a region's replica).
 */
export function environmentPrincipals(
  config: Accounts & Pick<PipewardenConfig, 'name' | 'repositories'>,
  partition: string,
  environments: readonly DeployedEnvironment[] = ['staging', 'production'],
): { artifacts: string[]; images: string[]; imagesOf: Map<string, string[]> } {
  const artifacts: string[] = [];
  const images: string[] = [];
  /** Per repository id: the execution roles that pull its production images (its own services only). */
  const imagesOf = new Map<string, string[]>(config.repositories.map((r) => [r.id, []]));
  for (const environment of environments) {
    const account = remoteAccount(config, environment);
    if (!account) continue;
    const role = (name: string) => `arn:${partition}:iam::${account}:role/${name}`;
    artifacts.push(
      role(environmentRoleNames(config.name, environment).stacks),
      role(bootstrapRoleName('deploy', account, environmentRegion(config, environment))),
    );
    for (const r of config.repositories) {
      const prefix = repositoryPrefix(config.name, r.id);
      artifacts.push(role(repositoryRoleNames(prefix, environment).deploy));
      images.push(role(serviceRoleNames(prefix, environment).execution));
      imagesOf.get(r.id)!.push(role(serviceRoleNames(prefix, environment).execution));
    }
  }
  return { artifacts, images, imagesOf };
}

/** IAM role names an environment account creates for the whole system. */
export function environmentRoleNames(system: string, environment: DeployedEnvironment) {
  return {
    /** The infrastructure pipeline's CloudFormation actions for this environment's stacks. */
    stacks: `${system}-${environment}-stack-deploy`,
  } as const;
}

/**
 * IAM role names an environment account creates for one repository (`prefix`), one per duty of its main pipeline,
 * so no repository's pipeline can act on another's service and no build can do more than its step. They end in
 * the environment, so the service stacks' role pattern (`<prefix>-<environment>-*`, passed to ECS tasks) never
 * covers them.
 */
export function repositoryRoleNames(prefix: string, environment: DeployedEnvironment) {
  return {
    /** The ECS deploy action: updates this repository's service. */
    deploy: `${prefix}-deploy-${environment}`,
    /** The RecordImage build: writes this repository's deployed-image parameter. */
    recordImage: `${prefix}-record-image-${environment}`,
    /** The SmokeTest build (staging only): reads the URL parameter of this repository's service. */
    smokeTest: `${prefix}-smoke-test-${environment}`,
  } as const;
}

/**
 * The names a service stack in an environment account gives its task and execution roles, so the roles that pass
 * them (the deploy role) and the key that lets them pull images name them exactly, not by a stack-name pattern (which,
 * for the `<name>` repository, would also cover the `<name>-<environment>-*` system stacks' roles).
 */
export function serviceRoleNames(prefix: string, environment: DeployedEnvironment) {
  return { task: `${prefix}-${environment}-task`, execution: `${prefix}-${environment}-execution` } as const;
}

/** The environments whose stage runs a smoke test after its deployment: only they get a smoke-test role. */
export const SMOKE_TESTED: readonly DeployedEnvironment[] = ['staging'];

/**
 * The ARNs of one repository's roles in an environment's account for its main pipeline (accounts.ts
 * repositoryRoleNames), or {} when the environment is in the tooling account.
 */
export function repositoryRoleArns(
  config: Accounts,
  partition: string,
  prefix: string,
  environment: DeployedEnvironment,
): { roleArn?: string; recordImageRoleArn?: string; smokeTestRoleArn?: string } {
  const account = remoteAccount(config, environment);
  if (!account) return {};
  const names = repositoryRoleNames(prefix, environment);
  const arn = (name: string) => `arn:${partition}:iam::${account}:role/${name}`;
  return {
    roleArn: arn(names.deploy),
    recordImageRoleArn: arn(names.recordImage),
    ...(SMOKE_TESTED.includes(environment) ? { smokeTestRoleArn: arn(names.smokeTest) } : {}),
  };
}

/** The SSM parameter with an environment's URL, where the tooling account cannot reference its load balancer. */
export function environmentUrlParameterName(prefix: string, environment: DeployedEnvironment): string {
  return `/${prefix}/${environment}/url`;
}

/**
 * The tag the CDK app puts on the tooling roles that act in an environment account, its value naming the duty:
 * the main pipeline's service role (`deploy`), its RecordImage builds (`record-image`) and its SmokeTest build
 * (`smoke-test`); never a feature (CI) pipeline's role. Each environment role requires its duty's value besides the
 * role-name prefix, which every role of the pipelines stack shares: a build cannot assume the deploy role.
 */
export const DEPLOYER_TAG = { key: 'pipewarden:deploys' } as const;
export type DeployerDuty = 'deploy' | 'record-image' | 'smoke-test';

export function markDeployer(role: iam.IRole, duty: DeployerDuty): void {
  Tags.of(role).add(DEPLOYER_TAG.key, duty);
}
