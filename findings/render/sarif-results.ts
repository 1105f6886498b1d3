import type * as Sarif from 'sarif';
import type { Finding } from '../model/finding.js';
import { SEVERITY_SCORE, type Severity } from '../model/severity.js';
import { encodePath, safeUrl, stripUnsafe, truncateText } from './escape-text.js';

// @types/sarif leaves almost every field optional; these narrow it to what pipewarden always writes, so
// readers of its logs (and its tests) need no checks for fields that are never missing.
export type SarifLevel = NonNullable<Sarif.Result['level']>;
export type SarifText = Sarif.Message & { text: string };
export interface SarifRule extends Sarif.ReportingDescriptor {
  shortDescription: Sarif.MultiformatMessageString;
  fullDescription: Sarif.MultiformatMessageString;
  defaultConfiguration: Sarif.ReportingConfiguration & { level: SarifLevel };
  properties: Sarif.PropertyBag & { 'security-severity': string; tags: string[] };
}
export interface SarifSuppression extends Sarif.Suppression {
  kind: 'external';
  status: 'accepted';
  justification: string;
  properties: Sarif.PropertyBag;
}
export interface SarifLocation extends Sarif.Location {
  physicalLocation: Sarif.PhysicalLocation & {
    artifactLocation: Sarif.ArtifactLocation & { uri: string; uriBaseId: string };
  };
  message?: SarifText;
}
export interface SarifResult extends Sarif.Result {
  ruleId: string;
  level: SarifLevel;
  message: SarifText;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  baselineState?: 'new' | 'unchanged';
  suppressions?: SarifSuppression[];
  properties: Sarif.PropertyBag;
}

export const SRCROOT = '%SRCROOT%';
/** The key of pipewarden's fingerprint in `partialFingerprints`: versioned, so a change of scheme is visible. */
export const FINGERPRINT_KEY = 'pipewarden/v1';

const LEVEL: Record<Severity, SarifLevel> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  INFO: 'note',
};

/** Scanner text as SARIF text: no control or bidi characters, trimmed, capped, never empty. */
export const clean = (text: string, max: number) => truncateText(stripUnsafe(text).trim(), max) || '(none)';
const score = (s: Severity) => SEVERITY_SCORE[s].toFixed(1);

export function cweTags(f: Finding): string[] {
  return f.vulnerabilityIds
    .map((id) => /^CWE-(\d+)$/i.exec(id)?.[1])
    .filter((n): n is string => !!n)
    .map((n) => `external/cwe/cwe-${n}`);
}

function message(f: Finding): string {
  let text = stripUnsafe(f.title).trim() || f.ruleId;
  if (f.package) {
    const p = f.package;
    text += ` in ${p.name}${p.version ? `@${p.version}` : ''}`;
    text += p.fixedVersion ? ` (fixed in ${p.fixedVersion})` : ' (no fixed version known)';
  }
  // The rule holds the long description; the message says what and where, briefly.
  const description = stripUnsafe(truncateText(f.description ?? '', 600)).trim();
  if (description && description !== text) text += `: ${description}`;
  return clean(text, 300);
}

function location(f: Finding): SarifLocation {
  const loc = f.location;
  if (!loc) {
    // GitHub rejects a whole upload when one result lacks a file: a dependency found in an image (no
    // manifest in the repository) is anchored to its package name, and says so.
    const name = f.package?.name ?? f.tool;
    return {
      physicalLocation: {
        artifactLocation: { uri: encodePath(name.replace(/^\/+/, '')), uriBaseId: SRCROOT },
        region: { startLine: 1 },
      },
      message: {
        text: clean(
          `No file in the repository: ${f.package ? `package ${name}` : `reported by ${name}`}`,
          300,
        ),
      },
    };
  }
  const physical: SarifLocation['physicalLocation'] = {
    artifactLocation: { uri: encodePath(loc.path), uriBaseId: SRCROOT },
  };
  if (loc.startLine) {
    const region: Sarif.Region = { startLine: loc.startLine };
    if (loc.endLine && loc.endLine >= loc.startLine) region.endLine = loc.endLine;
    if (loc.startColumn) {
      region.startColumn = loc.startColumn;
      const sameLine = (region.endLine ?? loc.startLine) === loc.startLine;
      if (loc.endColumn && (!sameLine || loc.endColumn >= loc.startColumn)) region.endColumn = loc.endColumn;
    }
    physical.region = region;
  }
  return { physicalLocation: physical };
}

function suppression(f: Finding): SarifSuppression[] | undefined {
  const s = f.suppression;
  if (!s) return undefined;
  // Built from pipewarden's model, never copied from the input (Snyk's lack the required `kind`).
  // `expiration` and `ignoredBy.name` are the names SARIF producers such as Snyk use, so readers find them.
  const properties: Sarif.PropertyBag = { 'pipewarden/source': s.source };
  if (s.matchedBy) properties['pipewarden/matchedBy'] = s.matchedBy;
  if (s.expires) properties.expiration = s.expires;
  if (s.approvedBy) properties.ignoredBy = { name: s.approvedBy };
  return [{ kind: 'external', status: 'accepted', justification: clean(s.reason, 1_000), properties }];
}

/** A result names its rule by id only (no ruleIndex): results are written once and trimmed afterwards. */
export function sarifResult(f: Finding, ruleId: string, merged: boolean): SarifResult {
  const properties: Sarif.PropertyBag = {
    'security-severity': score(f.severity),
    'pipewarden/severity': f.severity,
    'pipewarden/originalSeverity': f.originalSeverity,
  };
  if (merged) properties['pipewarden/tool'] = f.tool;
  if (f.vulnerabilityIds.length) properties['pipewarden/vulnerabilityIds'] = f.vulnerabilityIds;
  if (f.package) {
    const { dependencyPaths: _paths, ...pkg } = f.package;
    properties['pipewarden/package'] = pkg;
  }
  if (f.sources.length > 1) properties['pipewarden/reportedBy'] = [...new Set(f.sources.map((s) => s.tool))];
  const r: SarifResult = {
    ruleId,
    level: LEVEL[f.severity],
    message: { text: message(f) },
    locations: [location(f)],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    properties,
  };
  if (f.status) r.baselineState = f.status === 'new' ? 'new' : 'unchanged';
  const s = suppression(f);
  if (s) r.suppressions = s;
  return r;
}

/** A rule from its worst (first) result; `tags` gathered from all its results. */
export function sarifRule(id: string, f: Finding, tags: string[]): SarifRule {
  const rule: SarifRule = {
    id,
    shortDescription: { text: clean(f.title, 1_000) },
    fullDescription: { text: clean(f.description ?? f.title, 1_500) },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { 'security-severity': score(f.severity), tags },
  };
  if (f.remediation) rule.help = { text: clean(f.remediation, 2_000) };
  const help = safeUrl(f.helpUri);
  if (help) rule.helpUri = help;
  return rule;
}
