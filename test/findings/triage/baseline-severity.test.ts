import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { RepoConfig } from '../../../findings/config/repo-config.js';
import { parseJson, readFixture } from '../helpers.js';

const now = new Date('2026-11-28T12:00:00Z');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The CodeQL run of the real fixture: one `note` (js/unused-local-variable) in main.js, line 2. */
function codeql(): Json {
  const log = structuredClone(readFixture('sarif-other/codeql-action-valid-sarif.sarif')) as Json;
  log.runs = [log.runs[1]];
  log.runs[0].results = [log.runs[0].results[0]];
  return log;
}

function gateOn(current: Json, baselineLog: Json, config: RepoConfig = parseRepoConfig({})) {
  const base = buildDocument({
    reports: [parseJson(baselineLog, 'codeql.sarif')],
    config: parseRepoConfig({}),
    context: {},
    now,
  });
  const baseline = parseJson(JSON.parse(JSON.stringify(base)), 'baseline.json');
  return buildDocument({
    reports: [parseJson(current, 'codeql.sarif')],
    baseline,
    config,
    context: {},
    gate: { failOn: 'HIGH', newOnly: true },
    now,
  });
}

describe('--new-only and severity', () => {
  it('a new error above an old note of the same rule is new and fails the gate', () => {
    const before = codeql();
    const after = codeql();
    const error = structuredClone(after.runs[0].results[0]);
    error.level = 'error';
    error.locations[0].physicalLocation.region.startLine = 1;
    after.runs[0].results.unshift(error);
    const doc = gateOn(after, before);
    const bySeverity = Object.fromEntries(doc.findings.map((f) => [f.severity, f.status]));
    expect(bySeverity).toEqual({ HIGH: 'new', LOW: 'existing' });
    expect(doc.gate).toMatchObject({ passed: false, failing: 1 });
    // The old note keeps its fingerprint; the error has its own.
    const baseFp = parseJson(before).findings[0]!.fingerprint;
    expect(doc.findings.find((f) => f.severity === 'LOW')!.fingerprint).toBe(baseFp);
    expect(doc.findings.find((f) => f.severity === 'HIGH')!.fingerprint).not.toBe(baseFp);
  });

  it("a suppression by the note's fingerprint does not pass to the new error", () => {
    const before = codeql();
    const fp = parseJson(before).findings[0]!.fingerprint;
    const after = codeql();
    const error = structuredClone(after.runs[0].results[0]);
    error.level = 'error';
    error.locations[0].physicalLocation.region.startLine = 1;
    after.runs[0].results.push(error);
    const doc = gateOn(
      after,
      before,
      parseRepoConfig({ suppressions: [{ fingerprint: fp, reason: 'unused variable is fine' }] }),
    );
    expect(doc.findings.find((f) => f.severity === 'HIGH')!.suppression).toBeUndefined();
    expect(doc.findings.find((f) => f.severity === 'LOW')!.suppression).toMatchObject({ source: 'config' });
    expect(doc.gate!.passed).toBe(false);
  });

  it('a finding whose severity rose since the baseline is new; one that fell stays existing', () => {
    const before = codeql();
    const rose = codeql();
    rose.runs[0].results[0].level = 'error';
    const up = gateOn(rose, before);
    expect(up.findings.map((f) => [f.severity, f.status])).toEqual([['HIGH', 'new']]);
    expect(up.gate).toMatchObject({ passed: false, failing: 1 });
    expect(up.fixed).toEqual([]);

    const fell = codeql();
    fell.runs[0].results[0].level = 'none';
    const down = gateOn(fell, before);
    expect(down.findings.map((f) => [f.severity, f.status])).toEqual([['INFO', 'existing']]);
  });
});
