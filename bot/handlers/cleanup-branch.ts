import type { Context } from 'probot';
import { errorMessage } from '../../findings/errors.js';
import { deleteBranchImages, type ImageCleanup } from '../aws/delete-branch-images.js';
import { stopBranchExecutions, type StoppedExecution } from '../aws/stop-branch-executions.js';
import { servesRepository } from '../settings.js';
import type { HandlerDeps } from './deps.js';

export interface BranchCleanup {
  branch: string;
  skipped?: string;
  images?: ImageCleanup;
  stopped?: StoppedExecution[];
  /** Parts that could not run, each a sentence (a missing setting, an AWS error). */
  problems: string[];
}

/** Which branch of this repository is gone or done with, or why there is nothing to clean. */
function branchOf(context: Context<'delete' | 'pull_request.closed'>): { branch: string } | { skip: string } {
  const payload = context.payload;
  const defaultBranch = payload.repository.default_branch;
  let branch: string;
  if ('pull_request' in payload) {
    const head = payload.pull_request.head;
    // A fork's branch of the same name is not ours: its images and runs are not this branch's.
    if (head.repo?.full_name !== payload.repository.full_name) return { skip: 'pull request from a fork' };
    branch = head.ref;
  } else {
    if (payload.ref_type !== 'branch') return { skip: `a ${payload.ref_type} was deleted, not a branch` };
    branch = payload.ref.replace(/^refs\/heads\//, '');
  }
  if (branch === defaultBranch) return { skip: `${branch} is the default branch` };
  return { branch };
}

/**
 * A branch deleted, or its pull request closed: its images go from ECR and its in-flight executions stop.
 * CodeConnections sends no branch events, so this webhook is the only place to do it. Both parts run
 * even if one fails; a failure is thrown afterwards so the delivery shows as failed and can be redelivered
 * (both parts are idempotent).
 */
export async function cleanupBranch(
  deps: HandlerDeps,
  context: Context<'delete' | 'pull_request.closed'>,
): Promise<BranchCleanup> {
  const which = branchOf(context);
  if ('skip' in which) return { branch: '', skipped: which.skip, problems: [] };
  const { branch } = which;
  const result: BranchCleanup = { branch, problems: [] };
  const fullName = context.payload.repository.full_name;
  if (!servesRepository(deps.settings, fullName))
    return { ...result, skipped: `this system builds ${deps.settings.repository}, not ${fullName}` };

  const { ecrRepository, pipelines } = deps.settings;
  const tasks: Promise<void>[] = [];
  if (ecrRepository)
    tasks.push(
      deleteBranchImages(deps.aws.ecr, ecrRepository, branch).then((images) => {
        result.images = images;
        if (images.failures.length) result.problems.push(`ECR refused: ${images.failures.join('; ')}`);
      }),
    );
  else result.problems.push('PIPEWARDEN_ECR_REPOSITORY is not set: no images deleted');
  if (pipelines.length)
    tasks.push(
      stopBranchExecutions(
        deps.aws.codepipeline,
        pipelines,
        branch,
        `Branch ${branch} was deleted or its pull request closed`,
      ).then((stopped) => {
        result.stopped = stopped;
      }),
    );
  else result.problems.push('PIPEWARDEN_PIPELINES is not set: no executions stopped');
  const errors = (await Promise.allSettled(tasks)).flatMap((s) =>
    s.status === 'rejected' ? [s.reason] : [],
  );
  for (const e of errors) result.problems.push(errorMessage(e));
  deps.log.info(
    {
      branch,
      images: result.images && {
        tag: result.images.tag,
        deleted: result.images.deletedImages,
        untagged: result.images.untaggedOnly,
      },
      stopped: result.stopped?.length,
      problems: result.problems,
    },
    'branch cleanup',
  );
  if (errors.length)
    throw new AggregateError(errors, `branch cleanup of ${branch}: ${result.problems.join('; ')}`);
  return result;
}
