import type { CheckAnnotation } from '../../findings/render/render-annotations.js';
import type { CheckName, GitHubClient, RepoRef } from './repo-ref.js';

/** GitHub's limits (REST "Create a check run"). */
export const CHECK_LIMITS = {
  annotationsPerRequest: 50,
  summary: 65_535,
  text: 65_535,
  actions: 3,
  actionLabel: 20,
  actionDescription: 40,
  actionIdentifier: 20,
} as const;

export type CheckStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion =
  'action_required' | 'cancelled' | 'failure' | 'neutral' | 'success' | 'skipped' | 'timed_out';

export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

/** What the bot writes on a check run (annotations are passed separately and batched). */
export interface CheckRunFields {
  status: CheckStatus;
  conclusion?: CheckConclusion;
  external_id?: string;
  details_url?: string;
  started_at?: string;
  completed_at?: string;
  output: CheckOutput;
  actions?: CheckAction[];
}

export interface ExistingCheckRun {
  id: number;
  status: string;
  conclusion: string | null;
  externalId: string;
  /** Annotations already on the run: a resumed publication skips that many. */
  annotationsCount: number;
  title: string;
  summary: string;
  /**
   * Open pull requests of this repository whose head is the run's commit, as GitHub lists them with the run
   * (`pull_requests`; a fork's are never listed). Undefined when the run was not read from GitHub.
   */
  pullRequests?: number[];
}

type ListedCheckRun = Awaited<
  ReturnType<GitHubClient['rest']['checks']['listForRef']>
>['data']['check_runs'][number];

/**
 * Whether a listed pull request is one of the served repository's own: GitHub lists, with a fork's check
 * runs, the upstream's pull requests from that fork too (pull-request-minimal: `base.repo` is `{id, url,
 * name}`), and a comment or an upload for one of those would go to the wrong pull request.
 */
function basedOn(pr: NonNullable<ListedCheckRun['pull_requests']>[number], ref: RepoRef): boolean {
  const url = pr.base.repo.url.toLowerCase();
  return url.endsWith(`/repos/${ref.owner}/${ref.repo}`.toLowerCase());
}

function existingOf(run: ListedCheckRun, ref: RepoRef): ExistingCheckRun {
  return {
    id: run.id,
    status: run.status,
    conclusion: run.conclusion,
    externalId: run.external_id ?? '',
    annotationsCount: run.output?.annotations_count ?? 0,
    title: run.output?.title ?? '',
    summary: run.output?.summary ?? '',
    // GitHub lists the open pull requests whose head sha or head branch matches: only the commit's own,
    // into this repository.
    pullRequests: (run.pull_requests ?? [])
      .filter((pr) => pr.head.sha === run.head_sha && basedOn(pr, ref))
      .map((pr) => pr.number),
  };
}

/**
 * The latest check run of this name on the commit, or undefined. Looked up before every create: a
 * redelivered webhook or a repeated pipeline event then updates the run instead of adding a second one.
 */
export async function findCheckRun(
  octokit: GitHubClient,
  ref: RepoRef,
  sha: string,
  name: CheckName,
  appId?: number,
): Promise<ExistingCheckRun | undefined> {
  const { data } = await octokit.rest.checks.listForRef({
    ...ref,
    ref: sha,
    check_name: name,
    filter: 'latest',
    per_page: 1,
    ...(appId ? { app_id: appId } : {}),
  });
  const run = data.check_runs[0];
  return run ? existingOf(run, ref) : undefined;
}

/**
 * The latest run of each name on the commit, in one request (issue 16: a request per name was one of the
 * webhook's six). Needs the App's id: only this App's runs are listed, a few names at most, so one page
 * holds them; without it, other apps' runs could fill the page, and each name is looked up on its own.
 */
