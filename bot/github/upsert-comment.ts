import type { GitHubClient, RepoRef } from './repo-ref.js';

export type CommentOutcome = 'created' | 'updated' | 'unchanged' | 'not-created';

export interface CommentResult {
  outcome: CommentOutcome;
  /** GitHub requests made: the lookup pages and the write. */
  requests: number;
}

/** A comment as the API lists it: who wrote it, and through which GitHub App. */
interface ListedComment {
  id: number;
  body?: string;
  user?: { type?: string } | null;
  performed_via_github_app?: { id?: number } | null;
}

/**
 * Written by this App itself: its installation token sets `performed_via_github_app` to the App. Anyone can
 * paste the marker, and another App's bot is a Bot too (editing its comment is a 403): neither is ours.
 * Without a known App id nothing is ours, so nothing of anyone else's is ever edited or deleted.
 */
function isOurs(c: ListedComment, appId: number | undefined): boolean {
  return appId !== undefined && c.user?.type === 'Bot' && c.performed_via_github_app?.id === appId;
}

/**
 * One comment per pull request, found again by the hidden marker it starts with, edited in place. Only this
 * App's comment counts. Should two deliveries race and both create one, the next run keeps the oldest and
 * deletes the others: never a second comment for long.
 */
export async function upsertComment(
  octokit: GitHubClient,
  ref: RepoRef,
  issueNumber: number,
  body: string,
  options: { marker: string; create: boolean; appId: number | undefined },
): Promise<CommentResult> {
  let requests = 0;
  const ours: { id: number; body: string }[] = [];
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...ref,
    issue_number: issueNumber,
    per_page: 100,
  })) {
    requests++;
    for (const c of page.data as ListedComment[])
      if (isOurs(c, options.appId) && c.body?.startsWith(options.marker))
        ours.push({ id: c.id, body: c.body });
  }
  const [keep, ...extra] = ours;
  for (const c of extra) {
    await octokit.rest.issues.deleteComment({ ...ref, comment_id: c.id });
    requests++;
  }
  if (keep) {
    if (keep.body === body) return { outcome: 'unchanged', requests };
    await octokit.rest.issues.updateComment({ ...ref, comment_id: keep.id, body });
    return { outcome: 'updated', requests: requests + 1 };
  }
  if (!options.create) return { outcome: 'not-created', requests };
  await octokit.rest.issues.createComment({ ...ref, issue_number: issueNumber, body });
  return { outcome: 'created', requests: requests + 1 };
}
