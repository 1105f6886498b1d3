import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { errorMessage } from '../findings/errors.js';
import { describeIssues } from '../findings/describe-zod-issues.js';
import { BOT_ENV } from '../pipeline/contracts.js';

/**
 * The bot's AWS-side settings, from documented environment variables (docs/bot.md). None is required to
 * start: the GitHub App settings (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET) are Probot's own. A feature whose
 * setting is missing or invalid says so, on the check it would have written, instead of crashing.
 */
export interface BotSettings {
  region?: string;
  /**
   * Set for a repository missing from the served list, and for every repository when the list was given but
   * could not be read: the bot serves it nothing. Explicit, so the refusal never rests on `repository`
   * holding a name no repository has.
   */
  unlisted?: true;
  /** S3 bucket of the findings store (`<owner>/<repo>/pipelines/<pipeline>/executions/<id>/findings.json`). */
  findingsBucket?: string;
  /** This system's pipelines: the only ones whose events are handled and that the bot starts or stops. */
  pipelines: string[];
  /**
   * The pipeline started for pull requests when the repository config names none. Every other pipeline
   * is treated as one that deploys: the bot starts it only at a commit on the main branch.
   */
  featurePipeline?: string;
  /** The branch the main pipeline builds; the repository's default branch (from the webhook) when unset. */
  mainBranch?: string;
  /** The ECR repository holding the branch-tagged images. */
  ecrRepository?: string;
  /** `owner/name` of the repository this system builds; AWS-side actions are limited to it when set. */
  repository?: string;
  /** The source action whose revision a started execution overrides (`sourceRevisions`). */
  sourceAction: string;
  /** The stage whose completion means findings.json is in the store. */
  gateStage: string;
  /**
   * Every repository one deployment serves, each with its own pipelines: the registry file the CDK app writes
   * from the config (`PIPEWARDEN_REPOSITORIES_FILE`), or `PIPEWARDEN_REPOSITORIES` inline. Empty: the
   * single-repository variables above apply.
   */
  repositories?: RepositorySettings[];
  /** Invalid values, each a sentence naming the variable; the setting is then treated as missing. */
  problems: string[];
}

/** One served repository: the only pipelines the bot starts, stops or follows for it. */
export interface RepositorySettings {
  /** `owner/name`. */
  repository: string;
  /** Its main pipeline (deploys; started only at a commit on mainBranch). */
  main: string;
  /** Its feature pipeline (pull requests and branches). */
  feature: string;
  mainBranch?: string;
  /** Its CI image repository, where a gone branch's images are deleted. */
  ecr?: string;
}

/** CodePipeline's pattern for pipeline, stage and action names. */
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
// S3 bucket names (the strict DNS-compatible rules) and ECR repository names.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// A branch name git accepts, conservatively: no "..", no leading or trailing "/" or ".".
const BRANCH = /^(?![./])(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,255}(?<![./])$/;

const repositoriesSchema = z
  .array(
    z.strictObject({
      repository: z.string().regex(REPOSITORY, 'expected owner/name'),
      main: z.string().regex(PIPELINE_NAME, 'expected a pipeline name'),
      feature: z.string().regex(PIPELINE_NAME, 'expected a pipeline name'),
      mainBranch: z.string().regex(BRANCH, 'expected a branch name').optional(),
      ecr: z.string().regex(ECR_REPOSITORY, 'expected an ECR repository name').optional(),
    }),
  )
  .min(1);

/** Reads a file's text (tests pass their own; the default reads it synchronously, once, at start-up). */
export type ReadText = (path: string) => string;

const REDEPLOY = 'the CDK app writes it: redeploy the bot stack';

/**
 * The served repositories: PIPEWARDEN_REPOSITORIES_FILE (the registry the CDK app ships in a Lambda layer, no
 * 4 KB environment limit) or PIPEWARDEN_REPOSITORIES (the same JSON list inline, for local use). `invalid`: one
 * was given but cannot be used; the bot then serves nothing from it (never a guess).
 */
