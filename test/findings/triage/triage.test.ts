import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { LoadedReport } from '../../../findings/parse/parse-report.js';
import { parseJson, readFixture } from '../helpers.js';

const now = new Date('2026-11-28T12:00:00Z');
const report = (rel: string): LoadedReport => parseJson(readFixture(rel), rel);

describe('suppressions, baseline and gate', () => {
  it('config suppressions by rule, vulnerability, package, path and fingerprint; expired ones stop and are reported', () => {
    const iac = report('snyk/iac-test-report.json');
    const fp = iac.findings.find((f) => f.ruleId === 'SNYK-CC-AZURE-516')!.fingerprint;
    const config = parseRepoConfig({
      suppressions: [
        {
          rule: 'SNYK-CC-TF-136',
          reason: 'logging is central',
          expires: '2027-01-01',
          approvedBy: 'sec-team',
        },
        { path: 'traffic_*.json', rule: 'SNYK-CC-TF-162', reason: 'traffic manager is legacy' },
        { fingerprint: fp, reason: 'accepted risk' },
        { rule: 'SNYK-CC-TF-244', reason: 'old exception', expires: '2026-01-01' },
        { package: 'left-pad', reason: 'not here' },
      ],
    });
    const doc = buildDocument({ reports: [iac], config, context: {}, now });
    const bySource = doc.findings.filter((f) => f.suppression?.source === 'config');
    expect(bySource.map((f) => f.ruleId).sort()).toEqual([
      'SNYK-CC-AZURE-516',
      'SNYK-CC-TF-136',
      'SNYK-CC-TF-162',
    ]);
    expect(bySource.find((f) => f.ruleId === 'SNYK-CC-TF-136')!.suppression).toEqual({
      source: 'config',
      reason: 'logging is central',
      matchedBy: 'rule',
      expires: '2027-01-01',
      approvedBy: 'sec-team',
    });
    expect(doc.findings.find((f) => f.ruleId === 'SNYK-CC-TF-244')!.suppression).toBeUndefined();
    expect(doc.warnings).toEqual([
      'suppressions[3] (old exception) expired on 2026-01-01: it no longer suppresses 1 finding(s); renew or remove it',
      'suppressions[4] (not here) matches no finding; remove it if the issue is gone',
    ]);
  });

  it('suppressed findings do not count toward the gate', () => {
    const code = report('snyk/test-code-consistent-ignores.json');
    const strict = parseRepoConfig({ gate: { failOn: 'medium' } });
    const doc = buildDocument({ reports: [code], config: strict, context: {}, now });
    expect(doc.gate).toMatchObject({ passed: false, failing: 1 });
    const all = buildDocument({
      reports: [code],
      config: parseRepoConfig({
        gate: { failOn: 'medium' },
        suppressions: [{ rule: 'go/PT', reason: 'by design' }],
      }),
      context: {},
      now,
    });
    expect(all.gate).toMatchObject({ passed: true, failing: 0 });
  });

  it('baseline: new / existing / fixed, and new-only gating', () => {
    const oldSnyk = report('snyk/test-report-with-risk-scores.json');
    const baselineDoc = buildDocument({ reports: [oldSnyk], config: parseRepoConfig({}), context: {}, now });
    const baseline = parseJson(JSON.parse(JSON.stringify(baselineDoc)), 'baseline.json');
    expect(baseline.format).toBe('pipewarden');
    const current = report('snyk/test-report-with-reachability.json');
    // Keep two of the old findings, to be "existing".
    const kept = oldSnyk.findings.filter((f) => f.severity === 'CRITICAL' || f.severity === 'HIGH');
    const doc = buildDocument({
      reports: [current, { ...oldSnyk, findings: kept }],
      baseline,
      config: parseRepoConfig({}),
      context: {},
      gate: { newOnly: true },
      now,
    });
    expect(doc.findings.filter((f) => f.status === 'existing')).toHaveLength(2);
    expect(doc.findings.filter((f) => f.status === 'new')).toHaveLength(3);
    expect(doc.fixed).toHaveLength(3);
    expect(doc.fixed.every((f) => f.status === undefined)).toBe(true);
    // The only HIGH+ findings are existing ones, plus one new HIGH from the reachability report.
    const newHigh = doc.findings.filter(
      (f) => f.status === 'new' && (f.severity === 'HIGH' || f.severity === 'CRITICAL'),
    );
    expect(doc.gate!.failing).toBe(newHigh.length);
    expect(doc.gate!.passed).toBe(newHigh.length === 0);
  });

  it('fails closed on a missing report unless the config allows it', () => {
    const base = { reports: [], context: {}, now, missing: ['snyk.json'] };
    expect(buildDocument({ ...base, config: parseRepoConfig({}) }).gate).toMatchObject({
      passed: false,
      reasons: ['report missing or unreadable: snyk.json'],
    });
    const allowed = buildDocument({
      ...base,
      config: parseRepoConfig({ gate: { allowMissingReports: true } }),
    });
    expect(allowed.gate!.passed).toBe(true);
    expect(allowed.warnings).toContain('missing reports allowed by the config: snyk.json');
  });

  it('orders findings deterministically whatever the input order', () => {
    const a = report('snyk/iac-test-report.json');
    const b = report('inspector/scan-sbom-output_alpine-3.18.2.cdx.json');
    const config = parseRepoConfig({});
    const one = buildDocument({ reports: [a, b], config, context: {}, now }).findings.map(
      (f) => f.fingerprint,
    );
    const shuffled = { ...a, findings: [...a.findings].reverse() };
    const two = buildDocument({ reports: [b, shuffled], config, context: {}, now }).findings.map(
      (f) => f.fingerprint,
    );
    expect(two).toEqual(one);
  });
  it('a consumed report is triaged in place (no copy per finding); any other report is left as it was read', () => {
    const config = parseRepoConfig({
      suppressions: [{ rule: 'SNYK-CC-TF-136', reason: 'logging is central' }],
    });
    const kept = report('snyk/iac-test-report.json');
    const copied = buildDocument({ reports: [kept], config, context: {}, now });
    expect(copied.findings.some((f) => f.suppression?.source === 'config')).toBe(true);
    expect(kept.findings.some((f) => f.suppression?.source === 'config')).toBe(false);
    expect(copied.findings.filter((f) => kept.findings.includes(f))).toEqual([]);

    const consumed = report('snyk/iac-test-report.json');
    const doc = buildDocument({ reports: [consumed], config, context: {}, now, consumeReports: true });
    expect(doc.findings.every((f) => consumed.findings.includes(f))).toBe(true);
    // The same document either way.
    expect(JSON.stringify(doc.findings)).toBe(JSON.stringify(copied.findings));
  });
});
