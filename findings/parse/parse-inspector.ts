import { PipewardenError } from '../errors.js';
import type { FindingKind, ParsedFinding } from '../model/finding.js';
import { severityFromScore, severityFromWord, type Severity } from '../model/severity.js';
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

// ---------------------------------------------------------------- scan-sbom (CycloneDX 1.5)

const bomOf = (json: unknown): Json | undefined => {
  const bom = isObject(json) && isObject(json.sbom) ? json.sbom : json;
  return isObject(bom) && bom.bomFormat === 'CycloneDX' ? bom : undefined;
};

export function isCycloneDx(json: unknown): boolean {
  return bomOf(json) !== undefined;
}

/** A component's string field; its name for an error (`components[bom-ref "…"].name`) built only if broken. */
function componentString(component: Json, key: string, ref: string): string | undefined {
  const value = component[key];
  if (typeof value === 'string' && value !== '') return value;
  return optionalString(value, `components[bom-ref ${JSON.stringify(ref)}].${key}`);
}

const PROP = 'amazon:inspector:sbom_scanner:';

/** `aws inspector-scan scan-sbom` output, with or without its `{"sbom": …}` wrapper: one finding per (vulnerability, component). */
export function parseInspectorSbom(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const bom = bomOf(json)!;
  const metadata = isObject(bom.metadata) ? bom.metadata : {};
  const scanned =
    JSON.stringify(metadata.tools ?? '').includes('Inspector Scan') || Array.isArray(bom.vulnerabilities);
  if (!scanned)
    throw new PipewardenError(
      `${ctx.name}: a CycloneDX SBOM without scan results (inspector-sbomgen output?); scan it with \`aws inspector-scan scan-sbom --output-format CYCLONE_DX_1_5\` and pass that output`,
    );
  const components = new Map<string, Json>();
  optionalArrayAt(bom.components, 'components').forEach((c, i) => {
    const comp = objectAt(c, `components[${i}]`);
    if (typeof comp['bom-ref'] === 'string') components.set(comp['bom-ref'], comp);
  });
  const out: ParsedFinding[] = [];
  optionalArrayAt(bom.vulnerabilities, 'vulnerabilities').forEach((value, i) => {
    const field = `vulnerabilities[${i}]`;
    const v = objectAt(value, field);
    const id = stringAt(v.id, field, '.id');
    const props = properties(v.properties);
    const { severity, original, score } = sbomSeverity(
      optionalArrayAt(v.ratings, field, '.ratings'),
      field,
      ctx,
    );
    const cwes = optionalArrayAt(v.cwes, field, '.cwes')
      .map((c) => cweId(c))
      .filter((c): c is string => !!c);
    const analysis = isObject(v.analysis)
      ? optionalString(v.analysis.state, field, '.analysis.state')
      : undefined;
    const affects = arrayAt(v.affects, field, '.affects');
    affects.forEach((a, j) => {
      // The usual case checked first: no field names built for a valid entry.
      const ref =
        isObject(a) && typeof a.ref === 'string' && a.ref !== ''
          ? a.ref
          : stringAt(objectAt(a, `${field}.affects[${j}]`).ref, `${field}.affects[${j}].ref`);
      // Inspector does emit `affects[].ref`s that name no component: the vulnerability and its fixed version
      // are still there, so the finding is formed from the ref (a purl names the package) and the file warned.
      let component = components.get(ref);
      if (!component) {
        component = componentFromRef(ref);
        ctx.warn(
          'affected ref(s) name no component in components[]; the package is named from the ref',
          `${field}.affects[${j}].ref ${JSON.stringify(ref.slice(0, 80))}`,
        );
      }
      const name = componentString(component, 'name', ref) ?? ref;
      const dockerfile = component.type === 'file' && /^dockerfile:/i.test(name);
      const kind: FindingKind = dockerfile ? (/^IN-DOCKER-007/.test(id) ? 'secret' : 'iac') : 'container';
      const description = optionalString(v.description, field, '.description');
      const finding: ParsedFinding = {
        tool: 'inspector-sbom',
        kind,
        ruleId: id,
        title: dockerfile
          ? (description?.split(/\.(\s|$)/)[0]?.slice(0, 200) ?? id)
          : `${id} in ${name}${component.version ? `@${String(component.version)}` : ''}`,
        severity,
        originalSeverity: original,
        vulnerabilityIds: sortIds([id, ...cwes]),
      };
      if (description) finding.description = description;
      if (score !== undefined && !dockerfile) finding.cvss = { score };
      const source = isObject(v.source) ? optionalString(v.source.url, field, '.source.url') : undefined;
      const advisory = optionalArrayAt(v.advisories, field, '.advisories').find(isObject);
      const help =
        source ?? (advisory ? optionalString(advisory.url, field, '.advisories[0].url') : undefined);
      if (help) finding.helpUri = help;
      if (dockerfile) {
        const lines = properties(component.properties).get(`${PROP}dockerfile_finding:${id}`);
        const m = /affected_lines:(\d+)-(\d+)/.exec(lines ?? '');
        const location = ctx.location(name.replace(/^dockerfile:/i, ''), {
          startLine: m ? lineAt(m[1], 'affected_lines') : undefined,
          endLine: m ? lineAt(m[2], 'affected_lines') : undefined,
        });
        if (location) finding.location = location;
      } else {
        const fixed = props.get(`${PROP}fixed_version:${ref}`);
        const version = componentString(component, 'version', ref);
        const purl = componentString(component, 'purl', ref);
        const pkg: NonNullable<ParsedFinding['package']> = { name };
        if (version) pkg.version = version;
        if (fixed) pkg.fixedVersion = fixed;
        if (purl) {
          pkg.purl = purl;
          pkg.ecosystem = purl.slice(4).split('/')[0];
        }
        finding.package = pkg;
        if (fixed) finding.remediation = `Upgrade ${name} to ${fixed} or later.`;
      }
      // CycloneDX VEX states that mean "does not apply here" are the scanner's own suppression.
      if (
        analysis &&
        ['not_affected', 'false_positive', 'resolved', 'resolved_with_pedigree'].includes(analysis)
      )
        finding.suppression = { source: 'scanner', reason: `analysis state ${analysis}` };
      out.push(finding);
    });
  });
  return out;
}

