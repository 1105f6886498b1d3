import type { ActionExecutionDetail } from '@aws-sdk/client-codepipeline';
import { codeBuildLogUrl } from '../../pipeline/console-url.js';
import { clock, duration, oneLine, span } from './format.js';
import type { ActionRecord, Logger, PipelineShape } from './types.js';

export interface Extra {
  url?: string;
  errorMessage?: string;
  summary?: string;
}

interface LogEvent {
  time: number;
  stage: string;
  line: string;
  closesStage?: boolean;
}

/**
 * Turns successive ListActionExecutions answers into log lines: every action and stage transition printed
 * once, with the time CodePipeline recorded it, inside one collapsible group per stage.
 */
export class TransitionPrinter {
  readonly records = new Map<string, ActionRecord>();
  private readonly printed = new Set<string>();
  private readonly stageStatus = new Map<string, string>();
  private openStage: string | undefined;

  constructor(
    private readonly pipeline: PipelineShape,
    private readonly region: string,
    private readonly log: Logger,
  ) {}

  /**
   * Takes the latest action executions, with what GetPipelineState added (by action execution id);
   * prints what changed and returns whether anything did.
   */
  update(details: ActionExecutionDetail[], extras: Map<string, Extra> = new Map()): boolean {
    const events: LogEvent[] = [];
    for (const rec of this.preview(details)) {
      const before = this.records.get(rec.id);
      const extra = extras.get(rec.id);
      // Keep a link or message learned earlier when ListActionExecutions has none yet.
      rec.url ??= extra?.url ?? before?.url;
      rec.errorMessage ??= extra?.errorMessage ?? before?.errorMessage;
      rec.summary ??= extra?.summary ?? before?.summary;
      this.records.set(rec.id, rec);
      events.push(...this.actionEvents(rec));
    }
    events.push(...this.stageEvents());
    this.emit(events);
    return events.length > 0;
  }

  /** The records these details would give, without printing anything. */
  preview(details: ActionExecutionDetail[]): ActionRecord[] {
    return details.map((d) => this.toRecord(d));
  }

  /** Whether a record still lacks what GetPipelineState could give: a running build's link, a failure's message. */
  lacks(r: ActionRecord): 'link' | 'message' | undefined {
    const known = this.records.get(r.id);
    if (r.status === 'InProgress' && r.provider === 'CodeBuild' && !r.url && !known?.url) return 'link';
    if (r.status === 'Failed' && !r.errorMessage && !known?.errorMessage) return 'message';
    return undefined;
  }

  /** Closes the open group at the end of the execution. */
  close(): void {
    if (this.openStage !== undefined) this.log.endGroup();
    this.openStage = undefined;
  }

  /** Action executions in the order they started. */
  ordered(): ActionRecord[] {
    return [...this.records.values()].sort(
      (a, b) => (a.startTime?.getTime() ?? 0) - (b.startTime?.getTime() ?? 0) || a.id.localeCompare(b.id),
    );
  }

  private toRecord(d: ActionExecutionDetail): ActionRecord {
    const stage = d.stageName ?? '?';
    const action = d.actionName ?? '?';
    const provider =
      d.input?.actionTypeId?.provider ??
      this.pipeline.stages.find((s) => s.name === stage)?.actions.find((a) => a.name === action)?.provider;
    const result = d.output?.executionResult;
    const url =
      result?.externalExecutionUrl ??
      (provider === 'CodeBuild' && result?.externalExecutionId
        ? codeBuildLogUrl(this.region, result.externalExecutionId)
        : undefined);
    return {
      id: d.actionExecutionId ?? `${stage}/${action}/${d.startTime?.getTime() ?? 0}`,
      stage,
      action,
      provider,
      status: d.status ?? 'InProgress',
      startTime: d.startTime,
      lastUpdateTime: d.lastUpdateTime,
      url,
      summary: result?.externalExecutionSummary,
      errorCode: result?.errorDetails?.code,
      errorMessage: result?.errorDetails?.message,
    };
  }

