import type { Finding } from '../model/finding.js';

/** Marks each finding new or existing against the baseline's fingerprints, and returns the fixed ones. */
export function compareBaseline(findings: Finding[], baseline: Finding[]): { fixed: Finding[] } {
  const before = new Map(baseline.map((f) => [f.fingerprint, f]));
  const now = new Set<string>();
  for (const f of findings) {
    f.status = before.has(f.fingerprint) ? 'existing' : 'new';
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
