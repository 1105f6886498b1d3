/**
 * The tag every resource of a deployment carries, valued with its `name` (infra/lib/pipewarden-app.ts). Names
 * alone do not separate deployments: `name` may contain '-', so `pipewarden-*-main` also matches deployment
 * `pipewarden-eu`'s pipelines; the bot's grants on pipelines and images also require this tag's value.
 */
export const SYSTEM_TAG = 'pipewarden:system';

/**
 * Names other stacks derive instead of importing: the bot refers to the pipelines by name, so it does not
 * depend on the pipelines stack and either can be deployed first.
 */
export function pipelineNames(prefix: string) {
  return {
    main: `${prefix}-main`,
    feature: `${prefix}-feature`,
    infrastructure: `${prefix}-infrastructure`,
  } as const;
}

/** CloudFormation stack names, in the order a first deployment creates them. */
export function stackNames(prefix: string) {
  return {
    storage: `${prefix}-storage`,
    network: `${prefix}-network`,
    notifications: `${prefix}-notifications`,
    staging: `${prefix}-staging`,
    production: `${prefix}-production`,
    pipelines: `${prefix}-pipelines`,
    bot: `${prefix}-bot`,
    security: `${prefix}-security`,
    infrastructure: `${prefix}-infrastructure-pipeline`,
  } as const;
}

/**
 * Prefix of one application repository's names: the system's own for the single-repository shorthand (id ""),
 * else `<name>-<id>`. Ids have no hyphen and avoid the words after the prefix (infra/config/schema.ts), so no
 * two repositories' names, nor a repository's and the system's, can be the same.
 */
export function repositoryPrefix(system: string, id: string): string {
  return id ? `${system}-${id}` : system;
}

/** A repository's construct id from a base: the base itself for id "" (logical ids stay as they were). */
export function repositoryConstructId(base: string, id: string): string {
  return id ? `${base}-${id}` : base;
}

/** A repository's production and CI image repositories (ECR names are lower case). */
export function imageRepositoryNames(prefix: string, repositoryName: string) {
  const name = repositoryName.toLowerCase();
  return { production: `${prefix}/${name}`, ci: `${prefix}-ci/${name}` } as const;
}
