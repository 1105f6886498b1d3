import { policyLabel } from '../../document/build-document.js';
import type { Finding, FindingsDocument } from '../../model/finding.js';
import { compareFindings } from '../../model/order-findings.js';
import { SEVERITIES } from '../../model/severity.js';
import { renderJson } from '../../render/renderers.js';
import { countsForGate } from '../../triage/evaluate-gate.js';
import { oneLine, truncate } from '../one-line.js';
import { analyzeReports, type AnalyzeFlags } from '../analyze-reports.js';
import { writeOutput } from '../write-output.js';

export interface GateFlags extends AnalyzeFlags {
  out?: string;
}

/** How many failing findings the console lists: enough to act on, short enough to read in a build log. */
export const LISTED_FAILURES = 20;

/** One failing finding on one line: severity, tool:rule, file:line (or package), title. */
function failureLine(f: Finding): string {
  const place = f.location
    ? `${f.location.path}${f.location.startLine ? `:${f.location.startLine}` : ''}`
    : f.package
      ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}`
      : '-';
  const status = f.status === 'new' ? ' (new)' : '';
  return oneLine(
    `    ${f.severity.padEnd(8)} ${f.tool}:${f.ruleId}  ${place}${status}  ${truncate(f.title, 100)}`,
  );
}

/**
 * The findings that fail the gate, worst first (the document's order), at most LISTED_FAILURES of them: picked
 * in one pass, so the document need not be in order (a gate that writes no document never sorts it).
 */
export function failingLines(doc: FindingsDocument): string[] {
  const gate = doc.gate!;
  const worst: Finding[] = [];
  let failing = 0;
  for (const f of doc.findings) {
    if (!countsForGate(f, gate)) continue;
    failing++;
    if (worst.length === LISTED_FAILURES && compareFindings(f, worst[LISTED_FAILURES - 1]!) >= 0) continue;
    let i = worst.length;
    while (i > 0 && compareFindings(f, worst[i - 1]!) < 0) i--;
    worst.splice(i, 0, f);
    if (worst.length > LISTED_FAILURES) worst.pop();
  }
  if (!failing) return [];
  const lines = [`pipewarden: failing the gate (worst first):`];
  for (const f of worst) lines.push(failureLine(f));
  if (failing > LISTED_FAILURES)
    lines.push(
      `    and ${failing - LISTED_FAILURES} more (the findings document or the PR comment lists all)`,
    );
  return lines;
}

/** One line per severity with new / existing counts, then the verdict. */
export function gateSummary(doc: FindingsDocument): string {
  const lines: string[] = [];
  const inputs = doc.inputs.map((i) => `${i.file} (${i.format}, ${i.findings})`).join(', ') || 'none';
  lines.push(`pipewarden: read ${doc.inputs.length} report(s): ${inputs}`);
  // One pass over the findings: per severity, how many, how many new, how many suppressed.
  const counts = new Map(SEVERITIES.map((s) => [s, { all: 0, fresh: 0, suppressed: 0 }]));
  for (const f of doc.findings) {
    const c = counts.get(f.severity);
    if (!c) continue;
    c.all++;
    if (f.status === 'new') c.fresh++;
    if (f.suppression) c.suppressed++;
  }
  for (const [s, { all, fresh, suppressed }] of counts) {
    if (!all) continue;
    lines.push(
      `  ${s.padEnd(8)} ${String(all).padStart(5)}` +
        (doc.baseline ? `  (${fresh} new, ${all - fresh} existing)` : '') +
        (suppressed ? `  ${suppressed} suppressed` : ''),
    );
  }
  if (doc.baseline) lines.push(`  fixed since the baseline: ${doc.fixed.length}`);
  for (const w of doc.warnings) lines.push(`pipewarden: warning: ${w}`);
  if (doc.policy) lines.push(`pipewarden: policy: ${policyLabel(doc.policy)} (${doc.policy.origin})`);
  const change = doc.policyChange;
  if (change) {
    lines.push(
      change.valid
        ? `pipewarden: proposed policy ${change.file} (not applied): after merge the gate would ${change.wouldPass ? 'PASS' : 'FAIL'}; ` +
            `${change.wouldLetThrough.length} finding(s) failing now would no longer fail, ${change.wouldSuppress.length} more would be suppressed, ` +
            `${change.wouldUnsuppress.length} would no longer be suppressed, ${change.wouldFail.length} would newly fail`
        : `pipewarden: proposed policy ${change.file} (not applied) is not a valid config: ${change.error ?? 'invalid'}`,
    );
    for (const line of change.valid ? change.summary : []) lines.push(`  ${line}`);
  }
  const gate = doc.gate!;
  lines.push(...failingLines(doc));
  lines.push(
    `pipewarden: gate ${gate.passed ? 'PASSED' : 'FAILED'} (fail on ${gate.failOn}${gate.newOnly ? ', new only' : ''}): ${gate.reasons.join('; ')}`,
  );
  // File names and scanner text can hold newlines: each line is shown whole, escaped.
  return lines.map(oneLine).join('\n') + '\n';
}

/** Returns the exit code: 0 passed, 1 failed. */
export async function runGate(files: string[], flags: GateFlags): Promise<number> {
  const doc = await analyzeReports(files, flags, {
    missingIsError: false,
    unordered: flags.out === undefined,
  });
  if (flags.out) await writeOutput(flags.out, renderJson(doc, {}));
  // With `--out -` the document owns stdout: the summary goes to stderr so a pipe gets clean JSON.
  (flags.out === '-' ? process.stderr : process.stdout).write(gateSummary(doc));
  return doc.gate!.passed ? 0 : 1;
}
