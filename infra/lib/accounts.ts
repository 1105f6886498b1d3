import { Tags } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { PipewardenConfig } from '../config/schema.js';
import type { DeployedEnvironment } from './constructs/deployed-image.js';

type Accounts = Pick<PipewardenConfig, 'aws' | 'environments'>;

/**
 * The account an environment runs in when it is not the tooling account (config.environments.<name>.account),
 * else undefined: one account for everything stays the default.
 */
export function remoteAccount(config: Accounts, environment: DeployedEnvironment): string | undefined {
  const account = config.environments[environment].account;
  return account !== undefined && account !== config.aws.account ? account : undefined;
}

/** The distinct accounts staging and production run in besides the tooling account, in that order. */
export function environmentAccounts(config: Accounts): string[] {
  const accounts = (['staging', 'production'] as const).map((e) => remoteAccount(config, e));
  return [...new Set(accounts.filter((a): a is string => a !== undefined))];
}

/** IAM role names the environment accounts create and the tooling account's pipelines assume. */
export function environmentRoleNames(system: string, environment: DeployedEnvironment) {
  return {
    /** The application pipelines' ECS deploy actions and the builds that record the deployed image. */
    pipeline: `${system}-${environment}-pipeline-access`,
    /** The infrastructure pipeline's CloudFormation actions for this environment's stacks. */
    stacks: `${system}-${environment}-stack-deploy`,
  } as const;
}

/** The SSM parameter with an environment's URL, where the tooling account cannot reference its load balancer. */
export function environmentUrlParameterName(prefix: string, environment: DeployedEnvironment): string {
  return `/${prefix}/${environment}/url`;
}

/**
 * The tag the CDK app puts on the tooling roles that deploy into an environment account: the main pipeline's
 * service role and its RecordImage / SmokeTest builds, never a feature (CI) pipeline's role. The environment's
 * pipeline-access role requires it besides the role-name prefix, which the CI roles of the same stack share.
 */
export const DEPLOYER_TAG = { key: 'pipewarden:deploys', value: 'true' } as const;

export function markDeployer(role: iam.IRole): void {
  Tags.of(role).add(DEPLOYER_TAG.key, DEPLOYER_TAG.value);
}
