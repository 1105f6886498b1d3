import type { ParsedFinding } from '../model/finding.js';
import type { CdkAssemblyFiles } from './locate-in-cdk-assembly.js';
import { isObject } from './read-report-fields.js';
import type { ParseContext } from './parse-context.js';
import {
  isCdkNagV2Report,
  isCdkValidationReport,
  parseCdkNagV2Report,
  parseCdkValidationReport,
} from './parse-cdk-nag.js';
import { isCodeGuru, parseCodeGuru } from './parse-codeguru.js';
import { isCycloneDx, isInspector2, parseInspector2, parseInspectorSbom } from './parse-inspector.js';
import { isSarif, parseSarif } from './parse-sarif.js';
import { isSnykIac, isSnykTest, parseSnykIac, parseSnykTest } from './parse-snyk.js';

/**
 * What the loader can read beside a report, for the formats that point into it: read only when a parser
 * asks, so the parsers themselves read no files.
 */
export interface ReportBeside {
  /** The cloud assembly in the report's folder (cdk-nag v2 names constructs, the assembly places them). */
  cdkAssembly?: () => CdkAssemblyFiles;
}

/** A report format pipewarden recognizes by content. Order matters: the first match wins. */
export interface ReportFormat {
  id: string;
  /** How a user would name it (shown in the "no known report" error). */
  label: string;
  detect(json: unknown): boolean;
  parse(json: unknown, ctx: ParseContext, beside?: ReportBeside): ParsedFinding[];
}

export const REPORT_FORMATS: ReportFormat[] = [
  {
    id: 'sarif',
    label:
      'SARIF 2.1.0 (snyk code test --json, snyk test --sarif, snyk iac test --sarif, CodeQL, any SARIF tool)',
    detect: isSarif,
    parse: parseSarif,
  },
  { id: 'snyk-iac', label: 'snyk iac test --json', detect: isSnykIac, parse: parseSnykIac },
  {
    id: 'snyk-test',
    label: 'snyk test --json / snyk container test --json (object or --all-projects array)',
    detect: isSnykTest,
    parse: parseSnykTest,
  },
  {
    id: 'inspector-sbom',
    label: 'aws inspector-scan scan-sbom (CycloneDX 1.5)',
    detect: isCycloneDx,
    parse: parseInspectorSbom,
  },
  {
    id: 'inspector2',
    label:
      'Amazon Inspector findings (ListFindings, one finding, or an EventBridge "Inspector2 Finding" event)',
    detect: isInspector2,
    parse: parseInspector2,
  },
  {
    id: 'codeguru-security',
    label: 'Amazon CodeGuru Security GetFindings (saved JSON)',
    detect: isCodeGuru,
    parse: parseCodeGuru,
  },
  {
    id: 'cdk-validation',
    label: 'cdk synth validation report (cdk.out/validation-report.json: cdk-nag v3, cfn-guard)',
    detect: isCdkValidationReport,
    parse: parseCdkValidationReport,
  },
  {
    id: 'cdk-nag-v2',
    label: 'cdk-nag v2 NagReport (<Pack>-<Stack>-NagReport.json or .csv)',
    detect: isCdkNagV2Report,
    parse: parseCdkNagV2Report,
  },
];

export function detectFormat(json: unknown): ReportFormat | undefined {
  return REPORT_FORMATS.find((f) => f.detect(json));
}

/** `[]` and `{}`: JSON that says nothing, which no scanner writes for "no findings" (they write their report). */
export function isEmptyReport(json: unknown): boolean {
  return (Array.isArray(json) && json.length === 0) || (isObject(json) && Object.keys(json).length === 0);
}

/** The one-line refusal of an empty `[]` / `{}`: never read as zero findings (docs/findings.md, degraded input). */
export function emptyReportMessage(file: string, json: unknown): string {
  return `${file}: ${Array.isArray(json) ? '[]' : '{}'} is not a scan result (expected a scanner's report: SARIF, snyk --json, scan-sbom CycloneDX, Inspector or CodeGuru findings); a scan that finds nothing still writes its report: pass that file`;
}
