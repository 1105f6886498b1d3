import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PipewardenError } from '../errors.js';
import type { FindingLocation, ParsedFinding } from '../model/finding.js';
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
const CSV_HEADER = 'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info';
const CSV_KEYS = ['ruleId', 'resourceId', 'compliance', 'exceptionReason', 'ruleLevel', 'ruleInfo'] as const;

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

// ---------------------------------------------------------------- stack traces

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

function locationFromTraces(traces: unknown, ctx: ParseContext): FindingLocation | undefined {
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

export function parseCdkNagV2Report(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const lines = arrayAt(objectAt(json, '(root)').lines, 'lines');
  const pack = /^(.+?)-.+-NagReport\.(json|csv)$/i.exec(basename(ctx.file))?.[1];
  const assembly = new AssemblyIndex(dirname(resolve(ctx.file)), ctx);
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
    const location = assembly.locate(resource);
    if (location) finding.location = location;
    out.push(finding);
  });
  return out;
}

/**
 * What the cloud assembly beside a v2 report says about a construct: its creation stack trace when the
 * app recorded one (source file and line), else its resource in the template (`aws:cdk:path` metadata).
 */
class AssemblyIndex {
  private traces?: Map<string, string[]>;
  private templates?: { file: string; text: string; byPath: Map<string, string> }[];
  constructor(
    private readonly dir: string,
    private readonly ctx: ParseContext,
  ) {}

  locate(constructPath: string): FindingLocation | undefined {
    const trace = this.creationTrace(constructPath);
    const fromTrace = trace ? locationFromTraces([trace.join('\n')], this.ctx) : undefined;
    return fromTrace ?? this.templateLocation(constructPath);
  }

  private creationTrace(constructPath: string): string[] | undefined {
    this.traces ??= this.readTraces();
    return this.traces.get(`/${constructPath.replace(/^\//, '')}`);
  }

  private readTraces(): Map<string, string[]> {
    const traces = new Map<string, string[]>();
    const add = (metadata: unknown) => {
      if (!isObject(metadata)) return;
      for (const [path, entries] of Object.entries(metadata)) {
        if (!Array.isArray(entries)) continue;
        for (const e of entries)
          if (isObject(e) && e.type === 'aws:cdk:creationStack' && Array.isArray(e.data))
            traces.set(
              path,
              e.data.filter((x): x is string => typeof x === 'string'),
            );
      }
    };
    const manifest = readJson(join(this.dir, 'manifest.json'));
    const files = new Set<string>();
    if (isObject(manifest) && isObject(manifest.artifacts))
      for (const artifact of Object.values(manifest.artifacts)) {
        if (!isObject(artifact)) continue;
        add(artifact.metadata); // older aws-cdk-lib kept the metadata in the manifest itself
        if (typeof artifact.additionalMetadataFile === 'string') files.add(artifact.additionalMetadataFile);
      }
    else for (const f of this.list()) if (f.endsWith('.metadata.json')) files.add(f);
    for (const f of files) add(readJson(join(this.dir, f)));
    return traces;
  }

  private templateLocation(constructPath: string): FindingLocation | undefined {
    this.templates ??= this.list()
      .filter((f) => f.endsWith('.template.json'))
      .flatMap((f) => {
        const file = join(this.dir, f);
        const text = readText(file);
        const json = text === undefined ? undefined : parseOrUndefined(text);
        if (!isObject(json) || !isObject(json.Resources)) return [];
        const byPath = new Map<string, string>();
        for (const [logicalId, r] of Object.entries(json.Resources))
          if (isObject(r) && isObject(r.Metadata) && typeof r.Metadata['aws:cdk:path'] === 'string')
            byPath.set(r.Metadata['aws:cdk:path'], logicalId);
        return [{ file, text: text!, byPath }];
      });
    for (const t of this.templates) {
      const logicalId = t.byPath.get(constructPath);
      if (!logicalId) continue;
      const offset = t.text.indexOf(`${JSON.stringify(logicalId)}:`);
      const startLine = offset < 0 ? undefined : t.text.slice(0, offset).split('\n').length;
      return this.ctx.location(t.file, startLine ? { startLine } : {});
    }
    return undefined;
  }

  private list(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }
}

function readText(file: string): string | undefined {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  const text = readText(file);
  return text === undefined ? undefined : parseOrUndefined(text);
}

// ---------------------------------------------------------------- v2 CSV

/**
 * cdk-nag v2's CSV report, the one input that is not JSON: recognized by its header line and turned into
 * the JSON report's `{"lines": [...]}`. Returns undefined for any other file (the JSON reader takes over).
 */
export async function readNagReportCsv(file: string): Promise<unknown> {
  let head: string;
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(CSV_HEADER.length + 3);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // unreadable: the JSON reader reports it the usual way
  }
  if (!head.startsWith(CSV_HEADER)) return undefined;
  return parseNagReportCsv(readFileSync(file, 'utf8'), file);
}

export function parseNagReportCsv(text: string, file: string): { lines: Record<string, string>[] } {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''), file);
  const header = rows.shift();
  if (header?.join(',') !== CSV_HEADER)
    throw new PipewardenError(`${file}: not a cdk-nag CSV report (expected the header "${CSV_HEADER}")`);
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

/** RFC 4180: quoted fields, doubled quotes, line breaks inside quotes. */
function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
    i++;
  }
  if (quoted)
    throw new PipewardenError(`${file}: cdk-nag CSV report with an unterminated quote at line ${line}`);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
