import { describe, expect, it } from '@jest/globals';
import { countBy, parseJson, readFixture } from '../helpers.js';

// Every real fixture, with the counts the rules of issue 2 give (one finding per SARIF result, per Snyk
// (issue, package, version) per project, per IaC issue per file, per scan-sbom (vulnerability, component) pair,
// per Inspector2 finding, per CodeGuru finding).
describe('real scanner outputs', () => {
  it('snyk test --json (reachability): 3 issues, severities and packages kept', () => {
    const r = parseJson(readFixture('snyk/test-report-with-reachability.json'));
    expect(r.format).toBe('snyk-test');
    expect(r.findings).toHaveLength(3);
    const xss = r.findings.find((f) => f.ruleId === 'npm:sanitize-html:20141024')!;
    expect(xss).toMatchObject({
      tool: 'snyk-open-source',
      kind: 'dependency',
      severity: 'MEDIUM',
      originalSeverity: 'medium',
      package: { name: 'sanitize-html', version: '1.4.2', fixedVersion: '1.4.3', ecosystem: 'npm' },
    });
    expect(xss.vulnerabilityIds).toEqual([
      'CVE-2016-1000237',
      'GHSA-3j7m-hmh3-9jmp',
      'npm:sanitize-html:20141024',
      'CWE-79',
    ]);
    expect(xss.package!.dependencyPaths).toEqual([['juice-shop@12.3.0', 'sanitize-html@1.4.2']]);
  });

  it('snyk test --json (risk scores): 5 issues', () => {
    const r = parseJson(readFixture('snyk/test-report-with-risk-scores.json'));
    expect(r.findings).toHaveLength(5);
    expect(countBy(r.findings, (f) => f.severity)).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 2, LOW: 1 });
  });

  it('snyk container test --json: OS packages and applications[] both read', () => {
    const r = parseJson(readFixture('snyk/test-report-container-with-app-vulns.json'));
    expect(r.findings).toHaveLength(2);
    expect(r.findings.every((f) => f.tool === 'snyk-container' && f.kind === 'container')).toBe(true);
    // Paths inside the image are not repository paths: no location.
    expect(r.findings.every((f) => f.location === undefined)).toBe(true);
    // Snyk's packageName (the source package for OS packages), and a Go module from applications[].
    expect(r.findings.map((f) => f.package!.name).sort()).toEqual(['golang.org/x/crypto/ssh', 'zlib']);
  });

  it('snyk iac test --json over a directory: one finding per issue per file, line -1 = unknown', () => {
    const r = parseJson(readFixture('snyk/iac-test-report.json'));
    expect(r.format).toBe('snyk-iac');
    expect(r.findings).toHaveLength(30);
    const unknownLine = r.findings.find((f) => f.ruleId === 'SNYK-CC-TF-136')!;
    expect(unknownLine.location).toEqual({ path: 'http-triggered_function.json' });
    const placed = r.findings.find((f) => f.ruleId === 'CUSTOM-RULE-4')!;
    expect(placed.location).toEqual({ path: 'http-triggered_function.json', startLine: 16 });
    // The same rule on two resources of one file stays two findings.
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(30);
  });

  it('snyk code test --json (SARIF): suppressed result kept and flagged, %SRCROOT% resolved', () => {
    const r = parseJson(readFixture('snyk/test-code-consistent-ignores.json'));
    expect(r.format).toBe('sarif');
    expect(r.findings).toHaveLength(2);
    expect(r.findings.every((f) => f.tool === 'snyk-code' && f.severity === 'MEDIUM')).toBe(true);
    const suppressed = r.findings.filter((f) => f.suppression);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]!.suppression).toEqual({
      source: 'scanner',
      reason: 'this is by design',
      approvedBy: 'Ian Zink',
      // Declared by the code under review (Snyk's ignore): a feature run checks it against the baseline.
      inRepository: true,
    });
    expect(r.findings[0]!.location!.path).toBe('test/fixtures/test-code-src/GetRowsCommand.java');
  });

  it('CodeQL SARIF with two runs: level inherited from the rule default (note → LOW)', () => {
    const r = parseJson(readFixture('sarif-other/codeql-action-valid-sarif.sarif'));
    expect(r.findings).toHaveLength(3);
    expect(r.findings.every((f) => f.severity === 'LOW' && f.originalSeverity === 'note')).toBe(true);
    expect(countBy(r.findings, (f) => f.tool)).toEqual({ 'LGTM.com': 1, 'CodeQL command-line toolchain': 2 });
  });

  it('scan-sbom CycloneDX with the {"sbom": …} wrapper: one finding per (vulnerability, component)', () => {
    const r = parseJson(readFixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'));
    expect(r.format).toBe('inspector-sbom');
    expect(r.findings).toHaveLength(12);
    // Inspector's own summary says 1 critical, 1 high, 7 medium, 3 other (EPSS-only = untriaged → MEDIUM, kept apart by originalSeverity).
    expect(countBy(r.findings, (f) => f.severity)).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 10 });
    expect(r.findings.filter((f) => f.originalSeverity.startsWith('untriaged'))).toHaveLength(3);
    const busybox = r.findings.find((f) => f.ruleId === 'CVE-2022-48174')!;
    expect(busybox.package).toMatchObject({ fixedVersion: '1.36.1-r1' });
    expect(busybox.vulnerabilityIds).toEqual(['CVE-2022-48174', 'CWE-787']);
  });

  it('scan-sbom without the wrapper reads the same', () => {
    const wrapped = readFixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json') as { sbom: unknown };
    const a = parseJson(wrapped).findings.map((f) => f.fingerprint);
    const b = parseJson(wrapped.sbom).findings.map((f) => f.fingerprint);
    expect(b).toEqual(a);
  });

  it('scan-sbom Dockerfile checks: file component → Dockerfile with affected lines', () => {
    const r = parseJson(readFixture('inspector/scan-sbom-output_dockerfile-only.cdx.json'));
    expect(r.findings).toHaveLength(10);
    expect(countBy(r.findings, (f) => f.severity)).toEqual({ CRITICAL: 4, HIGH: 2, INFO: 4 });
    const secret = r.findings.find((f) => f.ruleId === 'IN-DOCKER-007-001')!;
    expect(secret).toMatchObject({
      kind: 'secret',
      location: { path: 'Dockerfile', startLine: 22, endLine: 22 },
    });
  });

  it('Inspector2 EventBridge CODE_VULNERABILITY event (Inspector code security)', () => {
    const r = parseJson(readFixture('inspector/inspector2-eventbridge-lambda-code-vulnerability.json'));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      tool: 'inspector-code',
      kind: 'code',
      ruleId: 'python-detect-hardcoded-aws-credentials',
      severity: 'CRITICAL',
      vulnerabilityIds: ['CWE-798'],
      location: { path: 'lambda_function.py', startLine: 6, endLine: 6 },
    });
  });

  it('Inspector2 PACKAGE_VULNERABILITY: a CLOSED finding is skipped with a warning; ACTIVE and SUPPRESSED ones read', () => {
    const event = readFixture('inspector/inspector2-eventbridge-ec2-package-vulnerability.json') as {
      detail: Record<string, unknown>;
    };
    const closed = parseJson(event);
    expect(closed.findings).toHaveLength(0);
    expect(closed.warnings.join()).toMatch(/CLOSED/);
    // The same finding as ListFindings returns it while it is open, and once suppressed.
    const active = { ...event.detail, status: 'ACTIVE' };
    const suppressed = {
      ...event.detail,
      status: 'SUPPRESSED',
      findingArn: `${String(event.detail.findingArn)}-2`,
    };
    const r = parseJson({ findings: [active, suppressed] });
    expect(r.format).toBe('inspector2');
    expect(r.findings).toHaveLength(2);
    expect(r.findings[0]).toMatchObject({ tool: 'inspector', kind: 'container', ruleId: 'CVE-2024-29069' });
    expect(r.findings[0]!.package!.name).toBeTruthy();
    expect(r.findings[1]!.suppression).toMatchObject({ source: 'scanner' });
    // One finding alone (as `aws inspector2 list-findings --query 'findings[0]'` prints it) reads too.
    expect(parseJson(active).findings).toHaveLength(1);
  });

  it('CodeGuru non-conformant export: read as far as possible, with a warning', () => {
    const r = parseJson(readFixture('codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json'));
    expect(r.format).toBe('codeguru-security');
    expect(r.findings).toHaveLength(3);
    expect(r.findings[0]).toMatchObject({
      tool: 'codeguru-security',
      severity: 'CRITICAL',
      vulnerabilityIds: ['CWE-89'],
      remediation: 'Use prepared statements to parameterize the query.',
      location: { path: 'src/main/java/com/example/UserDao.java', startLine: 42, endLine: 44 },
    });
    expect(r.warnings.join()).toMatch(/do not follow the GetFindings model/);
  });
});