function readRepositories(
  env: NodeJS.ProcessEnv,
  readText: ReadText,
  problems: string[],
): { repositories: RepositorySettings[]; invalid?: true } {
  const inline = env[BOT_ENV.repositories]?.trim();
  const file = env[BOT_ENV.repositoriesFile]?.trim();
  if (inline && file) {
    problems.push(
      `${BOT_ENV.repositories} and ${BOT_ENV.repositoriesFile} are both set; neither is used: keep one (the CDK app sets only the file)`,
    );
    return { repositories: [], invalid: true };
  }
  let raw = inline;
  let source: string = BOT_ENV.repositories;
  if (file) {
    source = `${BOT_ENV.repositoriesFile}=${file}`;
    try {
      raw = readText(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
      problems.push(`${source} cannot be read (${code}); no repository is served (${REDEPLOY})`);
      return { repositories: [], invalid: true };
    }
  }
  if (!raw?.trim()) {
    if (file) problems.push(`${source} is empty; no repository is served (${REDEPLOY})`);
    return file ? { repositories: [], invalid: true } : { repositories: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push(`${source} is not JSON; no repository is served (${REDEPLOY})`);
    return { repositories: [], invalid: true };
  }
  const parsed = repositoriesSchema.safeParse(json);
  if (!parsed.success) {
    problems.push(`${source}: ${describeIssues(parsed.error.issues)}; no repository is served (${REDEPLOY})`);
    return { repositories: [], invalid: true };
  }
  return { repositories: parsed.data };
}

const readUtf8: ReadText = (path) => readFileSync(path, 'utf8');

export function readSettings(
  env: NodeJS.ProcessEnv = process.env,
  readText: ReadText = readUtf8,
): BotSettings {
  const problems: string[] = [];
  const pick = (name: string, pattern: RegExp, what: string): string | undefined => {
    const value = env[name]?.trim();
    if (!value) return undefined;
    if (pattern.test(value)) return value;
    problems.push(`${name}="${value}" is not ${what}; it is ignored`);
    return undefined;
  };
  const pipelines: string[] = [];
  for (const name of (env[BOT_ENV.pipelines] ?? '').split(',').map((s) => s.trim())) {
    if (!name) continue;
    if (PIPELINE_NAME.test(name)) pipelines.push(name);
    else problems.push(`${BOT_ENV.pipelines}: "${name}" is not a pipeline name; it is ignored`);
  }
  const { repositories, invalid } = readRepositories(env, readText, problems);
  // A list that was meant but cannot be used serves nothing: not even PIPEWARDEN_PIPELINES.
  if (invalid) pipelines.length = 0;
  for (const r of repositories) {
    for (const p of [r.main, r.feature]) if (!pipelines.includes(p)) pipelines.push(p);
  }
  // The CDK app names its pipelines <prefix>-main and <prefix>-feature (infra/lib/names.ts).
  const featurePipeline =
    pick(BOT_ENV.featurePipeline, PIPELINE_NAME, 'a pipeline name') ??
    (pipelines.filter((p) => p.endsWith('-feature')).length === 1
      ? pipelines.find((p) => p.endsWith('-feature'))
      : undefined);
  return {
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined,
    findingsBucket: pick(BOT_ENV.findingsBucket, BUCKET, 'an S3 bucket name'),
    pipelines,
    featurePipeline,
    mainBranch: pick(BOT_ENV.mainBranch, BRANCH, 'a branch name'),
    ecrRepository: pick(BOT_ENV.ecrRepository, ECR_REPOSITORY, 'an ECR repository name'),
    repository: pick(BOT_ENV.repository, REPOSITORY, 'owner/name'),
    sourceAction: pick(BOT_ENV.sourceAction, PIPELINE_NAME, 'an action name') ?? 'Source',
    gateStage: pick(BOT_ENV.gateStage, PIPELINE_NAME, 'a stage name') ?? 'Gate',
    repositories,
    ...(invalid ? { unlisted: true as const } : {}),
    problems,
  };
}

/**
 * The settings as one repository sees them: with a repository list, its own pipelines, feature pipeline, main
 * branch and image repository only; a repository not listed gets no pipeline at all (every AWS-side action is
 * refused for it). Without a list, the settings unchanged.
 */
export function settingsForRepository(settings: BotSettings, fullName: string | undefined): BotSettings {
  if (!settings.repositories?.length) return settings;
  const listed = settings.repositories;
  const entry = fullName
    ? listed.find((r) => r.repository.toLowerCase() === fullName.toLowerCase())
    : undefined;
  if (!entry) {
    return {
      ...settings,
      unlisted: true,
      // Named in messages ("… is not PIPEWARDEN_REPOSITORY"): the repositories that are served.
      repository: listed.map((r) => r.repository).join(', '),
      pipelines: [],
      featurePipeline: undefined,
      mainBranch: undefined,
      ecrRepository: undefined,
    };
  }
  return {
    ...settings,
    repository: entry.repository,
    pipelines: [entry.main, entry.feature],
    featurePipeline: entry.feature,
    mainBranch: entry.mainBranch,
    ecrRepository: entry.ecr,
  };
}

/** The settings of the repository whose pipeline this is (a pipeline event names only its pipeline). */
export function settingsForPipeline(settings: BotSettings, pipeline: string): BotSettings {
  if (!settings.repositories?.length) return settings;
  const entry = settings.repositories.find((r) => r.main === pipeline || r.feature === pipeline);
  return settingsForRepository(settings, entry?.repository);
}

/** Whether an AWS-side action may touch this repository (PIPEWARDEN_REPOSITORY, when set). */
export function servesRepository(settings: BotSettings, fullName: string): boolean {
  if (settings.unlisted) return false;
  return !settings.repository || settings.repository.toLowerCase() === fullName.toLowerCase();
}

/** Whether the bot may start, stop or follow this pipeline. */
export function isOwnPipeline(settings: BotSettings, pipeline: string): boolean {
  return settings.pipelines.includes(pipeline);
}

/**
 * Whether this pipeline builds unreviewed code (pull requests, branches) and deploys nothing: the feature
 * pipeline. Any other pipeline of this system is treated as the main pipeline (it deploys), which the bot
 * starts only at a commit on the main branch.
 */
export function isFeaturePipeline(settings: BotSettings, pipeline: string): boolean {
  return settings.featurePipeline !== undefined && settings.featurePipeline === pipeline;
}

/** The main branch: `PIPEWARDEN_MAIN_BRANCH`, else the repository's default branch. */
export function mainBranchOf(settings: BotSettings, defaultBranch: string | undefined): string | undefined {
  return settings.mainBranch ?? (defaultBranch || undefined);
}

/** The sentence a check shows when a setting is missing. */
export function missingSetting(variable: string, feature: string): string {
  return `\`${variable}\` is not set, so the bot cannot ${feature}. Set it in the bot's environment (docs/bot.md).`;
}
