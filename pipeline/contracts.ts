/*
 * The names the deployed system's parts agree on: the CDK app writes them, the bot, the action, the CLI and
 * the buildspecs read them. A rename here reaches every reader; a literal copied elsewhere would not.
 */

/** The EventBridge detail types of CodePipeline state changes (source `aws.codepipeline`). */
export const PIPELINE_EVENT_SOURCE = 'aws.codepipeline';
export const PIPELINE_EVENT_TYPES = {
  execution: 'CodePipeline Pipeline Execution State Change',
  stage: 'CodePipeline Stage Execution State Change',
  action: 'CodePipeline Action Execution State Change',
} as const;
export type PipelineEventKind = keyof typeof PIPELINE_EVENT_TYPES;

/**
 * Pipeline-level variables a run started at a commit carries (the pipeline declares them, default `none`):
 * the builds read the pull request and its branches from them, because a run started at a commit still
 * reports the source action's configured branch as BranchName.
 */
export const PIPELINE_VARIABLES = {
  pullRequest: 'PULL_REQUEST',
  headBranch: 'HEAD_BRANCH',
  baseBranch: 'BASE_BRANCH',
} as const;
/** The value of a pipeline variable that does not apply (CodePipeline refuses an empty value). */
export const VARIABLE_NOT_SET = 'none';

/** The ECR tag prefix of a branch's latest CI image (`branch-<sanitised branch>`). */
export const BRANCH_IMAGE_TAG_PREFIX = 'branch-';

/** The bot's environment variables, written by the CDK app and read by bot/settings.ts (docs/bot.md). */
export const BOT_ENV = {
  pipelines: 'PIPEWARDEN_PIPELINES',
  repositories: 'PIPEWARDEN_REPOSITORIES',
  /** The same list as a JSON file (the CDK app ships it in a Lambda layer: no 4 KB environment limit). */
  repositoriesFile: 'PIPEWARDEN_REPOSITORIES_FILE',
  featurePipeline: 'PIPEWARDEN_FEATURE_PIPELINE',
  findingsBucket: 'PIPEWARDEN_FINDINGS_BUCKET',
  mainBranch: 'PIPEWARDEN_MAIN_BRANCH',
  ecrRepository: 'PIPEWARDEN_ECR_REPOSITORY',
  repository: 'PIPEWARDEN_REPOSITORY',
  sourceAction: 'PIPEWARDEN_SOURCE_ACTION',
  gateStage: 'PIPEWARDEN_GATE_STAGE',
  /** The Secrets Manager secret holding the GitHub App's credentials on Lambda. */
  secretArn: 'PIPEWARDEN_SECRET_ARN',
} as const;
