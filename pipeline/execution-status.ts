/** CodePipeline's PipelineExecutionStatus values (API reference, PipelineExecution.status). */
export type ExecutionStatus =
  'Cancelled' | 'InProgress' | 'Stopped' | 'Stopping' | 'Succeeded' | 'Superseded' | 'Failed';

/** The execution statuses after which nothing changes any more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  'Cancelled',
  'Stopped',
  'Succeeded',
  'Superseded',
  'Failed',
]);

export const isTerminal = (status: string | undefined): boolean =>
  status !== undefined && TERMINAL_STATUSES.has(status);

/**
 * One icon per execution, stage and action status (ActionExecutionStatus adds Abandoned, stages add
 * Skipped), plus `TimedOut` (the action gave up following) and `NotReached` (the run never got there).
 */
export const STATUS_ICONS: Readonly<Record<string, string>> = {
  Succeeded: '✅',
  Failed: '❌',
  InProgress: '⏳',
  Stopping: '⏹️',
  Stopped: '⏹️',
  Cancelled: '⏹️',
  Abandoned: '⏹️',
  Superseded: '⏭️',
  Skipped: '⏭️',
  TimedOut: '⏱️',
  NotReached: '·',
};

export const statusIcon = (status: string): string => STATUS_ICONS[status] ?? '';
