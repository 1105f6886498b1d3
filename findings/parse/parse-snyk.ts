import type { FindingKind, ParsedFinding } from '../model/finding.js';
import { severityFromWord } from '../model/severity.js';
import {
  arrayAt,
  isObject,
  lineAt,
  objectAt,
  optionalArrayAt,
  optionalNumber,
  optionalString,
  ReportFieldError,
  stringAt,
  stringList,
  type Json,
} from './read-report-fields.js';
import { cweId, sortIds, type ParseContext } from './parse-context.js';

// Snyk projects always say how they were resolved; CycloneDX documents also carry `vulnerabilities`.
const isProject = (v: unknown): v is Json =>
  isObject(v) &&
  Array.isArray(v.vulnerabilities) &&
  !('infrastructureAsCodeIssues' in v) &&
  !('bomFormat' in v) &&
  ('packageManager' in v || 'dependencyCount' in v || 'ok' in v);
const isIacProject = (v: unknown): v is Json => isObject(v) && Array.isArray(v.infrastructureAsCodeIssues);

/** `snyk test --json` / `snyk container test --json`: one object, or an array with --all-projects. */
export function isSnykTest(json: unknown): boolean {
  return isProject(json) || (Array.isArray(json) && json.length > 0 && json.every(isProject));
}

/** `snyk iac test --json`: one object per file, alone or in an array. */
export function isSnykIac(json: unknown): boolean {
  return isIacProject(json) || (Array.isArray(json) && json.length > 0 && json.every(isIacProject));
}

export function parseSnykTest(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const projects = Array.isArray(json) ? json : [json];
  return projects.flatMap((p, i) => {
    const at = Array.isArray(json) ? `[${i}]` : '';
    const project = objectAt(p, at || '(root)');
    const container =
      isObject(project.docker) || String(project.projectName ?? '').startsWith('docker-image|');
    const out = parseProject(project, at, ctx, container ? 'container' : 'dependency');
    // Container scans list the image's application dependencies (jars, go binaries…) as sub-projects.
    optionalArrayAt(project.applications, `${at}.applications`).forEach((app, j) =>
      out.push(
        ...parseProject(
          objectAt(app, `${at}.applications[${j}]`),
          `${at}.applications[${j}]`,
          ctx,
          'container',
        ),
      ),
    );
    return out;
  });
}

function parseProject(project: Json, at: string, ctx: ParseContext, kind: FindingKind): ParsedFinding[] {
  const tool = kind === 'container' ? 'snyk-container' : 'snyk-open-source';
  const prefix = at ? `${at}.` : '';
  const vulns = arrayAt(project.vulnerabilities, `${prefix}vulnerabilities`);
  const ignored = isObject(project.filtered)
    ? optionalArrayAt(project.filtered.ignore, `${prefix}filtered.ignore`)
    : [];
  // The manifest is a repository path for open source; for containers it is a path inside the image.
  const manifest =
    kind === 'dependency'
      ? optionalString(project.displayTargetFile ?? project.targetFile, `${prefix}displayTargetFile`)
      : undefined;
  const location = manifest ? ctx.location(manifest) : undefined;
  const byKey = new Map<string, ParsedFinding>();
  const read = (value: unknown, field: string, isIgnored: boolean) => {
    const v = objectAt(value, field);
    const id = stringAt(v.id, field, '.id');
    const name = stringAt(v.packageName ?? v.name, field, '.packageName');
    const version = optionalString(v.version, field, '.version');
    const word = optionalString(v.severityWithCritical ?? v.severity, field, '.severity');
    const severity = severityFromWord(word);
    if (!severity)
      throw new ReportFieldError(`${field}.severity`, 'critical, high, medium or low', v.severity);
    const from = stringList(v.from);
    const key = `${id}|${name}|${version ?? ''}`;
    const existing = byKey.get(key);
    if (existing) {
      // The same issue in the same package version reached by another dependency path.
      if (from.length) existing.package!.dependencyPaths!.push(from);
      return;
    }
    const identifiers = isObject(v.identifiers) ? v.identifiers : {};
    const ids = [
      ...stringList(identifiers.CVE),
      ...stringList(identifiers.GHSA),
      ...stringList(identifiers.CWE).map((c) => cweId(c) ?? c),
      id,
    ];
    const fixedIn = stringList(v.fixedIn);
    const fixedVersion =
      optionalString(v.nearestFixedInVersion, field, '.nearestFixedInVersion') ?? fixedIn[0];
    // Built field by field in the document's key order: no throw-away objects per vulnerability.
    const pkg: NonNullable<ParsedFinding['package']> = { name };
    if (version) pkg.version = version;
    if (fixedVersion) pkg.fixedVersion = fixedVersion;
    const ecosystem = v.packageManager ?? project.packageManager;
    if (typeof ecosystem === 'string') pkg.ecosystem = ecosystem;
    pkg.dependencyPaths = from.length ? [from] : [];
    const finding: ParsedFinding = {
      tool,
      kind,
      ruleId: id,
      title: optionalString(v.title, field, '.title') ?? id,
      severity,
      originalSeverity: word!,
      vulnerabilityIds: sortIds(ids),
      package: pkg,
      helpUri: `https://security.snyk.io/vuln/${encodeURIComponent(id)}`,
    };
    const description = optionalString(v.description, field, '.description');
    if (description) finding.description = description;
    const score = optionalNumber(v.cvssScore, field, '.cvssScore');
    if (score !== undefined) {
      const vector = optionalString(v.CVSSv3, field, '.CVSSv3');
      finding.cvss = vector ? { score, vector } : { score };
    }
    if (fixedVersion) {
      const upgrade = stringList(v.upgradePath).filter(Boolean);
      finding.remediation = upgrade.length
        ? `Upgrade to ${upgrade[upgrade.length > 1 ? 1 : 0]} (fixed in ${fixedVersion}).`
        : `Upgrade ${name} to ${fixedVersion} or later.`;
    }
    if (location) finding.location = location;
    if (isIgnored || v.isIgnored === true) {
      const ignore = ignoreOf(v);
      if (ignore) finding.suppression = ignore;
      else {
        finding.rejectedSuppression = { source: 'scanner', because: NO_REASON };
        unreasoned++;
      }
    }
    byKey.set(key, finding);
  };
  let unreasoned = 0;
  vulns.forEach((v, i) => read(v, `${prefix}vulnerabilities[${i}]`, false));
  // `snyk test --json` lists what the .snyk policy ignores here, each with its ignore rule(s).
  ignored.forEach((v, i) => read(v, `${prefix}filtered.ignore[${i}]`, true));
  warnUnreasoned(ctx, unreasoned);
  return [...byKey.values()];
}

