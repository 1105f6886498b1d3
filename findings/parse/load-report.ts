import { PipewardenError } from '../errors.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import { fingerprintAll } from '../model/fingerprint.js';
import { SEVERITIES } from '../model/severity.js';
import type { PathOptions } from '../paths/normalize-path.js';
import { isObject, ReportFieldError } from './field-error.js';
import { detectFormat, isEmptyReport, REPORT_FORMATS } from './formats.js';
import { readNagReportCsv } from './parse-cdk-nag.js';
import { ParseContext } from './parse-context.js';
import { readJsonFile } from './read-json.js';

export interface LoadedReport {
  file: string;
  format: string;
  findings: Finding[];
  warnings: string[];
  /** Set when the input was a pipewarden findings document (a previous run's output). */
  document?: FindingsDocument;
}

export function isFindingsDocument(json: unknown): json is FindingsDocument {
  return (
    isObject(json) &&
    typeof json.schemaVersion === 'string' &&
    Array.isArray(json.findings) &&
    isObject(json.generator)
  );
}

/** Reads one report, recognizes it by content, and returns fingerprinted findings or a one-line error. */
export async function loadReport(file: string, paths: PathOptions): Promise<LoadedReport> {
  // cdk-nag v2's CSV report is the one input that is not JSON: recognized by its header line.
  return parseReport((await readNagReportCsv(file)) ?? (await readJsonFile(file)), file, paths);
}

export function parseReport(json: unknown, file: string, paths: PathOptions): LoadedReport {
  if (isFindingsDocument(json))
    return { file, format: 'pipewarden', findings: checkDocument(json, file), warnings: [], document: json };
  const format = detectFormat(json);
  if (!format) {
    if (isEmptyReport(json)) return { file, format: 'empty', findings: [], warnings: [] };
    throw new PipewardenError(
      `${file}: JSON, but not a report pipewarden knows; known reports: ${REPORT_FORMATS.map((f) => f.label).join('; ')}, or a pipewarden findings document`,
    );
  }
  const ctx = new ParseContext(file, paths);
  try {
    const parsed = format.parse(json, ctx);
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

/** A findings document read back (baseline, or `report` over a previous output) must hold what its schema promises. */
function checkDocument(doc: FindingsDocument, file: string): Finding[] {
  if (doc.schemaVersion !== '1.0')
    throw new PipewardenError(
      `${file}: findings document schemaVersion ${doc.schemaVersion} is not supported (expected 1.0); regenerate it with this pipewarden`,
    );
  doc.findings.forEach((f, i) => {
    const bad = (field: string) =>
      new PipewardenError(
        `${file}: findings document with a broken field: findings[${i}].${field}; regenerate it with pipewarden report --format json`,
      );
    if (!isObject(f)) throw bad('(not an object)');
    if (typeof f.fingerprint !== 'string' || !f.fingerprint) throw bad('fingerprint');
    if (!SEVERITIES.includes(f.severity)) throw bad('severity');
    if (typeof f.ruleId !== 'string') throw bad('ruleId');
    if (!Array.isArray(f.sources)) throw bad('sources');
    if (!Array.isArray(f.vulnerabilityIds)) throw bad('vulnerabilityIds');
  });
  return doc.findings.map((f) => {
    const { status: _status, ...rest } = f;
    // Config suppressions are re-applied from the current config; scanner ones stay.
    if (rest.suppression?.source === 'config') delete rest.suppression;
    return rest;
  });
}
