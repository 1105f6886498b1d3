import {
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  type ActionExecutionDetail,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { listActionExecutions } from '../../pipeline/list-action-executions.js';

export interface ActionView {
  name: string;
  status: string;
  /** The action's category (`Approval`, `Build`, …), once it has run in this execution. */
  category?: string;
  summary?: string;
  url?: string;
  updatedAt?: Date;
}

export interface StageView {
  name: string;
  /** This execution's status in the stage; `NotReached` when it never got there. */
  status: string;
  actions: ActionView[];
}

export interface ApprovalWaiting {
  stage: string;
  action: string;
  token: string;
}

export interface Revision {
  owner: string;
  repo: string;
  sha: string;
  branch?: string;
}

export interface ExecutionView {
  pipeline: string;
  executionId: string;
  status: string;
  statusSummary?: string;
  /** The GitHub commit the execution runs, when its source is GitHub. */
  revision?: Revision;
  /** Pipeline-level variables, resolved. */
  variables: Record<string, string>;
  stages: StageView[];
  /** A manual approval of this execution, waiting, with the token PutApprovalResult needs. */
  approval?: ApprovalWaiting;
  /** The source action's latest attempt, and the GitHub connection it reads through (CodeStarSourceConnection). */
  source?: { action: string; status: string; connectionArn?: string };
  startedAt?: Date;
}

/** `https://github.com/<owner>/<repo>/commit/<sha>` (or a GHE host): the revision URL of a GitHub source. */
export function parseRevisionUrl(url: string | undefined): { owner: string; repo: string } | undefined {
  const m =
    /^https?:\/\/[^/]+\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/commit\/[0-9a-f]{7,64}\/?$/i.exec(
      url ?? '',
    );
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

const SHA = /^[0-9a-f]{40}$/i;

/** The source revision from the source action: the repository and commit, and the branch it reports. */
function revisionFrom(
  details: ActionExecutionDetail[],
  artifact: { revisionId?: string; revisionUrl?: string } | undefined,
): Revision | undefined {
  const source = details.find((d) => d.input?.actionTypeId?.category === 'Source');
  const vars = source?.output?.outputVariables ?? {};
  const fromUrl = parseRevisionUrl(artifact?.revisionUrl);
  const full = source?.input?.configuration?.FullRepositoryId ?? '';
  const [owner, repo] = fromUrl ? [fromUrl.owner, fromUrl.repo] : full.split('/');
  const sha = artifact?.revisionId ?? vars.CommitId;
  if (!owner || !repo || !sha || !SHA.test(sha)) return undefined;
  return { owner, repo, sha, ...(vars.BranchName ? { branch: vars.BranchName } : {}) };
}

/**
 * Everything the pipeline check shows about one execution: its status, the GitHub commit, the stages in
 * order with this execution's own action results (ListActionExecutions, so a newer run in the same
 * pipeline does not leak into the table), and an approval waiting on it (GetPipelineState holds the token).
 */
export async function describeExecution(
  codepipeline: CodePipelineClient,
  pipeline: string,
  executionId: string,
): Promise<ExecutionView> {
  const [{ pipelineExecution: execution }, state, details] = await Promise.all([
    codepipeline.send(
      new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
    ),
    codepipeline.send(new GetPipelineStateCommand({ name: pipeline })),
    listActionExecutions(codepipeline, pipeline, executionId),
  ]);
  const variables: Record<string, string> = {};
  for (const v of execution?.variables ?? []) if (v.name) variables[v.name] = v.resolvedValue ?? '';
  const artifact = execution?.artifactRevisions?.find((a) => a.revisionId && SHA.test(a.revisionId));
  const revision = revisionFrom(details, artifact);

  // Latest attempt per stage/action.
  const latest = new Map<string, ActionExecutionDetail>();
  for (const d of details) {
    const key = `${d.stageName}/${d.actionName}`;
    const seen = latest.get(key);
    if (!seen || (d.startTime?.getTime() ?? 0) >= (seen.startTime?.getTime() ?? 0)) latest.set(key, d);
  }
  const sourceRun = [...latest.values()].find((d) => d.input?.actionTypeId?.category === 'Source');
  const connectionArn = sourceRun?.input?.configuration?.ConnectionArn;
  let approval: ApprovalWaiting | undefined;
  const stages: StageView[] = (state.stageStates ?? []).map((stage) => {
    const name = stage.stageName ?? '?';
    const ours = stage.latestExecution?.pipelineExecutionId === executionId;
    const actions: ActionView[] = (stage.actionStates ?? []).map((a) => {
      const d = latest.get(`${name}/${a.actionName}`);
      const result = d?.output?.executionResult;
      if (ours && a.latestExecution?.status === 'InProgress' && a.latestExecution.token)
        approval = { stage: name, action: a.actionName ?? '?', token: a.latestExecution.token };
      return {
        name: a.actionName ?? '?',
        status: d?.status ?? 'NotReached',
        ...(d?.input?.actionTypeId?.category ? { category: d.input.actionTypeId.category } : {}),
        ...(result?.externalExecutionSummary ? { summary: result.externalExecutionSummary } : {}),
        ...(result?.externalExecutionUrl ? { url: result.externalExecutionUrl } : {}),
        ...(d?.lastUpdateTime ? { updatedAt: d.lastUpdateTime } : {}),
      };
    });
    const status = ours
      ? (stage.latestExecution?.status ?? 'InProgress')
      : actions.some((a) => a.status === 'InProgress')
        ? 'InProgress'
        : actions.some((a) => a.status === 'Failed')
          ? 'Failed'
          : actions.length && actions.every((a) => a.status === 'Succeeded')
            ? 'Succeeded'
            : 'NotReached';
    return { name, status, actions };
  });
  return {
    pipeline,
    executionId,
    status: execution?.status ?? 'InProgress',
    ...(execution?.statusSummary ? { statusSummary: execution.statusSummary } : {}),
    ...(revision ? { revision } : {}),
    variables,
    stages,
    ...(approval ? { approval } : {}),
    ...(sourceRun?.actionName && sourceRun.status
      ? {
          source: {
            action: sourceRun.actionName,
            status: sourceRun.status,
            ...(connectionArn ? { connectionArn } : {}),
          },
        }
      : {}),
    ...(details.length
      ? { startedAt: new Date(Math.min(...details.map((d) => d.startTime?.getTime() ?? Date.now()))) }
      : {}),
  };
}
