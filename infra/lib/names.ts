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
