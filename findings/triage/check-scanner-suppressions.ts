import type { Finding } from '../model/finding.js';

export const BRANCH_ONLY = 'suppressed in the scanner on this branch only: not honoured until merged';

/**
 * A scanner ignore declared in the code under review (`.snyk`, SARIF suppressions) is that code judging
 * itself. On a run of unreviewed code with a baseline, it is honoured only when the baseline (the base
 * branch's reviewed run) has the same finding suppressed by the scanner too; otherwise the finding counts,
 * with the ignore kept as `rejectedSuppression`. One warning per report file names how many.
 */
export function checkScannerSuppressions(findings: Finding[], baseline: Finding[]): { warnings: string[] } {
  const approved = new Set(
    baseline.filter((f) => f.suppression?.source === 'scanner').map((f) => f.fingerprint),
  );
  const perFile = new Map<string, number>();
  for (const f of findings) {
    const s = f.suppression;
    if (s?.source !== 'scanner' || !s.inRepository || approved.has(f.fingerprint)) continue;
    delete f.suppression;
    f.rejectedSuppression = { source: 'scanner', reason: s.reason, because: BRANCH_ONLY };
    const file = f.sources[0]?.file ?? '(report)';
    perFile.set(file, (perFile.get(file) ?? 0) + 1);
  }
  const warnings = [...perFile].map(
    ([file, n]) =>
      `${file}: ${n} finding(s) ${BRANCH_ONLY}; the base branch's run has not suppressed them (ask for the ignore on the base branch, or fix them)`,
  );
  return { warnings };
}
