import { PipewardenError } from '../errors.js';
import type { ScanContext } from '../model/finding.js';

/** `owner/name` from a GitHub clone URL (CodeBuild's CODEBUILD_SOURCE_REPO_URL). */
function repoFromUrl(url: string | undefined): string | undefined {
  const m = /github[^/:]*[/:]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url ?? '');
  return m?.[1];
}

/**
 * The scan's context from flags, else from the CI environment: GitHub Actions (GITHUB_*), CodeBuild
 * (CODEBUILD_*), or pipewarden's own variables that the pipeline sets from its variables.
 */
/** The scan context's command-line flags; each falls back to the environment in `scanContext`. */
export interface ContextFlags {
  repo?: string;
  commit?: string;
  branch?: string;
  pullRequest?: string;
  execution?: string;
  pipeline?: string;
  pipelineKind?: string;
}

export function scanContext(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): ScanContext {
  const ctx: ScanContext = {};
  const repo =
    flags.repo ?? env.PIPEWARDEN_REPO ?? env.GITHUB_REPOSITORY ?? repoFromUrl(env.CODEBUILD_SOURCE_REPO_URL);
  if (repo) ctx.repo = repo;
  const commit =
    flags.commit ?? env.PIPEWARDEN_COMMIT ?? env.GITHUB_SHA ?? env.CODEBUILD_RESOLVED_SOURCE_VERSION;
  if (commit) ctx.commit = commit;
  // An explicit baseline order for `publish s3` outside the pipeline; the main gate orders by its execution's
  // start instead, asked of CodePipeline (cli/baseline-order.ts), and ignores this variable.
  const commitTime = env.PIPEWARDEN_COMMIT_TIME?.trim();
  if (commitTime) {
    const t = new Date(commitTime);
    if (Number.isNaN(t.getTime()))
      throw new PipewardenError(
        `PIPEWARDEN_COMMIT_TIME=${commitTime}: not a time; set ISO 8601 (git log -1 --format=%cI), or unset it`,
      );
    ctx.commitTime = t.toISOString();
  }
  // A run started at a pull request's commit (by the bot or the action) reports the source action's
  // configured branch as BranchName; the pipeline variable HEAD_BRANCH (`none` when unset) names the real one.
  const head = env.PIPEWARDEN_HEAD_BRANCH?.trim();
  const branch =
    flags.branch ??
    (head && head !== 'none' ? head : undefined) ??
    env.PIPEWARDEN_BRANCH ??
    (env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME) ??
    env.CODEBUILD_WEBHOOK_HEAD_REF?.replace(/^refs\/heads\//, '');
  if (branch) ctx.branch = branch;
  const pr = flags.pullRequest ?? env.PIPEWARDEN_PULL_REQUEST;
  if (pr && /^\d+$/.test(pr)) ctx.pullRequest = Number(pr);
  const execution = flags.execution ?? env.PIPEWARDEN_EXECUTION_ID;
  if (execution) ctx.pipelineExecutionId = execution;
  const pipeline = flags.pipeline ?? env.PIPEWARDEN_PIPELINE;
  if (pipeline) ctx.pipeline = pipeline;
  const kind = flags.pipelineKind ?? env.PIPEWARDEN_PIPELINE_KIND;
  if (kind) {
    if (kind !== 'main' && kind !== 'feature')
      throw new PipewardenError(
        `the pipeline kind is "${kind}": pass --pipeline-kind main or feature (default: PIPEWARDEN_PIPELINE_KIND, which the pipeline sets)`,
      );
    ctx.pipelineKind = kind;
  }
  if (env.CODEBUILD_BUILD_ID) ctx.buildId = env.CODEBUILD_BUILD_ID;
  ctx.serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return ctx;
}

/** The AWS account of the running CodeBuild build: arn:aws:codebuild:<region>:<account>:build/<id>. */
export function accountFromBuildArn(arn: string | undefined): string | undefined {
  return /^arn:aws[a-z-]*:codebuild:[^:]*:(\d{12}):/.exec(arn ?? '')?.[1];
}
