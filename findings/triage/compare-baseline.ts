import type { Finding } from '../model/finding.js';
import { compareSeverity } from '../model/severity.js';

/**
 * Marks each finding new or existing against the baseline's fingerprints, and returns the fixed ones.
 * A finding whose severity rose since the baseline is new: the baseline accepted it at its old severity only.
 */
export function compareBaseline(findings: Finding[], baseline: Finding[]): { fixed: Finding[] } {
  const before = new Map(baseline.map((f) => [f.fingerprint, f]));
  const now = new Set<string>();
  for (const f of findings) {
    const old = before.get(f.fingerprint);
    f.status = old && compareSeverity(f.severity, old.severity) >= 0 ? 'existing' : 'new';
    now.add(f.fingerprint);
  }
  const fixed = baseline
    .filter((f) => !now.has(f.fingerprint))
    .map((f) => {
      const { status: _status, ...rest } = f;
      return rest;
    });
  return { fixed };
}
