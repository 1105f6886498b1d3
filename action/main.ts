import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { diagnoseConnection } from '../pipeline/diagnose-connection.js';
import { errorMessage } from '../findings/errors.js';
import { executionUrl } from '../pipeline/console-url.js';
import { describeFailure } from './lib/describe-failure.js';
import { findSourceAction } from './lib/find-source-action.js';
import { followExecution, type FollowDeps } from './lib/follow-execution.js';
import type { ActionInputs } from './lib/parse-inputs.js';
import { checkDeclaredVariables } from './lib/parse-variables.js';
import { readPipeline } from './lib/read-pipeline.js';
import { clientRequestToken, startExecution } from './lib/start-execution.js';
import { stopExecution, stopReason, type StopOutcome } from './lib/stop-execution.js';
import type { ExecutionStatus } from '../pipeline/execution-status.js';
import type { GitHubRun, Logger } from './lib/types.js';
import { renderSummary } from './lib/write-summary.js';

export interface MainParams extends ActionInputs {
  region: string;
  run: GitHubRun;
  poll: { initialMs: number; maxMs: number };
  /** Aborted when the workflow is cancelled (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export interface MainDeps {
  log: Logger;
  /** Called as soon as the execution exists, so its id reaches the outputs and the post step at once. */
  onStarted?: (executionId: string, url: string) => void;
  now?: () => number;
  sleep?: FollowDeps['sleep'];
  /** How long a stop on cancel may take before the post step is left to retry it. */
  stopTimeoutMs?: number;
  /** Reads the source's GitHub connection when the Source action failed, to say if it is PENDING or ERROR. */
  connections?: CodeStarConnectionsClient;
}

export interface MainResult {
  executionId: string;
  url: string;
  status: ExecutionStatus | string;
  /** One line when the step must fail. */
  failure?: string;
  /** Markdown for the job summary. */
  summary: string;
  /** Set when the step was cancelled or timed out and tried to stop the execution. */
  stop?: StopOutcome | 'failed' | 'left-running';
}

/**
 * Starts the pipeline at the commit, follows it and says how it ended. Validation that needs the pipeline
 * (V1, source action, declared variables) happens before anything is started.
 */
export async function main(client: CodePipelineClient, p: MainParams, deps: MainDeps): Promise<MainResult> {
  const now = deps.now ?? Date.now;
  const startedAt = new Date(now());
  const log = deps.log;

  const pipeline = await readPipeline(client, p.pipelineName, { region: p.region, abortSignal: p.signal });
  const sourceAction = findSourceAction(pipeline, p.sourceActionName);
  if (
    sourceAction.repository &&
    p.run.repository &&
    sourceAction.repository.toLowerCase() !== p.run.repository.toLowerCase()
  )
    log.warning(
      `source action "${sourceAction.name}" reads ${sourceAction.repository}, not ${p.run.repository}: commit ${p.commitSha} must exist there`,
    );
  checkDeclaredVariables(p.variables, pipeline.variables, pipeline.name);

  const token = clientRequestToken(p.run, p.pipelineName, p.commitSha, p.variables);
  const executionId = await startExecution(client, {
    pipelineName: p.pipelineName,
    sourceAction,
    commitSha: p.commitSha,
    variables: p.variables,
    token,
    region: p.region,
  });
  const url = executionUrl(p.region, p.pipelineName, executionId);
  deps.onStarted?.(executionId, url);
  log.info(
    `Started ${p.pipelineName} execution ${executionId} at ${p.commitSha.slice(0, 12)} (source action ${sourceAction.name})`,
  );
  log.info(`  ${url}`);

  const report = (
    status: string,
    actions: Parameters<typeof renderSummary>[0]['actions'],
    failure?: string,
  ) =>
    renderSummary({
      pipeline,
      executionId,
      url,
      status,
      commitSha: p.commitSha,
      sourceAction,
      run: p.run,
      actions,
      variableNames: p.variables.map((v) => v.name),
      startedAt,
      endedAt: new Date(now()),
      failure,
    });

  const stop = async (why: string): Promise<MainResult['stop']> => {
    if (!p.stopOnCancel) return 'left-running';
    try {
      const outcome = await stopExecution(
        client,
        { pipelineName: p.pipelineName, executionId, reason: stopReason(why, p.run), region: p.region },
        AbortSignal.timeout(deps.stopTimeoutMs ?? 5_000),
      );
      log.info(`StopPipelineExecution ${executionId}: ${outcome}`);
      return outcome;
    } catch (error) {
      log.warning(`could not stop execution ${executionId}: ${errorMessage(error)}`);
      return 'failed';
    }
  };

  if (p.signal?.aborted) {
    const outcome = await stop('GitHub workflow run cancelled:');
    return cancelled(outcome, []);
  }
  if (!p.wait) return { executionId, url, status: 'InProgress', summary: report('InProgress', []) };

  const followed = await followExecution(
    client,
    {
      pipelineName: p.pipelineName,
      executionId,
      pipeline,
      region: p.region,
      deadline: startedAt.getTime() + p.timeoutMinutes * 60_000,
      poll: p.poll,
      signal: p.signal,
    },
    { log, now: deps.now, sleep: deps.sleep },
  );

  if (followed.outcome === 'aborted') {
    const outcome = await stop('GitHub workflow run cancelled:');
    return cancelled(outcome, followed.actions);
  }
  if (followed.outcome === 'timeout') {
    const outcome = await stop(`timeout-minutes (${p.timeoutMinutes}) passed in GitHub workflow run`);
    const what =
      outcome === 'left-running'
        ? 'left it running (stop-on-cancel: false)'
        : outcome === 'failed'
          ? 'could not stop it'
          : 'stopped it';
    const failure = `pipewarden: pipeline "${p.pipelineName}" execution ${executionId} did not finish within timeout-minutes (${p.timeoutMinutes}); ${what}`;
    return {
      executionId,
      url,
      status: 'TimedOut',
      failure,
      stop: outcome,
      summary: report('TimedOut', followed.actions, failure),
    };
  }

  const status = followed.status;
  const sourceFailed = followed.actions.some((a) => a.action === sourceAction.name && a.status === 'Failed');
  let connectionStatus: string | undefined;
  if (status !== 'Succeeded' && sourceFailed && sourceAction.connectionArn && deps.connections) {
    const read = await diagnoseConnection(deps.connections, sourceAction.connectionArn, p.signal);
    if (read.error)
      log.debug(`GitHub connection ${sourceAction.connectionArn} not read: ${errorMessage(read.error)}`);
    connectionStatus = read.status;
  }
  const failure =
    status === 'Succeeded'
      ? undefined
      : describeFailure({
          connectionStatus,
          pipelineName: p.pipelineName,
          executionId,
          status,
          statusSummary: followed.statusSummary,
          actions: followed.actions,
          sourceAction,
          commitSha: p.commitSha,
        });
  return { executionId, url, status, failure, summary: report(status, followed.actions, failure) };

  function cancelled(outcome: MainResult['stop'], actions: Parameters<typeof report>[1]): MainResult {
    const what =
      outcome === 'left-running'
        ? 'left it running (stop-on-cancel: false)'
        : outcome === 'failed'
          ? 'could not stop it; the post step will try again'
          : `stop requested (${outcome})`;
    const failure = `pipewarden: workflow cancelled while following pipeline "${p.pipelineName}" execution ${executionId}; ${what}`;
    const status = outcome === 'left-running' || outcome === 'failed' ? 'InProgress' : 'Stopping';
    return { executionId, url, status, failure, stop: outcome, summary: report(status, actions, failure) };
  }
}