  private actionEvents(r: ActionRecord): LogEvent[] {
    const events: LogEvent[] = [];
    const name = `${r.stage} › ${r.action}`;
    const statusKey = `${r.id}:${r.status}`;
    if (!this.printed.has(`${r.id}:InProgress`) && r.status !== 'InProgress') {
      // Started and finished between two polls: still say when it started.
      this.printed.add(`${r.id}:InProgress`);
      events.push({
        time: r.startTime?.getTime() ?? 0,
        stage: r.stage,
        line: this.startLine(r, name, false),
      });
    }
    if (!this.printed.has(statusKey)) {
      this.printed.add(statusKey);
      if (r.status === 'InProgress') {
        if (r.url) this.printed.add(`${r.id}:url`);
        events.push({
          time: r.startTime?.getTime() ?? 0,
          stage: r.stage,
          line: this.startLine(r, name, true),
        });
      } else {
        const took = duration(span(r.startTime, r.lastUpdateTime));
        const detail =
          r.status === 'Succeeded' ? oneLine(r.summary, 200) : oneLine(r.errorMessage ?? r.summary, 500);
        const link = r.url && r.status !== 'Succeeded' ? `  → ${r.url}` : '';
        events.push({
          time: r.lastUpdateTime?.getTime() ?? Date.now(),
          stage: r.stage,
          line: `${clock(r.lastUpdateTime)}  ${name}  ${r.status}${took ? ` after ${took}` : ''}${detail ? `: ${detail}` : ''}${link}`,
        });
        this.printed.add(`${r.id}:url`);
      }
    } else if (r.status === 'InProgress' && r.url && !this.printed.has(`${r.id}:url`)) {
      this.printed.add(`${r.id}:url`);
      events.push({
        time: Date.now(),
        stage: r.stage,
        line: `${clock(new Date())}  ${name}  logs → ${r.url}`,
      });
    }
    return events;
  }

  private startLine(r: ActionRecord, name: string, withLink: boolean): string {
    const provider = r.provider ? ` (${r.provider})` : '';
    const link = withLink && r.url ? `  logs → ${r.url}` : '';
    return `${clock(r.startTime)}  ${name}${provider}  started${link}`;
  }

  /** Stage status from its actions' latest attempts, against the pipeline's structure. */
  private stageEvents(): LogEvent[] {
    const events: LogEvent[] = [];
    for (const stage of this.pipeline.stages) {
      const latest = new Map<string, ActionRecord>();
      for (const r of this.ordered()) if (r.stage === stage.name) latest.set(r.action, r);
      if (latest.size === 0) continue;
      const all = [...latest.values()];
      let status = 'InProgress';
      if (!all.some((r) => r.status === 'InProgress')) {
        if (all.some((r) => r.status === 'Failed')) status = 'Failed';
        else if (all.some((r) => r.status === 'Abandoned')) status = 'Stopped';
        else if (stage.actions.every((a) => latest.get(a.name)?.status === 'Succeeded')) status = 'Succeeded';
      }
      if (this.stageStatus.get(stage.name) === status) continue;
      this.stageStatus.set(stage.name, status);
      if (status === 'InProgress') continue;
      const start = Math.min(...all.map((r) => r.startTime?.getTime() ?? Infinity));
      const end = Math.max(...all.map((r) => r.lastUpdateTime?.getTime() ?? 0));
      const took = Number.isFinite(start) && end > 0 ? duration(end - start) : '';
      events.push({
        time: end,
        stage: stage.name,
        line: `${clock(new Date(end))}  stage ${stage.name} ${status}${took ? ` in ${took}` : ''}`,
        closesStage: true,
      });
    }
    return events;
  }

  private emit(events: LogEvent[]): void {
    // Stable sort: within one instant, actions before the stage line that closes them.
    const sorted = events
      .map((e, i) => ({ e, i }))
      .sort(
        (a, b) => a.e.time - b.e.time || Number(!!a.e.closesStage) - Number(!!b.e.closesStage) || a.i - b.i,
      )
      .map(({ e }) => e);
    for (const e of sorted) {
      if (this.openStage !== e.stage) {
        this.close();
        this.log.startGroup(`Stage ${e.stage}`);
        this.openStage = e.stage;
      }
      this.log.info(e.line);
      if (e.closesStage) this.close();
    }
  }
}
