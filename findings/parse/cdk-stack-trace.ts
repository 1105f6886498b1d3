import type { FindingLocation } from '../model/finding.js';
import type { ParseContext } from './parse-context.js';

/**
 * The innermost frame in the user's own code: aws-cdk-lib's trace formatter elides library and Node
 * frames ("...new Queue2 in aws-cdk-lib..."), older ones print them with node_modules paths.
 */
export function userFrame(trace: string): { file: string; line: number; column?: number } | undefined {
  for (const raw of trace.split('\n')) {
    const text = raw.trim();
    if (!text || text.startsWith('...')) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+)(?::(\d+))?\)?$/.exec(text);
    if (!m) continue;
    const file = m[1]!;
    if (/(^|[\\/])node_modules[\\/]/.test(file) || /^(node:|internal[\\/])/.test(file)) continue;
    return { file, line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}) };
  }
  return undefined;
}

/** The location of the first trace with a user frame (construct creation traces, innermost first). */
export function locationFromTraces(traces: unknown, ctx: ParseContext): FindingLocation | undefined {
  if (!Array.isArray(traces)) return undefined;
  for (const trace of traces) {
    const frame = typeof trace === 'string' ? userFrame(trace) : undefined;
    if (frame)
      return ctx.location(frame.file, {
        startLine: frame.line,
        ...(frame.column ? { startColumn: frame.column } : {}),
      });
  }
  return undefined;
}