/** CycloneDX `properties[]` as a Map (first value wins): names are scanner text, never prototype keys. */
function properties(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(value))
    for (const p of value)
      if (isObject(p) && typeof p.name === 'string' && !out.has(p.name))
        out.set(p.name, typeof p.value === 'string' ? p.value : String(p.value ?? ''));
  return out;
}

/**
 * A component for a ref that `components[]` does not list: a package URL (`pkg:npm/%40scope/name@1.2.3?…`)
 * gives the name, version and ecosystem; any other ref is the name itself.
 */
function componentFromRef(ref: string): Json {
  const m = /^pkg:([^/]+)\/([^@?#]+)(?:@([^?#]+))?/.exec(ref);
  if (!m) return { name: ref };
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const segments = m[2]!.split('/').filter(Boolean).map(decode);
  // npm scopes are part of the name (`@scope/name`); other namespaces (apk's distro, maven's group) are not.
  const name =
    m[1] === 'npm'
      ? segments
          .slice(-2)
          .filter((p, i, a) => i === a.length - 1 || p.startsWith('@'))
          .join('/')
      : segments.at(-1)!;
  return { name, ...(m[3] ? { version: decode(m[3]) } : {}), purl: ref };
}

/** Inspector's own rating, then a CVSS source (NVD, vendor); EPSS is a probability, not a severity. */
function sbomSeverity(
  ratings: unknown[],
  field: string,
  ctx: ParseContext,
): { severity: Severity; original: string; score?: number } {
  const usable = ratings.filter(isObject).filter((r) => !(isObject(r.source) && r.source.name === 'EPSS'));
  const rank = (r: Json) => (isObject(r.source) && r.source.name === 'AMAZON_INSPECTOR' ? 0 : 1);
  const best = usable.sort((a, b) => rank(a) - rank(b))[0];
  if (!best) return { severity: 'MEDIUM', original: 'untriaged (no rating)' };
  const word = optionalString(best.severity, field, '.ratings[].severity');
  const score = optionalNumber(best.score, field, '.ratings[].score');
  const known = severityFromWord(word);
  const scored = score !== undefined && score >= 0 && score <= 10 ? score : undefined;
  if (word !== undefined && !known)
    ctx.warn(
      `rating severity word(s) outside CycloneDX's (critical, high, medium, low, info, none, unknown) read by their score, else as unknown (MEDIUM)`,
      `${field}: ${JSON.stringify(word.slice(0, 40))}`,
    );
  const severity = known ?? (scored !== undefined ? severityFromScore(scored) : 'MEDIUM');
  const source =
    isObject(best.source) && typeof best.source.name === 'string' ? ` (${best.source.name})` : '';
  return {
    severity,
    original: `${word ?? score}${source}`,
    ...(scored !== undefined ? { score: scored } : {}),
  };
}

// ---------------------------------------------------------------- Inspector2 findings

const isInspector2Finding = (v: unknown): v is Json =>
  isObject(v) && typeof v.findingArn === 'string' && typeof v.type === 'string';

/** A ListFindings response, one finding, or an EventBridge "Inspector2 Finding" event. */
export function isInspector2(json: unknown): boolean {
  if (isInspector2Finding(json)) return true;
  if (isObject(json) && json['detail-type'] === 'Inspector2 Finding') return true;
  return (
    isObject(json) &&
    Array.isArray(json.findings) &&
    json.findings.length > 0 &&
    json.findings.every(isInspector2Finding)
  );
}

export function parseInspector2(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const root = objectAt(json, '(root)');
  if (root['detail-type'] === 'Inspector2 Finding')
    return finding2(objectAt(root.detail, 'detail'), 'detail', ctx);
  if (Array.isArray(root.findings))
    return root.findings.flatMap((f, i) => finding2(objectAt(f, `findings[${i}]`), `findings[${i}]`, ctx));
  return finding2(root, '(root)', ctx);
}

function finding2(f: Json, field: string, ctx: ParseContext): ParsedFinding[] {
  const type = stringAt(f.type, field, '.type');
  const status = optionalString(f.status, field, '.status');
  if (status === 'CLOSED') {
    ctx.warn('CLOSED Inspector finding(s) (already fixed) skipped', field);
    return [];
  }
  const word = stringAt(f.severity, field, '.severity');
  const severity = severityFromWord(word);
  if (!severity)
    throw new ReportFieldError(
      `${field}.severity`,
      'CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL or UNTRIAGED',
      f.severity,
    );
  const title = optionalString(f.title, field, '.title') ?? type;
  const remediation =
    isObject(f.remediation) && isObject(f.remediation.recommendation) ? f.remediation.recommendation : {};
  const base: ParsedFinding = {
    tool: type === 'CODE_VULNERABILITY' ? 'inspector-code' : 'inspector',
    kind: 'other',
    ruleId: type,
    title,
    severity,
    originalSeverity: word,
    vulnerabilityIds: [],
  };
  const description = optionalString(f.description, field, '.description');
  if (description) base.description = description;
  const remText = optionalString(
    remediation.text ?? remediation.Text,
    `${field}.remediation.recommendation.text`,
  );
  if (remText) base.remediation = remText;
  const remUrl = optionalString(
    remediation.Url ?? remediation.url,
    `${field}.remediation.recommendation.Url`,
  );
  if (remUrl) base.helpUri = remUrl;
  const score = optionalNumber(f.inspectorScore, field, '.inspectorScore');
  if (score !== undefined) base.cvss = { score };
  if (status === 'SUPPRESSED')
    base.suppression = { source: 'scanner', reason: 'suppressed by an Inspector suppression rule' };
  const resources = optionalArrayAt(f.resources, field, '.resources').filter(isObject);
  const inRepository = resources.some((r) => r.type === 'CODE_REPOSITORY');

  if (type === 'CODE_VULNERABILITY') {
    const d = objectAt(f.codeVulnerabilityDetails, field, '.codeVulnerabilityDetails');
    const fp = isObject(d.filePath) ? d.filePath : {};
    base.kind = 'code';
    base.ruleId =
      optionalString(d.ruleId, field, '.codeVulnerabilityDetails.ruleId') ??
      stringAt(d.detectorId, field, '.codeVulnerabilityDetails.detectorId');
    base.vulnerabilityIds = sortIds(stringList(d.cwes).map((c) => cweId(c) ?? c));
    const location = ctx.location(
      optionalString(fp.filePath ?? fp.fileName, field, '.codeVulnerabilityDetails.filePath.filePath'),
      {
        startLine: lineAt(fp.startLine, field, '.codeVulnerabilityDetails.filePath.startLine'),
        endLine: lineAt(fp.endLine, field, '.codeVulnerabilityDetails.filePath.endLine'),
      },
    );
    if (location) base.location = location;
    const refs = stringList(d.referenceUrls);
    if (!base.helpUri && refs[0]) base.helpUri = refs[0];
    return [base];
  }
  if (type === 'PACKAGE_VULNERABILITY') {
    const d = objectAt(f.packageVulnerabilityDetails, field, '.packageVulnerabilityDetails');
    const vulnId = stringAt(d.vulnerabilityId, field, '.packageVulnerabilityDetails.vulnerabilityId');
    const pkgs = arrayAt(d.vulnerablePackages, field, '.packageVulnerabilityDetails.vulnerablePackages');
    const p = objectAt(pkgs[0], field, '.packageVulnerabilityDetails.vulnerablePackages[0]');
    const name = stringAt(p.name, field, '.packageVulnerabilityDetails.vulnerablePackages[0].name');
    const version = optionalString(p.version, field, '...vulnerablePackages[0].version');
    const fixed = optionalString(p.fixedInVersion, field, '...vulnerablePackages[0].fixedInVersion');
    base.kind = inRepository ? 'dependency' : 'container';
    base.ruleId = vulnId;
    base.vulnerabilityIds = sortIds([vulnId, ...stringList(d.relatedVulnerabilities)]);
    base.package = {
      name,
      ...(version ? { version } : {}),
      ...(fixed && fixed !== 'NotAvailable' ? { fixedVersion: fixed } : {}),
      ...(typeof p.packageManager === 'string' ? { ecosystem: p.packageManager.toLowerCase() } : {}),
    };
    // A file path is a repository path only when Inspector scanned the repository itself.
    const filePath = optionalString(p.filePath, field, '...vulnerablePackages[0].filePath');
    if (inRepository && filePath) {
      const location = ctx.location(filePath);
      if (location) base.location = location;
    }
    if (!base.helpUri) {
      const src = optionalString(d.sourceUrl, field, '.packageVulnerabilityDetails.sourceUrl');
      if (src) base.helpUri = src;
    }
    return [base];
  }
  return [base];
}
