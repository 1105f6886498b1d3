import { PipewardenError } from '../../errors.js';
import { RENDERERS } from '../../render/renderers.js';
import { analyzeReports, type AnalyzeFlags } from '../analyze-reports.js';
import { accountFromBuildArn } from '../scan-context.js';
import { oneLine } from '../one-line.js';
import { writeOutput } from '../write-output.js';

export interface ReportFlags extends AnalyzeFlags {
  format: string;
  out?: string;
  account?: string;
  region?: string;
  max?: string;
}

export async function runReport(files: string[], flags: ReportFlags): Promise<number> {
  const render = RENDERERS.get(flags.format);
  if (!render)
    throw new PipewardenError(
      `--format ${flags.format}: unknown; use one of ${[...RENDERERS.keys()].join(', ')}`,
    );
  let max: number | undefined;
  if (flags.max !== undefined) {
    max = Number(flags.max);
    if (!Number.isInteger(max) || max < 0)
      throw new PipewardenError(`--max ${flags.max}: not a whole number ≥ 0`);
  }
  const doc = await analyzeReports(files, flags, { missingIsError: true });
  const accountId = flags.account ?? accountFromBuildArn(process.env.CODEBUILD_BUILD_ARN);
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const output = render(doc, {
    ...(accountId ? { accountId } : {}),
    ...(region ? { region } : {}),
    ...(max !== undefined ? { max } : {}),
  });
  await writeOutput(flags.out, output);
  for (const w of doc.warnings) process.stderr.write(`pipewarden: warning: ${oneLine(w)}\n`);
  return 0;
}
