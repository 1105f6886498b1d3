import { basename } from 'node:path';
import type { ParsedFinding } from '../model/finding.js';
import { severityFromWord, type Severity } from '../model/severity.js';
import {
  arrayAt,
  isObject,
  objectAt,
  optionalArrayAt,
  optionalString,
  ReportFieldError,
  stringAt,
  type Json,
} from './read-report-fields.js';
import { locationFromTraces } from './cdk-stack-trace.js';
import type { ReportBeside } from './formats.js';
import { CdkAssemblyIndex } from './locate-in-cdk-assembly.js';
import type { ParseContext } from './parse-context.js';

/*
 * Two generations of cdk-nag output:
 *  - v3 (aws-cdk-lib ≥ 2.27x policy validation): `cdk.out/validation-report.json`, one entry per plugin
 *    (cdk-nag packs, cfn-guard…), violations with the construct path and the stack traces of its creation;
 *    acknowledgements made through aws-cdk-lib (`Pack::Rule-Id`) are listed under `suppressedViolations`.
 *  - v2 (NagReportLogger): `<Pack>-[<Stage>-]<Stack>-NagReport.json` (`{"lines": [...]}`) or `.csv`, one
 *    line per (rule, resource) with Compliant / Non-Compliant / Suppressed / UNKNOWN.
 */

const RULES_URL = 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md';

// ---------------------------------------------------------------- detection

/** `cdk.out/validation-report.json` (and the legacy `policy-validation-report.json`). */
export function isCdkValidationReport(json: unknown): boolean {
  return isObject(json) && json.title === 'Validation Report' && Array.isArray(json.pluginReports);
}

const isNagLine = (v: unknown): boolean =>
  isObject(v) && typeof v.ruleId === 'string' && typeof v.resourceId === 'string' && 'compliance' in v;

/** cdk-nag v2's NagReport (`{"lines": [...]}`; the CSV is turned into the same shape on reading). */
export function isCdkNagV2Report(json: unknown): boolean {
  return (
    isObject(json) &&
    Array.isArray(json.lines) &&
    Object.keys(json).every((k) => k === 'lines') &&
    json.lines.every(isNagLine)
  );
}

// ---------------------------------------------------------------- severity

/** Policy-validation severities (error / warning / info / fatal / a custom word) and v2 rule levels. */
function nagSeverity(word: string | undefined, ctx: ParseContext, field: string): Severity {
  switch (word?.toLowerCase()) {
    case 'fatal':
      return 'CRITICAL';
    case 'error':
      return 'HIGH';
    case 'warning':
    case 'warn':
      return 'MEDIUM';
    case 'info':
      return 'LOW';
    default: {
      const known = severityFromWord(word);
      if (known) return known;
      // A custom severity pipewarden cannot place: counted, at MEDIUM, and said so (never silently).
      ctx.warn(
        'severity word(s) that are not error, warning, info, fatal or a severity read as MEDIUM',
        `${field}: ${JSON.stringify(String(word).slice(0, 40))}`,
      );
      return 'MEDIUM';
    }
  }
}

/** The first sentence of a rule description: cdk-nag puts the finding first, the explanation after. */
function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text.trim());
  return (m?.[1] ?? text).trim().slice(0, 200);
}

// ---------------------------------------------------------------- v3 validation report

export function parseCdkValidationReport(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const root = objectAt(json, '(root)');
  const out: ParsedFinding[] = [];
  arrayAt(root.pluginReports, 'pluginReports').forEach((value, i) => {
    const field = `pluginReports[${i}]`;
    const report = objectAt(value, field);
    // v3 names the plugin at the top; the legacy report nests it in `summary`.
    const summary = isObject(report.summary) ? report.summary : {};
    const plugin = stringAt(report.pluginName ?? summary.pluginName, `${field}.pluginName`);
    const violations = optionalArrayAt(report.violations, `${field}.violations`);
    const suppressed = optionalArrayAt(report.suppressedViolations, `${field}.suppressedViolations`);
    const metadata = isObject(report.metadata)
      ? report.metadata
      : isObject(summary.metadata)
        ? summary.metadata
        : {};
    if (violations.length === 0 && suppressed.length === 0 && typeof metadata.error === 'string')
      // A plugin that crashed checked nothing: say so rather than report a clean result.
      ctx.warn(`validation plugin ${plugin} did not run: ${metadata.error}`);
    violations.forEach((v, j) =>
      out.push(
        ...violation(objectAt(v, `${field}.violations[${j}]`), `${field}.violations[${j}]`, plugin, ctx),
      ),
    );
    suppressed.forEach((v, j) => {
      const at = `${field}.suppressedViolations[${j}]`;
      const sv = objectAt(v, at);
      const id = optionalString(sv.acknowledgedId, `${at}.acknowledgedId`);
      const reason =
        optionalString(sv.reason, `${at}.reason`)?.trim() ||
        `acknowledged as ${id ?? 'this rule'} without a reason`;
      for (const f of violation(sv, at, plugin, ctx)) {
        f.suppression = { source: 'scanner', reason };
        out.push(f);
      }
    });
  });
  return out;
}

