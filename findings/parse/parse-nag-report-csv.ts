import { PipewardenError } from '../errors.js';
import { parseCsv } from './parse-csv.js';

/** The first line of cdk-nag v2's CSV report, by which it is recognized. */
export const NAG_CSV_HEADER = 'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info';
const CSV_KEYS = ['ruleId', 'resourceId', 'compliance', 'exceptionReason', 'ruleLevel', 'ruleInfo'] as const;

/** cdk-nag v2's CSV report turned into the JSON report's `{"lines": [...]}`. */
export function parseNagReportCsv(text: string, file: string): { lines: Record<string, string>[] } {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''), `${file}: cdk-nag CSV report`);
  const header = rows.shift();
  if (header?.join(',') !== NAG_CSV_HEADER)
    throw new PipewardenError(`${file}: not a cdk-nag CSV report (expected the header "${NAG_CSV_HEADER}")`);
  const lines = rows
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r, i) => {
      if (r.length !== CSV_KEYS.length)
        throw new PipewardenError(
          `${file}: cdk-nag CSV report, row ${i + 2} has ${r.length} fields instead of ${CSV_KEYS.length}; regenerate it with cdk synth`,
        );
      return Object.fromEntries(CSV_KEYS.map((k, j) => [k, r[j]!]));
    });
  return { lines };
}
