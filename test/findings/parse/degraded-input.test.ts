import { describe, expect, it } from '@jest/globals';
import { parseJson, readFixture } from '../helpers.js';

// Real fixtures, mutated: the degraded-input policy of docs/findings.md (form the finding and warn once per
// file and kind with a count; refuse only when no honest finding can be formed).
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const clone = <T>(v: T): T => structuredClone(v);
const sbomFixture = () => clone(readFixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json') as Json);
const SEVERE = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];

describe('scan-sbom: affected refs that name no component', () => {
  it('one finding per affected ref, fixed version kept, one warning for the file', () => {
    const whole = parseJson(sbomFixture());
    const doc = sbomFixture();
    doc.sbom.components = doc.sbom.components.filter(
      (c: Json) => c['bom-ref'] !== 'comp-8' && c['bom-ref'] !== 'comp-5',
    );
    const r = parseJson(doc, 'scan.cdx.json');
    expect(r.findings).toHaveLength(whole.findings.length);
    const f = r.findings.find((x) => x.ruleId === 'CVE-2023-5363')!;
    expect(f).toMatchObject({
      severity: 'HIGH',
      package: { name: 'comp-8', fixedVersion: '3.1.4-r0' },
      remediation: 'Upgrade comp-8 to 3.1.4-r0 or later.',
    });
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^scan\.cdx\.json: affected ref\(s\) name no component in components\[\]; the package is named from the ref \(12 times; the first: vulnerabilities\[0\]\.affects\[0\]\.ref "comp-8"\)$/,
      ),
    ]);
  });

  it('a purl ref names the package, its version and ecosystem', () => {
    const doc = sbomFixture();
    const purls = new Map<string, string>(
      doc.sbom.components.map((c: Json) => [c['bom-ref'], c.purl ?? c['bom-ref']]),
    );
    // Inspector's refs can be package URLs; rename the refs (and their fixed_version properties) to them.
    for (const v of doc.sbom.vulnerabilities) {
      for (const a of v.affects) a.ref = purls.get(a.ref);
      for (const p of v.properties ?? [])
        p.name = p.name.replace(
          /fixed_version:(.+)$/,
          (_: string, ref: string) => `fixed_version:${purls.get(ref)}`,
        );
    }
    const withComponents = parseJson(clone(doc));
    doc.sbom.components = [];
    const r = parseJson(doc);
    const f = r.findings.find((x) => x.ruleId === 'CVE-2022-48174')!;
    const same = withComponents.findings.find((x) => x.ruleId === 'CVE-2022-48174')!;
    expect(f.package).toMatchObject({
      name: 'busybox',
      version: '1.36.1-r0',
      fixedVersion: '1.36.1-r1',
      ecosystem: 'apk',
    });
    // Same identity as when the component is listed: a baseline does not see it as new.
    expect(f.fingerprint).toBe(same.fingerprint);
    expect(f.severity).toBe('CRITICAL');
    expect(r.warnings).toHaveLength(1);
  });
});

describe('snyk iac test --sarif: PROJECTROOT of another machine', () => {
  it('keeps the relative uri as a repository path; one warning per file and kind', () => {
    const doc = clone(readFixture('variants/snyk-iac-sarif.json') as Json);
    doc.runs[0].originalUriBaseIds.PROJECTROOT.uri = 'file:///Users/dev/src/shop/';
    const r = parseJson(doc);
    expect(r.findings[0]!.location).toEqual({ path: 'infra/main.tf', startLine: 12 });
    expect(r.warnings).toEqual([]);

    // Nine results whose uri is absolute elsewhere: one line with the count, not nine.
    const result = doc.runs[0].results[0];
    doc.runs[0].results = Array.from({ length: 9 }, (_, i) => {
      const copy = clone(result);
      copy.locations[0].physicalLocation.artifactLocation = { uri: `file:///Users/dev/other/f${i}.tf` };
      return copy;
    });
    const many = parseJson(doc, 'iac.sarif');
    expect(many.findings).toHaveLength(9);
    expect(many.warnings).toEqual([
      'iac.sarif: location dropped (9 times; the first: absolute path outside the repository: file:///Users/dev/other/f0.tf)',
    ]);
  });

  it('a base inside the checkout still resolves; a prototype name as uriBaseId finds nothing', () => {
    const doc = clone(readFixture('variants/snyk-iac-sarif.json') as Json);
    doc.runs[0].originalUriBaseIds.PROJECTROOT.uri = 'file:///src/repo/modules/';
    expect(parseJson(doc).findings[0]!.location?.path).toBe('modules/infra/main.tf');
    doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uriBaseId = 'constructor';
    expect(parseJson(doc).findings[0]!.location?.path).toBe('infra/main.tf');
  });
});

