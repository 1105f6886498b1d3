import { describe, expect, it } from '@jest/globals';
import { mergeFindings } from '../../../findings/model/fingerprint.js';
import { parseJson, readFixture } from '../helpers.js';

type Sarif = {
  runs: { results: { locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
};

describe('fingerprints', () => {
  it('are stable across re-runs', () => {
    const a = parseJson(readFixture('snyk/iac-test-report.json')).findings.map((f) => f.fingerprint);
    const b = parseJson(readFixture('snyk/iac-test-report.json')).findings.map((f) => f.fingerprint);
    expect(b).toEqual(a);
  });

  it('survive line moves', () => {
    const sarif = readFixture('snyk/test-code-consistent-ignores.json') as Sarif;
    const before = parseJson(sarif).findings.map((f) => f.fingerprint);
    for (const r of sarif.runs[0]!.results) r.locations[0]!.physicalLocation.region.startLine += 40;
    const after = parseJson(sarif).findings;
    expect(after.map((f) => f.fingerprint)).toEqual(before);
    expect(after[0]!.location!.startLine).toBe(195);
  });

  it('tell apart the same rule twice in a file without scanner fingerprints', () => {
    const result = (line: number) => ({
      ruleId: 'R1',
      message: { text: 'same message' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'a.js' }, region: { startLine: line } } }],
    });
    const log = {
      version: '2.1.0',
      runs: [{ tool: { driver: { name: 'Lint' } }, results: [result(30), result(10)] }],
    };
    const fps = parseJson(log).findings.map((f) => f.fingerprint);
    expect(new Set(fps).size).toBe(2);
  });

  it('merge the same vulnerability in the same package version from Snyk and Inspector into one finding', () => {
    const inspector = parseJson(
      readFixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
      'sbom.json',
    ).findings;
    const openssl = inspector.find((f) => f.ruleId === 'CVE-2023-5363')!;
    // Snyk container reports the same CVE in the same package version of the image.
    const snykContainer = {
      vulnerabilities: [
        {
          id: 'SNYK-ALPINE318-OPENSSL-6032386',
          title: 'CVE-2023-5363',
          severity: 'high',
          packageName: openssl.package!.name,
          version: openssl.package!.version,
          identifiers: { CVE: ['CVE-2023-5363'], CWE: [] },
          from: ['docker-image|app@latest', `${openssl.package!.name}@${openssl.package!.version}`],
        },
      ],
      docker: { baseImage: 'alpine:3.18.2' },
      packageManager: 'apk',
      projectName: 'docker-image|app',
    };
    const snyk = parseJson(snykContainer, 'snyk.json').findings;
    const merged = mergeFindings([...inspector, ...snyk]);
    expect(merged).toHaveLength(inspector.length);
    const one = merged.find((f) => f.fingerprint === openssl.fingerprint)!;
    expect(one.sources.map((s) => `${s.tool}:${s.file}`)).toEqual([
      'inspector-sbom:sbom.json',
      'snyk-container:snyk.json',
    ]);
    expect(one.vulnerabilityIds).toContain('SNYK-ALPINE318-OPENSSL-6032386');
    expect(one.package!.fixedVersion).toBe('3.1.4-r0');
  });

  it('do not merge across Snyk projects (per project counting)', () => {
    const r = parseJson(readFixture('variants/snyk-test-all-projects.json'));
    expect(mergeFindings(r.findings)).toHaveLength(r.findings.length);
  });

  it('the same report given twice gives each finding once', () => {
    const a = parseJson(readFixture('snyk/iac-test-report.json'), 'a.json').findings;
    const b = parseJson(readFixture('snyk/iac-test-report.json'), 'b.json').findings;
    const merged = mergeFindings([...a, ...b]);
    expect(merged).toHaveLength(30);
    expect(merged[0]!.sources).toHaveLength(2);
  });
});
