import { assertFindingsDocument, claimsToBeFindingsDocument } from '../document/validate-document.js';
import { PipewardenError } from '../errors.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import { fingerprintAll } from '../model/fingerprint.js';
import type { PathOptions } from '../paths/normalize-path.js';
import { ReportFieldError } from './read-report-fields.js';
import { detectFormat, emptyReportMessage, isEmptyReport, type ReportBeside } from './formats.js';
import { ParseContext } from './parse-context.js';

export interface LoadedReport {
  file: string;
  format: string;
  findings: Finding[];
  warnings: string[];
  /** Set when the input was a pipewarden findings document (a previous run's output). */
  document?: FindingsDocument;
}

const KNOWN_BRIEFLY =
  'SARIF 2.1.0, snyk test / snyk iac test --json, inspector-scan scan-sbom, Inspector2, CodeGuru, cdk-nag, pipewarden JSON';

/** `beside`: what the report points into (the files a caller read next to it); without it, no such lookups. */
export function parseReport(
  json: unknown,
  file: string,
  paths: PathOptions,
  beside: ReportBeside = {},
): LoadedReport {
  if (claimsToBeFindingsDocument(json)) {
    // Checked against the committed schema: every field a renderer reads has its type, or the file is refused.
    const doc = assertFindingsDocument(json, file);
    return { file, format: 'pipewarden', findings: documentFindings(doc), warnings: [], document: doc };
  }
  const format = detectFormat(json);
  if (!format) {
    if (isEmptyReport(json)) throw new PipewardenError(emptyReportMessage(file, json));
    // Short on purpose (one readable line): docs/findings.md lists every format with its command.
    throw new PipewardenError(
      `${file}: JSON, but not a report pipewarden knows; known reports: ${KNOWN_BRIEFLY}`,
    );
  }
  const ctx = new ParseContext(file, paths);
  try {
    const parsed = format.parse(json, ctx, beside);
    return { file, format: format.id, findings: fingerprintAll(parsed, file), warnings: ctx.warnings };
  } catch (error) {
    if (error instanceof ReportFieldError)
      throw new PipewardenError(
        `${file}: ${format.id} report with a broken field: ${error.message}; regenerate the report with the scanner's JSON output`,
        {
          cause: error,
        },
      );
    throw error;
  }
}

/** The findings of a document read back, ready to be triaged again. */
function documentFindings(doc: FindingsDocument): Finding[] {
  return doc.findings.map((f) => {
    const { status: _status, ...rest } = f;
    // Config suppressions are re-applied from the current config; scanner ones stay.
    if (rest.suppression?.source === 'config') delete rest.suppression;
    return rest;
  });
}
