import type { RepoConfig } from '../../findings/config/repo-config.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/** Repository roles, weakest first; custom roles are judged by the base permission GitHub reports. */
const RANK: Record<string, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

export interface Decision {
  allowed: boolean;
  /** Why, in a sentence for the check run. */
  reason: string;
  /** The sender's role on the repository as GitHub reported it (`approver` for a listed approver). */
  role: string;
}

/** The stronger of two required permissions. */
export function atLeast(
  a: RepoConfig['approvals']['permission'],
  b: RepoConfig['approvals']['permission'],
): RepoConfig['approvals']['permission'] {
  return RANK[a]! >= RANK[b]! ? a : b;
}

/**
 * May this GitHub user approve, reject or stop a deployment? Listed approvers may; anyone else needs the
 * repository permission the config requires (default: maintain), read from GitHub at the time of the click.
 */
export async function mayAct(
  octokit: GitHubClient,
  ref: RepoRef,
  login: string,
  approvals: RepoConfig['approvals'],
): Promise<Decision> {
  if (approvals.approvers.some((a) => a.toLowerCase() === login.toLowerCase()))
    return { allowed: true, role: 'approver', reason: `@${login} is listed in approvals.approvers` };
  let role = 'none';
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username: login });
    role = data.role_name in RANK ? data.role_name : data.permission;
  } catch (error) {
    // 404: not a collaborator at all.
    if ((error as { status?: number }).status !== 404) throw error;
  }
  const allowed = (RANK[role] ?? 0) >= RANK[approvals.permission]!;
  return {
    allowed,
    role,
    reason: allowed
      ? `@${login} has the ${role} permission (${approvals.permission} required)`
      : `@${login} has the ${role} permission on this repository; ${approvals.permission} (or being listed in approvals.approvers of .github/pipewarden.yml) is required`,
  };
}