describe('severity words are own-property lookups', () => {
  const words = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

  it('CycloneDX ratings: a valid severity and a warning, never a function', () => {
    for (const word of words) {
      const doc = sbomFixture();
      for (const v of doc.sbom.vulnerabilities) for (const r of v.ratings) r.severity = word;
      const r = parseJson(doc);
      expect(r.findings.length).toBeGreaterThan(0);
      for (const f of r.findings) expect(SEVERE).toContain(f.severity);
      expect(r.warnings).toEqual([
        expect.stringMatching(/rating severity word\(s\) outside CycloneDX's .*\(9 times/),
      ]);
    }
  });

  it('Snyk, Inspector2 and CodeGuru refuse the file naming the field; nothing passes as a function', () => {
    for (const word of words) {
      const snyk = clone(readFixture('snyk/test-report-with-risk-scores.json') as Json);
      snyk.vulnerabilities[0].severity = word;
      delete snyk.vulnerabilities[0].severityWithCritical;
      expect(() => parseJson(snyk, 's.json')).toThrow(
        /s\.json: snyk-test report with a broken field: field "vulnerabilities\[0\]\.severity"/,
      );
      const event = clone(
        readFixture('inspector/inspector2-eventbridge-lambda-code-vulnerability.json') as Json,
      );
      event.detail.severity = word;
      expect(() => parseJson(event, 'i.json')).toThrow(
        /i\.json: inspector2 report with a broken field: field "detail\.severity"/,
      );
      const codeguru = clone(
        readFixture('codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json') as Json,
      );
      const list = (Array.isArray(codeguru) ? codeguru : codeguru.findings) as Json[];
      list[0]!.severity = word;
      expect(() => parseJson(codeguru, 'c.json')).toThrow(/c\.json: .*severity/);
    }
  });
});

describe('cdk-nag: a severity word it cannot place', () => {
  it('counts at MEDIUM with one warning, never silently', () => {
    const report = clone(readFixture('cdk-nag/v3/validation-report.json') as Json);
    const setSeverity = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(setSeverity);
      else if (v && typeof v === 'object') {
        const o = v as Json;
        if (typeof o.severity === 'string') o.severity = 'constructor';
        Object.values(o).forEach(setSeverity);
      }
    };
    setSeverity(report);
    const r = parseJson(report, 'v.json', '/elsewhere');
    expect(r.findings.length).toBeGreaterThan(1);
    expect(new Set(r.findings.map((f) => f.severity))).toEqual(new Set(['MEDIUM']));
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^v\\.json: severity word\\(s\\) that are not error, warning, info, fatal or a severity read as MEDIUM \\(${r.findings.length} times; the first: .*"constructor"\\)$`,
        ),
      ),
    );
  });
});

describe('SARIF: failed runs, unknown levels, scores out of range', () => {
  const codeql = () => clone(readFixture('sarif-other/codeql-action-valid-sarif.sarif') as Json);

  it('a run whose invocation did not succeed is refused, naming the tool and its message', () => {
    const doc = codeql();
    doc.runs[0].invocations = [
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          { level: 'error', message: { text: 'out of memory\nwhile extracting' } },
        ],
      },
    ];
    expect(() => parseJson(doc, 'q.sarif')).toThrow(
      /^pipewarden: q\.sarif: "LGTM\.com" did not complete its scan \(runs\[0\]\.invocations\[\]\.executionSuccessful: false: out of memory while extracting\); fix the scanner's run and scan again$/,
    );
  });

  it('unknown levels take their most severe reasonable reading, with one warning', () => {
    const doc = codeql();
    const results = (doc.runs as Json[]).flatMap((run) => run.results as Json[]);
    expect(results).toHaveLength(3);
    results.forEach((r, i) => (r.level = ['critical', 'Error', 'bogus'][i]));
    const r = parseJson(doc, 'q.sarif');
    const bySeverity = r.findings.map((f) => [f.originalSeverity, f.severity]);
    expect(bySeverity).toContainEqual(['critical', 'CRITICAL']);
    expect(bySeverity).toContainEqual(['Error', 'HIGH']);
    expect(bySeverity).toContainEqual(['bogus', 'HIGH']);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^q\.sarif: level\(s\) that SARIF does not define .*read as CRITICAL\)$/),
    ]);
  });

  it('security-severity outside 0–10 or not a number falls back to the level, with a warning', () => {
    const doc = clone(readFixture('variants/snyk-test-sarif.json') as Json);
    const rule = doc.runs[0].tool.driver.rules[0];
    const result = doc.runs[0].results[0];
    for (const bad of [-5, 11, 'high', 'NaN']) {
      rule.properties['security-severity'] = bad;
      result.level = 'error';
      const r = parseJson(clone(doc));
      expect(r.findings[0]!.severity).toBe('HIGH');
      expect(r.findings[0]!.originalSeverity).toBe('error');
      expect(r.warnings.join()).toMatch(/security-severity that is not a number from 0 to 10 ignored/);
    }
  });
});

describe('JSON that is not a scan result is refused, never zero findings', () => {
  it('[] and {} and a SARIF without runs', () => {
    expect(() => parseJson([], 'a.json')).toThrow(
      /^pipewarden: a\.json: \[\] is not a scan result \(expected/,
    );
    expect(() => parseJson({}, 'o.json')).toThrow(/^pipewarden: o\.json: \{\} is not a scan result/);
    expect(() => parseJson({ version: '2.1.0', runs: [] }, 'r.sarif')).toThrow(
      /r\.sarif: SARIF with no runs \(no tool ran\) is not a scan result/,
    );
    // A run without `results` only exports rules (SARIF §3.14.23): the real fixture with its results removed.
    const rulesOnly = structuredClone(readFixture('sarif-other/codeql-action-valid-sarif.sarif') as Json);
    for (const run of rulesOnly.runs) delete run.results;
    expect(() => parseJson(rulesOnly, 'm.sarif')).toThrow(
      /^pipewarden: m\.sarif: SARIF without results in any run \(rules metadata, not a scan\) is not a scan result/,
    );
    rulesOnly.runs[1].results = [];
    expect(parseJson(rulesOnly, 'm.sarif').findings).toEqual([]);
  });
});

describe('messages stay one line', () => {
  it('a file name or a scanner path with a newline is shown escaped', () => {
    const doc = clone(readFixture('variants/snyk-iac-sarif.json') as Json);
    doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation = { uri: '/etc/x\ny.tf' };
    const r = parseJson(doc, 'bad\nname.sarif');
    expect(r.warnings).toEqual([
      '"bad\\nname.sarif": location dropped: absolute path outside the repository: /etc/x\\ny.tf',
    ]);
    expect(() => parseJson({ version: '2.1.0', runs: [] }, 'x\ny.sarif')).toThrow(
      /^pipewarden: "x\\ny\.sarif": SARIF with no runs/,
    );
  });
});
