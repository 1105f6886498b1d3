import { dirname, resolve } from 'node:path';
import { PipewardenError } from '../errors.js';
import type { PathOptions } from '../paths/normalize-path.js';
import type { ReportBeside } from '../parse/formats.js';
import { parseJsonText } from '../parse/parse-json-text.js';
import { NAG_CSV_HEADER, parseNagReportCsv } from '../parse/parse-nag-report-csv.js';
import { parseReport, type LoadedReport } from '../parse/parse-report.js';
import { readCdkAssembly } from './read-cdk-assembly.js';
import { readReportText } from './read-report-text.js';

/** `-`: the report on stdin, JSON or cdk-nag's CSV, as Unix tools read it. */
export const STDIN = '-';

export interface LoadOptions {
  /**
   * The cloud assembly a cdk-nag report points into (`--cdk-out`). Default: the report file's own folder,
   * where cdk-nag writes it; a report on stdin has no folder, so it gets none unless this is given.
   */
  cdkOut?: string;
}

/** Reads one report, recognizes it by content, and returns fingerprinted findings or a one-line error. */
export async function loadReport(
  file: string,
  paths: PathOptions,
  options: LoadOptions = {},
): Promise<LoadedReport> {
  // Any failure deep in a hostile nesting is the file's fault, named, never "Maximum call stack size exceeded".
  try {
    const assemblyDir = options.cdkOut ?? (file === STDIN ? undefined : dirname(resolve(file)));
    const beside: ReportBeside = assemblyDir ? { cdkAssembly: () => readCdkAssembly(assemblyDir) } : {};
    const text = file === STDIN ? await readStdin() : await readReportText(file);
    return parseReport(parseReportText(text, file === STDIN ? '(stdin)' : file), file, paths, beside);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw tooDeep(file, error);
    throw error;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * cdk-nag v2's CSV report is the one input that is not JSON: recognized by its header line (after a byte-order
 * mark) and turned into the JSON report's `{"lines": [...]}`; anything else is parsed as JSON.
 */
function parseReportText(text: string, name: string): unknown {
  return text.replace(/^\uFEFF/, '').startsWith(NAG_CSV_HEADER)
    ? parseNagReportCsv(text, name)
    : parseJsonText(text, name);
}

function tooDeep(file: string, cause: unknown): PipewardenError {
  return new PipewardenError(
    `${file}: nested too deeply for pipewarden to read (thousands of levels); no scanner writes that: regenerate the report`,
    { cause },
  );
}
