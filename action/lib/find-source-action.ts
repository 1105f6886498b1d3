import { PipewardenError } from '../../findings/errors.js';
import type { ActionShape, PipelineShape } from './types.js';

/** The provider id of CodeConnections (formerly CodeStar Connections) source actions. */
export const CONNECTIONS_PROVIDER = 'CodeStarSourceConnection';
/** Source providers whose revision is a commit id (revisionType COMMIT_ID). */
const COMMIT_PROVIDERS = new Set([CONNECTIONS_PROVIDER, 'CodeCommit']);

export interface SourceAction {
  name: string;
  provider: string;
  /** owner/repo the action reads (CodeConnections' FullRepositoryId), when known. */
  repository?: string;
  branch?: string;
  /** The GitHub connection the action reads through (ConnectionArn), when it says. */
  connectionArn?: string;
}

/**
 * The source action whose revision the execution overrides: the one named by `source-action-name`, or else
 * the pipeline's only CodeConnections source action. Ambiguity is an error naming the candidates.
 */
export function findSourceAction(pipeline: PipelineShape, requested?: string): SourceAction {
  const sources = pipeline.stages.flatMap((s) => s.actions).filter((a) => a.category === 'Source');
  const list = (actions: ActionShape[]) =>
    actions.map((a) => `${a.name} (${a.provider})`).join(', ') || 'none';
  const pipeline_ = `pipeline "${pipeline.name}"`;

  if (requested) {
    const found = pipeline.stages.flatMap((s) => s.actions).find((a) => a.name === requested);
    if (!found || found.category !== 'Source')
      throw new PipewardenError(
        `input source-action-name: ${pipeline_} has no source action "${requested}"; its source actions: ${list(sources)}`,
      );
    if (!COMMIT_PROVIDERS.has(found.provider))
      throw new PipewardenError(
        `input source-action-name: source action "${requested}" is a ${found.provider} source, which does not take a commit; pick one of: ${list(sources.filter((a) => COMMIT_PROVIDERS.has(a.provider)))}`,
      );
    return describe(found);
  }

  const candidates = sources.filter((a) => a.provider === CONNECTIONS_PROVIDER);
  if (candidates.length === 1) return describe(candidates[0]!);
  if (candidates.length === 0)
    throw new PipewardenError(
      `input source-action-name: ${pipeline_} has no CodeConnections (GitHub) source action to start at a commit; its source actions: ${list(sources)}`,
    );
  throw new PipewardenError(
    `input source-action-name: ${pipeline_} has ${candidates.length} CodeConnections source actions (${candidates.map((a) => a.name).join(', ')}): set source-action-name to the one that reads this repository`,
  );
}

function describe(a: ActionShape): SourceAction {
  return {
    name: a.name,
    provider: a.provider,
    repository: a.configuration.FullRepositoryId || undefined,
    branch: a.configuration.BranchName || undefined,
    connectionArn: a.configuration.ConnectionArn || undefined,
  };
}
