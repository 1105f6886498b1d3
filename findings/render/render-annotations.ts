import { compareFindings } from '../model/order-findings.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import { atLeast, type Severity } from '../model/severity.js';
import { countsForGate, type GatePolicy } from '../triage/evaluate-gate.js';
import { stripUnsafe, truncateText, truncateUtf8 } from './escape-text.js';

/** One annotation of GitHub's check-runs API (`output.annotations[]`). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title?: string;
  message: string;
  raw_details?: string;
}

export interface AnnotationOptions {
  /** At most this many annotations (the worst ones); the rest are counted in `omitted`. */
  max?: number;
  /** Leave out findings below this severity (they are not counted in `omitted`). */
  minSeverity?: Severity;
}

/** GitHub's limits on an annotation (REST "Create a check run"): title 255 characters, message and details 64 KB. */
export const ANNOTATION_LIMITS = { title: 255, messageBytes: 64 * 1024, rawDetailsBytes: 64 * 1024 };

const LEVEL: Record<Severity, CheckAnnotation['annotation_level']> = {
  CRITICAL: 'failure',
  HIGH: 'failure',
  MEDIUM: 'warning',
  LOW: 'notice',
  INFO: 'notice',
};

/** Annotations are plain text on GitHub: only control and bidi characters need to go. */
const clean = (text: string) => stripUnsafe(text).trim();

function message(f: Finding): string {
  const parts = [clean(f.description ?? '') || clean(f.title)];
  if (f.package) {
    const p = f.package;
    parts.push(
      `Package: ${clean(p.name)}${p.version ? ` ${clean(p.version)}` : ''}` +
        (p.fixedVersion ? ` (fixed in ${clean(p.fixedVersion)})` : ' (no fixed version known)'),
    );
  }
  if (f.vulnerabilityIds.length) parts.push(`Identifiers: ${f.vulnerabilityIds.map(clean).join(', ')}`);
  const status =
    f.status === 'new' ? 'new in this change' : f.status === 'existing' ? 'already in the baseline' : '';
  parts.push(
    `Severity: ${f.severity} (scanner: ${clean(f.originalSeverity)})${status ? ` · ${status}` : ''}`,
  );
  return truncateUtf8(parts.join('\n\n'), ANNOTATION_LIMITS.messageBytes);
}

function rawDetails(f: Finding): string {
  const lines: string[] = [];
  if (f.remediation) lines.push(`Remediation: ${clean(f.remediation)}`, '');
  if (f.helpUri) lines.push(`More: ${clean(f.helpUri)}`);
  if (f.cvss)
    lines.push(
      `CVSS${f.cvss.version ? ` ${clean(f.cvss.version)}` : ''}: ${f.cvss.score}${f.cvss.vector ? ` ${clean(f.cvss.vector)}` : ''}`,
    );
  lines.push(`Rule: ${clean(f.ruleId)}`);
  lines.push(`Reported by: ${[...new Set(f.sources.map((s) => clean(s.tool)))].join(', ')}`);
  lines.push(`Fingerprint: ${clean(f.fingerprint)} (suppress it by this in .github/pipewarden.yml)`);
  return truncateUtf8(lines.join('\n'), ANNOTATION_LIMITS.rawDetailsBytes);
}

/**
 * The level follows the gate's verdict: a finding that fails the gate is a failure; one that does not (an
 * existing finding under new-only, one below the threshold) is a warning or a notice by severity, never a
 * failure. Without a verdict (a plain report) the severity alone decides.
 */
function levelOf(f: Finding, gate: GatePolicy | undefined): CheckAnnotation['annotation_level'] {
  if (!gate) return LEVEL[f.severity];
  if (countsForGate(f, gate)) return 'failure';
  return LEVEL[f.severity] === 'failure' ? 'warning' : LEVEL[f.severity];
}

function annotation(f: Finding, gate: GatePolicy | undefined): CheckAnnotation {
  const loc = f.location!;
  // A finding known only by its file still gets an annotation: on the first line, as GitHub needs a line.
  const start = loc.startLine && loc.startLine >= 1 ? loc.startLine : 1;
  const end = loc.endLine && loc.endLine >= start ? loc.endLine : start;
  const a: CheckAnnotation = {
    path: loc.path,
    start_line: start,
    end_line: end,
    annotation_level: levelOf(f, gate),
    title: truncateText(
      `${f.severity}: ${clean(f.title)} (${clean(f.ruleId)})`.replace(/\s+/g, ' '),
      ANNOTATION_LIMITS.title,
    ),
    message: message(f),
    raw_details: rawDetails(f),
  };
  // GitHub accepts columns only on a one-line annotation; both or neither, in order.
  if (
    start === end &&
    loc.startLine === start &&
    loc.startColumn !== undefined &&
    loc.startColumn >= 1 &&
    loc.endColumn !== undefined &&
    loc.endColumn >= loc.startColumn
  ) {
    a.start_column = loc.startColumn;
    a.end_column = loc.endColumn;
  }
  return a;
}

/**
 * Check-run annotations for the findings that have a place in a file, worst first (the engine's order).
 * Level by the gate (levelOf): failing it → failure; else CRITICAL/HIGH/MEDIUM → warning, LOW/INFO → notice. Suppressed findings get
 * no annotation: they are accepted risks, listed in the comment and the check summary, and marking them in
 * the diff would teach people to ignore annotations. Findings without a file (container packages) are in
 * the summary only. `omitted` counts the annotatable findings left out by `max`.
 */
export function renderAnnotations(
  doc: FindingsDocument,
  options: AnnotationOptions = {},
): { annotations: CheckAnnotation[]; omitted: number } {
  const { kept, omitted } = select(doc, options);
  return { annotations: kept.map((f) => annotation(f, doc.gate)), omitted };
}

function select(doc: FindingsDocument, options: AnnotationOptions): { kept: Finding[]; omitted: number } {
  const minSeverity = options.minSeverity ?? 'INFO';
  const eligible = doc.findings.filter(
    (f) => f.location?.path && !f.suppression && atLeast(f.severity, minSeverity),
  );
  eligible.sort(compareFindings);
  const max = Math.max(0, options.max ?? eligible.length);
  return { kept: eligible.slice(0, max), omitted: Math.max(0, eligible.length - max) };
}

const CHUNK = 1 << 20;

/**
 * The `annotations` output of `pipewarden report`: `{"annotations": [...], "omitted": N}`, one annotation
 * a line, in chunks (100,000 annotations of up to 64 KB each are never one string).
 */
export function* renderAnnotationsJson(
  doc: FindingsDocument,
  options: AnnotationOptions = {},
): Generator<string> {
  const { kept, omitted } = select(doc, options);
  let buf = '{\n  "annotations": [';
  for (let i = 0; i < kept.length; i++) {
    buf += `${i ? ',' : ''}\n    ${JSON.stringify(annotation(kept[i]!, doc.gate))}`;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield buf;
  yield `${kept.length ? '\n  ' : ''}],\n  "omitted": ${omitted}\n}\n`;
}
