import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compareFindings } from '../../../findings/model/order-findings.js';
import type { Finding } from '../../../findings/model/finding.js';
import { sortFindings } from '../../../findings/model/order-findings.js';
import { parseJson, readFixture } from '../helpers.js';

/** Real findings of every kind: code (SARIF), dependencies (Snyk), containers (scan-sbom), IaC. */
function realFindings(): Finding[] {
  return [
    'snyk/test-code-consistent-ignores.json',
    'snyk/test-report-with-reachability.json',
    'snyk/iac-test-report.json',
    'inspector/scan-sbom-output_alpine-3.18.2.cdx.json',
    'sarif-other/codeql-action-valid-sarif.sarif',
    'variants/snyk-test-all-projects.json',
  ].flatMap((f) => parseJson(readFixture(f), f).findings);
}

describe('sortFindings', () => {
  const base = realFindings();

  it('orders real findings exactly as compareFindings does, whatever their suppression, status and input order', () => {
    expect(base.length).toBeGreaterThan(40);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom<Finding['status']>('new', 'existing', undefined)), {
          minLength: base.length,
          maxLength: base.length,
        }),
        fc.integer(),
        (marks, seed) => {
          const findings = base.map((f, i) => {
            const copy: Finding = { ...f };
            const [suppressed, status] = marks[i]!;
            if (suppressed) copy.suppression = { source: 'config', reason: 'test' };
            else delete copy.suppression;
            if (status) copy.status = status;
            else delete copy.status;
            return copy;
          });
          // A deterministic shuffle: the order must not depend on the input order.
          let s = seed >>> 0;
          for (let i = findings.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) >>> 0;
            const j = s % (i + 1);
            [findings[i], findings[j]] = [findings[j]!, findings[i]!];
          }
          const expected = [...findings].sort(compareFindings);
          expect(sortFindings(findings)).toEqual(expected);
          expect(findings.map((f) => f.fingerprint)).toEqual(expected.map((f) => f.fingerprint));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sorts a value that is not a severity as the worst, as compareSeverity does', () => {
    const [a, b] = base;
    const odd = { ...a!, severity: 'constructor' as Finding['severity'] };
    const critical = { ...b!, severity: 'CRITICAL' as const };
    expect(sortFindings([critical, odd]).map((f) => f.severity)).toEqual(
      [critical, odd].sort(compareFindings).map((f) => f.severity),
    );
  });
});