export async function findCheckRuns(
  octokit: GitHubClient,
  ref: RepoRef,
  sha: string,
  names: readonly CheckName[],
  appId?: number,
): Promise<Map<CheckName, ExistingCheckRun>> {
  const found = new Map<CheckName, ExistingCheckRun>();
  if (!appId) {
    for (const name of names) {
      const run = await findCheckRun(octokit, ref, sha, name);
      if (run) found.set(name, run);
    }
    return found;
  }
  const { data } = await octokit.rest.checks.listForRef({
    ...ref,
    ref: sha,
    filter: 'latest',
    per_page: 100,
    app_id: appId,
  });
  for (const run of data.check_runs) {
    const name = names.find((n) => n === run.name);
    // The list is newest first: the first run of a name is its latest.
    if (name && !found.has(name)) found.set(name, existingOf(run, ref));
  }
  return found;
}

/** Cuts Markdown to a check-run field's limit, saying so. */
export function fitCheckText(text: string, max: number = CHECK_LIMITS.summary): string {
  if (text.length <= max) return text;
  const note = '\n\n… (cut at GitHub’s limit)';
  let end = max - note.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + note;
}

/** Buttons must fit GitHub's limits: a button GitHub refuses would fail the whole update. */
export function checkActions(actions: CheckAction[]): CheckAction[] {
  if (actions.length > CHECK_LIMITS.actions)
    throw new Error(`check run: ${actions.length} buttons, at most 3`);
  for (const a of actions)
    if (
      a.label.length > CHECK_LIMITS.actionLabel ||
      a.description.length > CHECK_LIMITS.actionDescription ||
      a.identifier.length > CHECK_LIMITS.actionIdentifier
    )
      throw new Error(`check run: button "${a.identifier}" exceeds GitHub's limits`);
  return actions;
}

export interface WriteResult {
  id: number;
  /** GitHub requests made (create/update), for the benchmark and the tests. */
  requests: number;
}

/**
 * Creates the check run (when `existingId` is undefined) or updates it, with any number of annotations
 * in requests of at most 50 (they append on each update). The final state (status, conclusion, text)
 * goes with the last request, so a run never shows "completed" with half its annotations.
 */
export async function writeCheckRun(
  octokit: GitHubClient,
  ref: RepoRef,
  target: { sha: string; name: CheckName; existingId?: number },
  fields: CheckRunFields,
  annotations: CheckAnnotation[] = [],
): Promise<WriteResult> {
  const output = {
    ...fields.output,
    summary: fitCheckText(fields.output.summary),
    ...(fields.output.text !== undefined
      ? { text: fitCheckText(fields.output.text, CHECK_LIMITS.text) }
      : {}),
  };
  const final = { ...fields, output, ...(fields.actions ? { actions: checkActions(fields.actions) } : {}) };
  const batches: CheckAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += CHECK_LIMITS.annotationsPerRequest)
    batches.push(annotations.slice(i, i + CHECK_LIMITS.annotationsPerRequest));
  if (batches.length === 0) batches.push([]);

  let id = target.existingId;
  let requests = 0;
  for (const [i, batch] of batches.entries()) {
    const last = i === batches.length - 1;
    // Until the last batch: in progress, title and summary only (GitHub requires both with annotations).
    const body = last
      ? final
      : {
          status: 'in_progress' as const,
          ...(i === 0 && fields.external_id !== undefined ? { external_id: fields.external_id } : {}),
          ...(i === 0 && fields.details_url ? { details_url: fields.details_url } : {}),
          ...(i === 0 && fields.started_at ? { started_at: fields.started_at } : {}),
          output: { title: output.title, summary: output.summary },
        };
    const withAnnotations = batch.length ? { ...body, output: { ...body.output, annotations: batch } } : body;
    if (id === undefined) {
      const { data } = await octokit.rest.checks.create({
        ...ref,
        name: target.name,
        head_sha: target.sha,
        ...withAnnotations,
      });
      id = data.id;
    } else {
      await octokit.rest.checks.update({ ...ref, check_run_id: id, ...withAnnotations });
    }
    requests++;
  }
  return { id: id!, requests };
}
