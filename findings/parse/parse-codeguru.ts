import type { ParsedFinding } from '../model/finding.js';
import {
  isObject,
  lineAt,
  objectAt,
  optionalArrayAt,
  optionalString,
  ReportFieldError,
  stringList,
  type Json,
} from './read-report-fields.js';
import { cweId, sortIds, type ParseContext } from './parse-context.js';

// Model: botocore codeguru-security/2018-05-10 (Finding, Vulnerability, FilePath, Remediation).
// A Map: a severity such as `constructor` must not be found on Object.prototype.
const SEVERITIES = new Map<unknown, ParsedFinding['severity']>([
  ['Critical', 'CRITICAL'],
  ['High', 'HIGH'],
  ['Medium', 'MEDIUM'],
  ['Low', 'LOW'],
  ['Info', 'INFO'],
]);

const looksLikeFinding = (v: unknown): v is Json =>
  isObject(v) &&
  typeof v.findingArn !== 'string' &&
  SEVERITIES.has(v.severity) &&
  ('detectorId' in v || 'vulnerability' in v || 'generatorId' in v || 'ruleId' in v);

/** A saved GetFindings response (`{"findings": [...], "nextToken": …}`) or a bare array of findings. */
export function isCodeGuru(json: unknown): boolean {
  const list = Array.isArray(json)
    ? json
    : isObject(json) && Array.isArray(json.findings)
      ? json.findings
      : undefined;
  if (!list) return false;
  if (list.length === 0) return isObject(json) && ('nextToken' in json || Object.keys(json).length === 1);
  return list.some(looksLikeFinding);
}

export function parseCodeGuru(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const list = Array.isArray(json) ? json : optionalArrayAt(objectAt(json, '(root)').findings, 'findings');
  const prefix = Array.isArray(json) ? '' : 'findings';
  let nonConformant = 0;
  let closed = 0;
  const out: ParsedFinding[] = [];
  list.forEach((value, i) => {
    const field = `${prefix}[${i}]`;
    const f = objectAt(value, field);
    const word = optionalString(f.severity, `${field}.severity`);
    const severity = SEVERITIES.get(word);
    if (!severity)
      throw new ReportFieldError(`${field}.severity`, 'Critical, High, Medium, Low or Info', f.severity);
    for (const t of ['createdAt', 'updatedAt'] as const)
      if (
        f[t] !== undefined &&
        typeof f[t] !== 'number' &&
        (typeof f[t] !== 'string' || Number.isNaN(Date.parse(f[t])))
      )
        throw new ReportFieldError(`${field}.${t}`, 'an ISO 8601 timestamp or epoch seconds', f[t]);
    if (f.status === 'Closed') {
      closed++;
      return;
    }
    const vuln = isObject(f.vulnerability) ? f.vulnerability : {};
    const fp = isObject(vuln.filePath) ? vuln.filePath : {};
    const remediation = isObject(f.remediation) ? f.remediation : {};
    // Tolerated non-conformant shapes (hand-written exports): recommendation / suggestedFixes at the top,
    // codeSnippet under vulnerability.
    const recommendation = isObject(remediation.recommendation)
      ? remediation.recommendation
      : isObject(f.recommendation)
        ? (nonConformant++, f.recommendation)
        : {};
    const snippetLines = Array.isArray(fp.codeSnippet)
      ? fp.codeSnippet
      : Array.isArray(vuln.codeSnippet)
        ? vuln.codeSnippet
        : [];
    const ruleId =
      optionalString(f.ruleId, `${field}.ruleId`) ??
      optionalString(f.detectorId, `${field}.detectorId`) ??
      optionalString(f.title, `${field}.title`) ??
      'codeguru-finding';
    const ids = [
      ...stringList(vuln.relatedVulnerabilities),
      ...stringList(f.detectorTags)
        .filter((t) => /^cwe-\d+$/i.test(t))
        .map((t) => cweId(t)!),
      ...stringList(vuln.referenceUrls)
        .map((u) => /cwe\.mitre\.org\/data\/definitions\/(\d+)/.exec(u)?.[1])
        .filter((x): x is string => !!x)
        .map((n) => `CWE-${n}`),
    ];
    const finding: ParsedFinding = {
      tool: 'codeguru-security',
      kind: 'code',
      ruleId,
      title: optionalString(f.title, `${field}.title`) ?? ruleId,
      severity,
      originalSeverity: word!,
      vulnerabilityIds: sortIds(ids),
    };
    const description = optionalString(f.description, `${field}.description`);
    if (description) finding.description = description;
    const snippet = snippetLines
      .filter(isObject)
      .map((l) => (typeof l.content === 'string' ? l.content : ''))
      .join('\n');
    const location = ctx.location(
      optionalString(fp.path ?? fp.name, `${field}.vulnerability.filePath.path`),
      {
        startLine: lineAt(fp.startLine, `${field}.vulnerability.filePath.startLine`),
        endLine: lineAt(fp.endLine, `${field}.vulnerability.filePath.endLine`),
        ...(snippet ? { snippet } : {}),
      },
    );
    if (location) finding.location = location;
    const text = optionalString(recommendation.text, `${field}.remediation.recommendation.text`);
    if (text) finding.remediation = text;
    const url =
      optionalString(recommendation.url, `${field}.remediation.recommendation.url`) ??
      stringList(vuln.referenceUrls)[0];
    if (url) finding.helpUri = url;
    out.push(finding);
  });
  if (nonConformant)
    ctx.warn(
      `${nonConformant} CodeGuru finding(s) do not follow the GetFindings model (remediation at the top level); read as far as possible`,
    );
  if (closed) ctx.warn(`${closed} Closed CodeGuru finding(s) skipped`);
  return out;
}
