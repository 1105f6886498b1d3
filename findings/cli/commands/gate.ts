import { policyLabel } from '../../document/build-document.js';
import type { FindingsDocument } from '../../model/finding.js';
import { SEVERITIES } from '../../model/severity.js';
import { renderJson } from '../../render/renderers.js';
import { analyzeReports, type AnalyzeFlags } from '../analyze-reports.js';
import { writeFileAtomic } from '../write-output.js';

export interface GateFlags extends AnalyzeFlags {
  out?: string;
}

/** One line per severity with new / existing counts, then the verdict. */
export function gateSummary(doc: FindingsDocument): string {
  const lines: string[] = [];
  const inputs = doc.inputs.map((i) => `${i.file} (${i.format}, ${i.findings})`).join(', ') || 'none';
  lines.push(`pipewarden: read ${doc.inputs.length} report(s): ${inputs}`);
  for (const s of SEVERITIES) {
    const all = doc.findings.filter((f) => f.severity === s);
    if (!all.length) continue;
    const suppressed = all.filter((f) => f.suppression).length;
    const fresh = all.filter((f) => f.status === 'new').length;
    lines.push(
      `  ${s.padEnd(8)} ${String(all.length).padStart(5)}` +
        (doc.baseline ? `  (${fresh} new, ${all.length - fresh} existing)` : '') +
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
  lines.push(
    `pipewarden: gate ${gate.passed ? 'PASSED' : 'FAILED'} (fail on ${gate.failOn}${gate.newOnly ? ', new only' : ''}): ${gate.reasons.join('; ')}`,
  );
  return lines.join('\n') + '\n';
}

export async function runGate(files: string[], flags: GateFlags): Promise<void> {
  const doc = await analyzeReports(files, flags, { missingIsError: false });
  if (flags.out) await writeFileAtomic(flags.out, renderJson(doc, {}));
  process.stdout.write(gateSummary(doc));
  if (!doc.gate!.passed) process.exitCode = 1;
}
