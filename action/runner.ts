import * as core from '@actions/core';
import { PipewardenError, debugEnabled, errorMessage } from '../findings/errors.js';
import { createCodePipelineClient, createConnectionsClient } from './lib/create-client.js';
import { explainAwsError } from './lib/explain-aws-error.js';
import { INPUT_NAMES, parseInputs, pollSettings, type RawInputs } from './lib/parse-inputs.js';
import { stopIfRunning, stopReason } from './lib/stop-execution.js';
import type { GitHubRun } from './lib/types.js';
import { main } from './main.js';

/** Names of the values the main step hands to the post step (core.saveState → STATE_*). */
export const STATE = {
  pipelineName: 'pipeline-name',
  executionId: 'execution-id',
  stopOnCancel: 'stop-on-cancel',
  /** Set once nothing is left for the post step to do. */
  done: 'done',
} as const;

export function githubRun(env: NodeJS.ProcessEnv = process.env): GitHubRun {
  return {
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    repository: env.GITHUB_REPOSITORY || '',
    runId: env.GITHUB_RUN_ID || '0',
    runAttempt: env.GITHUB_RUN_ATTEMPT || '1',
  };
}

function fail(error: unknown): void {
  if (debugEnabled() && error instanceof Error && error.stack) core.info(error.stack);
  const message = errorMessage(error);
  core.setFailed(
    error instanceof PipewardenError || message.startsWith('pipewarden') ? message : `pipewarden: ${message}`,
  );
}

async function regionOf(
  client: ReturnType<typeof createCodePipelineClient>,
  pipelineName: string,
): Promise<string> {
  try {
    return await client.config.region();
  } catch (error) {
    throw explainAwsError(error, { operation: 'GetPipeline', pipelineName });
  }
}

/**
 * The main step: inputs in, outputs, summary and state out. The only place that fails the step. SIGINT and
 * SIGTERM (the runner cancelling the job) abort the follow loop so main() stops the execution; a second
 * signal exits at once and leaves the stop to the post step.
 */
export async function run(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(1);
    core.info(`pipewarden: received ${signal}, stopping the pipeline execution`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let leaveToPost = false;
  try {
    const raw = Object.fromEntries(INPUT_NAMES.map((n) => [n, core.getInput(n)])) as RawInputs;
    const inputs = parseInputs(raw);
    if (inputs.forkHeadAllowed) core.warning(`pipewarden: ${inputs.forkHeadAllowed}`);
    core.saveState(STATE.pipelineName, inputs.pipelineName);
    core.saveState(STATE.stopOnCancel, String(inputs.stopOnCancel));
    const client = createCodePipelineClient();
    const region = await regionOf(client, inputs.pipelineName);
    const result = await main(
      client,
      { ...inputs, region, run: githubRun(), poll: pollSettings(), signal: controller.signal },
      {
        log: core,
        connections: createConnectionsClient(region),
        onStarted: (executionId, url) => {
          core.saveState(STATE.executionId, executionId);
          core.setOutput('execution-id', executionId);
          core.setOutput('url', url);
        },
      },
    );
    core.setOutput('status', result.status);
    leaveToPost = result.stop === 'failed';
    try {
      await core.summary.addRaw(result.summary, true).write();
    } catch (error) {
      core.debug(`job summary not written: ${errorMessage(error)}`);
    }
    if (result.failure) core.setFailed(result.failure);
    else core.info(`pipewarden: ${inputs.pipelineName} execution ${result.executionId} ${result.status}`);
  } catch (error) {
    fail(error);
  } finally {
    if (!leaveToPost) core.saveState(STATE.done, 'true');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The post step (action.yml `post:`, `post-if: always()`): when the main step was killed before it could
 * finish (the job was cancelled) and the execution still runs, stop it. Nothing to do otherwise.
 */
export async function runPost(): Promise<void> {
  try {
    const executionId = core.getState(STATE.executionId);
    const pipelineName = core.getState(STATE.pipelineName);
    if (!executionId || !pipelineName || core.getState(STATE.done) === 'true') return;
    if (core.getState(STATE.stopOnCancel) === 'false') {
      core.info(`pipewarden: execution ${executionId} left running (stop-on-cancel: false)`);
      return;
    }
    const client = createCodePipelineClient();
    const region = await regionOf(client, pipelineName);
    const outcome = await stopIfRunning(client, {
      pipelineName,
      executionId,
      region,
      reason: stopReason('GitHub workflow run cancelled:', githubRun()),
    });
    core.info(`pipewarden: ${pipelineName} execution ${executionId}: ${outcome}`);
  } catch (error) {
    fail(error);
  }
}