function violation(v: Json, field: string, plugin: string, ctx: ParseContext): ParsedFinding[] {
  const ruleId = stringAt(v.ruleName, `${field}.ruleName`);
  const description = optionalString(v.description, `${field}.description`) ?? ruleId;
  const custom = optionalString(v.customSeverity, `${field}.customSeverity`);
  const word = custom ?? optionalString(v.severity, `${field}.severity`) ?? 'error';
  // cdk-nag rule ids are `<Pack>-<Rule>`; any other plugin (cfn-guard…) is named for itself.
  const isNag = ruleId.startsWith(`${plugin}-`);
  const metadata = isObject(v.ruleMetadata) ? v.ruleMetadata : {};
  const docs = optionalString(
    metadata.DocumentationUrl ?? metadata.documentationUrl,
    `${field}.ruleMetadata`,
  );
  const fix = optionalString(v.suggestedFix ?? v.fix, `${field}.suggestedFix`);
  return arrayAt(v.violatingConstructs, `${field}.violatingConstructs`).map((c, k) => {
    const at = `${field}.violatingConstructs[${k}]`;
    const construct = objectAt(c, at);
    const path = optionalString(construct.constructPath, `${at}.constructPath`);
    const cfn = isObject(construct.cloudFormationResource) ? construct.cloudFormationResource : {};
    const logicalId = optionalString(cfn.logicalId ?? construct.resourceLogicalId, `${at}.logicalId`);
    const template = optionalString(cfn.templatePath ?? construct.templatePath, `${at}.templatePath`);
    const where = path ?? [template, logicalId].filter(Boolean).join('#');
    const finding: ParsedFinding = {
      tool: isNag ? 'cdk-nag' : plugin,
      kind: 'iac',
      ruleId,
      title: firstSentence(description),
      description: `${description}\n\nConstruct: ${where || 'unknown'}${logicalId && path ? ` (${logicalId})` : ''}`,
      severity: nagSeverity(word, ctx, field),
      originalSeverity: word,
      vulnerabilityIds: [],
      identity: `${plugin}|${ruleId}|${where}`,
      helpUri: docs ?? (isNag ? RULES_URL : undefined),
    };
    if (!finding.helpUri) delete finding.helpUri;
    if (fix) finding.remediation = fix;
    const location = locationFromTraces(construct.stackTraces, ctx);
    if (location) finding.location = location;
    return finding;
  });
}

// ---------------------------------------------------------------- v2 NagReport

/** `beside.cdkAssembly`: the cloud assembly beside the report, where the constructs' locations are found. */
export function parseCdkNagV2Report(
  json: unknown,
  ctx: ParseContext,
  beside: ReportBeside = {},
): ParsedFinding[] {
  const lines = arrayAt(objectAt(json, '(root)').lines, 'lines');
  const pack = /^(.+?)-.+-NagReport\.(json|csv)$/i.exec(basename(ctx.file))?.[1];
  const assembly = beside.cdkAssembly && new CdkAssemblyIndex(beside.cdkAssembly, ctx);
  const out: ParsedFinding[] = [];
  lines.forEach((value, i) => {
    const field = `lines[${i}]`;
    const line = objectAt(value, field);
    const ruleId = stringAt(line.ruleId, `${field}.ruleId`);
    const resource = stringAt(line.resourceId, `${field}.resourceId`);
    const compliance = stringAt(line.compliance, `${field}.compliance`);
    if (compliance === 'Compliant' || compliance === 'N/A') return;
    if (compliance === 'UNKNOWN') {
      ctx.warn(
        "rule(s) could not be evaluated (the rule threw; see cdk synth's output)",
        `${ruleId} on ${resource} (${field})`,
      );
      return;
    }
    if (compliance !== 'Non-Compliant' && compliance !== 'Suppressed')
      throw new ReportFieldError(
        `${field}.compliance`,
        'Compliant, Non-Compliant, Suppressed, UNKNOWN or N/A',
        compliance,
      );
    const info = optionalString(line.ruleInfo, `${field}.ruleInfo`) ?? ruleId;
    const level = optionalString(line.ruleLevel, `${field}.ruleLevel`) ?? 'Error';
    const finding: ParsedFinding = {
      tool: 'cdk-nag',
      kind: 'iac',
      ruleId,
      title: firstSentence(info),
      description: `${info}\n\nConstruct: ${resource}`,
      severity: nagSeverity(level, ctx, field),
      originalSeverity: level,
      vulnerabilityIds: [],
      identity: `${pack ?? ''}|${ruleId}|${resource}`,
      helpUri: RULES_URL,
    };
    if (compliance === 'Suppressed') {
      const reason = optionalString(line.exceptionReason, `${field}.exceptionReason`)?.trim();
      finding.suppression = {
        source: 'scanner',
        reason: reason && reason !== 'N/A' ? reason : 'suppressed with NagSuppressions',
      };
    }
    const location = assembly?.locate(resource);
    if (location) finding.location = location;
    out.push(finding);
  });
  return out;
}
