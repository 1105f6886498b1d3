/**
 * The findings store's layout (docs/architecture.md, docs/security-model.md): the one place its keys are spelled.
 * Who may write which key is the trust boundary: the infra grants, the CLI and the bot all use these.
 *
 *   <owner>/<repo>/pipelines/<pipeline>/executions/<executionId>/findings.json (+ .sarif, .md)
 *       every gate run writes here, main and feature alike; the bot reads a run's findings only here,
 *       under the pipeline and execution that the CodePipeline event names.
 *   <owner>/<repo>/commits/<sha>/findings.json (+ .sarif, .md)      main pipeline only (reviewed code)
 *   <owner>/<repo>/branches/<branch>/latest.json                    main pipeline only, baseline branch:
 *       the baseline for pull requests, and the policy (.github/pipewarden.yml) that branch applies.
 */
export const STORE_SEGMENTS = {
  pipelines: 'pipelines',
  executions: 'executions',
  commits: 'commits',
  branches: 'branches',
} as const;

export const FINDINGS_FILE = 'findings.json';
export const BASELINE_FILE = 'latest.json';

/** `<owner>/<repo>/pipelines/<pipeline>/executions/<executionId>/` */
export function executionPrefix(repo: string, pipeline: string, executionId: string): string {
  return `${repo}/${STORE_SEGMENTS.pipelines}/${pipeline}/${STORE_SEGMENTS.executions}/${executionId}/`;
}

/** `<owner>/<repo>/pipelines/<pipeline>/executions/` : what one pipeline's gate may write under. */
export function pipelineExecutionsPrefix(repo: string, pipeline: string): string {
  return `${repo}/${STORE_SEGMENTS.pipelines}/${pipeline}/${STORE_SEGMENTS.executions}/`;
}

export function executionFindingsKey(repo: string, pipeline: string, executionId: string): string {
  return `${executionPrefix(repo, pipeline, executionId)}${FINDINGS_FILE}`;
}

/** `<owner>/<repo>/commits/<sha>/` */
export function commitPrefix(repo: string, commit: string): string {
  return `${repo}/${STORE_SEGMENTS.commits}/${commit}/`;
}

/** `<owner>/<repo>/branches/<branch>/` */
export function branchPrefix(repo: string, branch: string): string {
  return `${repo}/${STORE_SEGMENTS.branches}/${branch}/`;
}

/** `<owner>/<repo>/branches/<branch>/latest.json` */
export function baselineKey(repo: string, branch: string): string {
  return `${branchPrefix(repo, branch)}${BASELINE_FILE}`;
}