const NO_REASON = 'ignored in the Snyk policy without a reason';

/** Once per file: how many ignores were not honoured and how to fix them. */
function warnUnreasoned(ctx: ParseContext, n: number): void {
  if (n)
    ctx.warn(
      `${n} issue(s) ignored in the Snyk policy without a reason are not treated as suppressed; give each ignore a reason (snyk ignore --reason, or reason: in .snyk)`,
    );
}

/** The .snyk ignore rule(s) of an ignored issue (`filtered.ignored[]`): honoured only with a reason. */
function ignoreOf(v: Json): NonNullable<ParsedFinding['suppression']> | undefined {
  const filtered = isObject(v.filtered) ? v.filtered : undefined;
  const rules = filtered && Array.isArray(filtered.ignored) ? filtered.ignored.filter(isObject) : [];
  const rule = rules.find((r) => typeof r.reason === 'string' && r.reason.trim());
  if (!rule) return undefined;
  const expires = typeof rule.expires === 'string' && rule.expires ? rule.expires : undefined;
  const by =
    isObject(rule.ignoredBy) && typeof rule.ignoredBy.name === 'string' && rule.ignoredBy.name
      ? rule.ignoredBy.name
      : undefined;
  return {
    source: 'scanner',
    reason: (rule.reason as string).trim(),
    ...(expires ? { expires } : {}),
    ...(by ? { approvedBy: by } : {}),
    inRepository: true,
  };
}

export function parseSnykIac(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const files = Array.isArray(json) ? json : [json];
  let unreasoned = 0;
  const out = files.flatMap((f, i) => {
    const at = Array.isArray(json) ? `[${i}].` : '';
    const file = objectAt(f, at ? `[${i}]` : '(root)');
    const target = optionalString(file.targetFile, `${at}targetFile`);
    return arrayAt(file.infrastructureAsCodeIssues, `${at}infrastructureAsCodeIssues`).map(
      (issueValue, j) => {
        const field = `${at}infrastructureAsCodeIssues[${j}]`;
        const issue = objectAt(issueValue, field);
        const id = stringAt(issue.publicId ?? issue.id, `${field}.publicId`);
        const word = optionalString(issue.severity, `${field}.severity`);
        const severity = severityFromWord(word);
        if (!severity)
          throw new ReportFieldError(`${field}.severity`, 'critical, high, medium or low', issue.severity);
        const desc = isObject(issue.iacDescription) ? issue.iacDescription : {};
        const resource = Array.isArray(issue.path)
          ? issue.path.map(String).join('.')
          : optionalString(issue.msg, `${field}.msg`);
        const finding: ParsedFinding = {
          tool: 'snyk-iac',
          kind: 'iac',
          ruleId: id,
          title: optionalString(issue.title, `${field}.title`) ?? id,
          description: [
            desc.issue ?? issue.issue,
            desc.impact ?? issue.impact,
            resource ? `Resource: ${resource}` : '',
          ]
            .filter((s) => typeof s === 'string' && s)
            .join('\n\n'),
          severity,
          originalSeverity: word!,
          vulnerabilityIds: [id],
          // lineNumber -1 means Snyk could not place it: the file is still known.
          ...(resource ? { identity: resource } : {}),
        };
        const location = target
          ? ctx.location(target, { startLine: lineAt(issue.lineNumber, `${field}.lineNumber`) })
          : undefined;
        if (location) finding.location = location;
        const resolve = desc.resolve ?? issue.resolve;
        if (typeof resolve === 'string' && resolve) finding.remediation = resolve;
        const doc = optionalString(issue.documentation, `${field}.documentation`);
        if (doc) finding.helpUri = doc;
        // `snyk iac test --json` marks an ignored issue but gives no reason: not honoured.
        if (issue.isIgnored === true) {
          finding.rejectedSuppression = { source: 'scanner', because: NO_REASON };
          unreasoned++;
        }
        return finding;
      },
    );
  });
  warnUnreasoned(ctx, unreasoned);
  return out;
}
