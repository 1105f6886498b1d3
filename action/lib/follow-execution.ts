import { setTimeout as delay } from 'node:timers/promises';
import {
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { isRetryable } from '../../pipeline/aws-errors.js';
import { TERMINAL_STATUSES } from '../../pipeline/execution-status.js';
import { listActionExecutions } from '../../pipeline/list-action-executions.js';
import { explainAwsError } from './explain-aws-error.js';
import { TransitionPrinter, type Extra } from './print-transitions.js';
import type { ActionRecord, Logger, PipelineShape } from './types.js';

export interface FollowParams {
  pipelineName: string;
  executionId: string;
  pipeline: PipelineShape;
  region: string;
  /** Epoch milliseconds after which following gives up (timeout-minutes). */
  deadline: number;
  poll: { initialMs: number; maxMs: number };
  /** Aborted when the workflow is cancelled. */
  signal?: AbortSignal;
}

export interface FollowDeps {
  log: Logger;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface FollowResult {
  outcome: 'finished' | 'timeout' | 'aborted';
  /** The execution's last status seen (InProgress when it timed out or was aborted). */
  status: string;
  statusSummary?: string;
  actions: ActionRecord[];
  polls: number;
}

/** Back-off after throttling or a 5xx never waits longer than this. */
const MAX_ERROR_BACKOFF_MS = 30_000;
/** Transient errors in a row before giving up (each already retried by the SDK). */
const MAX_TRANSIENT_ERRORS = 8;
/** GetPipelineExecution may not know a just-started execution for a moment. */
const NOT_FOUND_GRACE_POLLS = 5;
/** GetPipelineState look-ups per action for a link or message ListActionExecutions lacks. */
const MAX_STATE_LOOKUPS = 5;

/** Waits, or ends early and quietly when the workflow is cancelled (the loop then sees the signal). */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {}).catch((error: unknown) => {
    if (!signal?.aborted) throw error;
  });
}

/**
 * Polls the execution until it ends, the deadline passes or the signal aborts. Each poll reads the status
 * (GetPipelineExecution) and the action executions (ListActionExecutions) together; the interval starts at
 * poll.initialMs, grows ×1.5 while nothing changes up to poll.maxMs, and doubles after throttling.
 */
export async function followExecution(
  client: CodePipelineClient,
  p: FollowParams,
  deps: FollowDeps,
): Promise<FollowResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? abortableSleep;
  const printer = new TransitionPrinter(p.pipeline, p.region, deps.log);
  const stateLookups = new Map<string, number>();
  let interval = p.poll.initialMs;
  let status = 'InProgress';
  let statusSummary: string | undefined;
  let transientErrors = 0;
  let polls = 0;
  const ctx = { pipelineName: p.pipelineName, region: p.region };
  const result = (outcome: FollowResult['outcome']): FollowResult => {
    printer.close();
    return { outcome, status, statusSummary, actions: printer.ordered(), polls };
  };

  for (;;) {
    if (p.signal?.aborted) return result('aborted');
    if (now() >= p.deadline) return result('timeout');
    polls += 1;
    try {
      const [execution, details] = await Promise.all([
        tagged(
          'GetPipelineExecution',
          client.send(
            new GetPipelineExecutionCommand({
              pipelineName: p.pipelineName,
              pipelineExecutionId: p.executionId,
            }),
            { abortSignal: p.signal },
          ),
        ),
        tagged('ListActionExecutions', listActionExecutions(client, p.pipelineName, p.executionId, p.signal)),
      ]);
      transientErrors = 0;
      const changedStatus = execution.pipelineExecution?.status !== status;
      status = execution.pipelineExecution?.status ?? status;
      statusSummary = execution.pipelineExecution?.statusSummary;
      // The two calls ran in parallel: once the execution has ended, read its actions once more so the last
      // transitions (and the failed action) are not lost to a list taken a moment before the end.
      const final = TERMINAL_STATUSES.has(status)
        ? await tagged(
            'ListActionExecutions',
            listActionExecutions(client, p.pipelineName, p.executionId, p.signal),
          )
        : details;
      // GetPipelineState knows running builds' links and failed actions' messages before
      // ListActionExecutions does: ask it before printing, a bounded number of times per action.
      const lacking = printer
        .preview(final)
        .filter((r) => printer.lacks(r) && (stateLookups.get(r.id) ?? 0) < MAX_STATE_LOOKUPS);
      for (const r of lacking) stateLookups.set(r.id, (stateLookups.get(r.id) ?? 0) + 1);
      const extras = lacking.length > 0 ? await readStateExtras(client, p, deps.log) : undefined;
      const changed = printer.update(final, extras) || changedStatus;
      if (TERMINAL_STATUSES.has(status)) return result('finished');
      interval = changed ? p.poll.initialMs : Math.min(p.poll.maxMs, Math.ceil(interval * 1.5));
    } catch (error) {
      if (p.signal?.aborted) return result('aborted');
      const name = (error as { name?: string }).name;
      if (name === 'PipelineExecutionNotFoundException' && polls <= NOT_FOUND_GRACE_POLLS) {
        deps.log.debug(`execution ${p.executionId} not visible yet, polling again`);
      } else if (isRetryable(error) && transientErrors < MAX_TRANSIENT_ERRORS) {
        transientErrors += 1;
        interval = Math.min(MAX_ERROR_BACKOFF_MS, Math.max(interval * 2, p.poll.maxMs));
        deps.log.info(
          `CodePipeline answered ${name ?? 'an error'}; polling again in ${Math.round(interval / 1000)}s`,
        );
      } else {
        printer.close();
        throw explainAwsError(error, { ...ctx, operation: operationOf(error) });
      }
    }
    const left = p.deadline - now();
    await sleep(Math.max(0, Math.min(interval, left)), p.signal);
  }
}

/** Links, messages and summaries GetPipelineState has for the latest action executions. */
async function readStateExtras(
  client: CodePipelineClient,
  p: FollowParams,
  log: Logger,
): Promise<Map<string, Extra>> {
  const extras = new Map<string, Extra>();
  try {
    const state = await client.send(new GetPipelineStateCommand({ name: p.pipelineName }), {
      abortSignal: p.signal,
    });
    for (const stage of state.stageStates ?? [])
      for (const a of stage.actionStates ?? []) {
        const latest = a.latestExecution;
        if (!latest?.actionExecutionId) continue;
        extras.set(latest.actionExecutionId, {
          url: latest.externalExecutionUrl,
          errorMessage: latest.errorDetails?.message,
          summary: latest.summary,
        });
      }
  } catch (error) {
    // Links and messages are a nicety: never fail the step over them.
    log.debug(`GetPipelineState: ${(error as Error).message}`);
  }
  return extras;
}

const OPERATION = Symbol('operation');

/** Remembers which of the parallel calls failed, for the error message. */
async function tagged<T>(operation: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error && typeof error === 'object') (error as { [OPERATION]?: string })[OPERATION] ??= operation;
    throw error;
  }
}

function operationOf(error: unknown): string {
  return (error as { [OPERATION]?: string } | undefined)?.[OPERATION] ?? 'GetPipelineExecution';
}
