import type { FindingLocation } from '../model/finding.js';
import { locationFromTraces } from './cdk-stack-trace.js';
import type { ParseContext } from './parse-context.js';
import { isObject } from './read-report-fields.js';

/** The files of the cloud assembly beside a cdk-nag v2 report, as read by findings/load/read-cdk-assembly.ts. */
export interface CdkAssemblyFiles {
  /** `aws:cdk` metadata objects (construct path → entries), in the assembly's order: a later one wins. */
  metadata: unknown[];
  /** The stack templates (`*.template.json`) in directory order, with their text: a line is found in it. */
  templates: { file: string; text: string }[];
}

/**
 * What the cloud assembly says about a construct: its creation stack trace when the app recorded one
 * (source file and line), else its resource in the template (`aws:cdk:path` metadata). The files are
 * read on the first question, so a report with nothing to locate reads none.
 */
export class CdkAssemblyIndex {
  private files?: CdkAssemblyFiles;
  private traces?: Map<string, string[]>;
  private templates?: { file: string; text: string; byPath: Map<string, string>; lineStarts?: number[] }[];
  constructor(
    private readonly read: () => CdkAssemblyFiles,
    private readonly ctx: ParseContext,
  ) {}

  locate(constructPath: string): FindingLocation | undefined {
    const trace = this.creationTrace(constructPath);
    const fromTrace = trace ? locationFromTraces([trace.join('\n')], this.ctx) : undefined;
    return fromTrace ?? this.templateLocation(constructPath);
  }

  private creationTrace(constructPath: string): string[] | undefined {
    this.traces ??= creationTraces((this.files ??= this.read()).metadata);
    return this.traces.get(`/${constructPath.replace(/^\//, '')}`);
  }

  private templateLocation(constructPath: string): FindingLocation | undefined {
    this.templates ??= (this.files ??= this.read()).templates.flatMap(({ file, text }) => {
      const json = parseOrUndefined(text);
      if (!isObject(json) || !isObject(json.Resources)) return [];
      const byPath = new Map<string, string>();
      for (const [logicalId, r] of Object.entries(json.Resources))
        if (isObject(r) && isObject(r.Metadata) && typeof r.Metadata['aws:cdk:path'] === 'string')
          byPath.set(r.Metadata['aws:cdk:path'], logicalId);
      return [{ file, text, byPath }];
    });
    for (const t of this.templates) {
      const logicalId = t.byPath.get(constructPath);
      if (!logicalId) continue;
      const offset = t.text.indexOf(`${JSON.stringify(logicalId)}:`);
      // The template's line starts are indexed once, on its first located finding: no copy per finding.
      const startLine = offset < 0 ? undefined : lineOf(offset, (t.lineStarts ??= lineStarts(t.text)));
      return this.ctx.location(t.file, startLine ? { startLine } : {});
    }
    return undefined;
  }
}

/** The offset of every line's first character (line 1 at 0). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based line holding `offset`: the last line start at or before it. */
function lineOf(offset: number, starts: number[]): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function creationTraces(metadata: unknown[]): Map<string, string[]> {
  const traces = new Map<string, string[]>();
  for (const m of metadata) {
    if (!isObject(m)) continue;
    for (const [path, entries] of Object.entries(m)) {
      if (!Array.isArray(entries)) continue;
      for (const e of entries)
        if (isObject(e) && e.type === 'aws:cdk:creationStack' && Array.isArray(e.data))
          traces.set(
            path,
            e.data.filter((x): x is string => typeof x === 'string'),
          );
    }
  }
  return traces;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
