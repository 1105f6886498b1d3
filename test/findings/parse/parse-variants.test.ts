import { describe, expect, it } from '@jest/globals';
import { parseJson, readFixture } from '../helpers.js';

describe('format variants', () => {
  it('snyk test --all-projects array: per project, dependency paths merged within a project', () => {
    const r = parseJson(readFixture('variants/snyk-test-all-projects.json'));
    expect(r.format).toBe('snyk-test');
    // 3 issues in the first project (one reached twice → merged), 1 in the second: the shared one stays per project.
    expect(r.findings).toHaveLength(4);
    const xss = r.findings.filter((f) => f.ruleId === 'npm:sanitize-html:20141024');
    expect(xss.map((f) => f.location?.path).sort()).toEqual([
      'frontend/package-lock.json',
      'package-lock.json',
    ]);
    const root = xss.find((f) => f.location?.path === 'package-lock.json')!;
    expect(root.package!.dependencyPaths).toHaveLength(2);
    expect(new Set(xss.map((f) => f.fingerprint)).size).toBe(2);
  });

  it('snyk test --sarif: security-severity wins, package from the logical location', () => {
    const r = parseJson(readFixture('variants/snyk-test-sarif.json'));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      tool: 'snyk-open-source',
      kind: 'dependency',
      severity: 'HIGH',
      originalSeverity: 'security-severity 7.4',
      package: { name: 'lodash', version: '4.17.15' },
      vulnerabilityIds: ['CVE-2020-8203', 'SNYK-JS-LODASH-567746', 'CWE-1321'],
      location: { path: 'package.json', startLine: 1 },
    });
  });

  it('snyk iac test --sarif: PROJECTROOT base id resolved to a repo path', () => {
    const r = parseJson(readFixture('variants/snyk-iac-sarif.json'));
    expect(r.findings[0]).toMatchObject({
      tool: 'snyk-iac',
      kind: 'iac',
      severity: 'MEDIUM',
      location: { path: 'infra/main.tf', startLine: 12 },
    });
  });

  it('zero findings are valid when a scanner wrote its report ([] and {} are not: degraded-input.test.ts)', () => {
    expect(parseJson({ findings: [], nextToken: null }).format).toBe('codeguru-security');
    expect(parseJson({ vulnerabilities: [], ok: true, dependencyCount: 3 }).findings).toEqual([]);
    const sbom = readFixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json') as {
      sbom: Record<string, unknown>;
    };
    expect(parseJson({ sbom: { ...sbom.sbom, vulnerabilities: [] } }).findings).toEqual([]);
  });

  it('CodeGuru GetFindings as the API model has it: remediation, codeSnippet under filePath, epoch timestamps', () => {
    const response = {
      findings: [
        {
          createdAt: 1700000000,
          updatedAt: '2024-01-02T03:04:05Z',
          description: 'Log injection',
          detectorId: 'java/log-injection@v1.0',
          detectorName: 'Log injection',
          detectorTags: ['cwe-117', 'injection'],
          generatorId: 'codeguru-security',
          id: 'f-1',
          remediation: {
            recommendation: {
              text: 'Sanitize before logging.',
              url: 'https://docs.aws.amazon.com/codeguru/detector-library/java/log-injection/',
            },
            suggestedFixes: [{ description: 'Use an encoder', code: 'log.info(encode(x));' }],
          },
          resource: { id: 'scan-1', subResourceId: 'x' },
          ruleId: 'java-log-injection',
          severity: 'High',
          status: 'Open',
          title: 'CWE-117 - Log injection',
          type: 'Security',
          vulnerability: {
            filePath: {
              codeSnippet: [{ number: 10, content: 'log.info(userInput);' }],
              endLine: 10,
              name: 'App.java',
              path: '/codebuild/output/src999/src/src/main/java/App.java',
              startLine: 10,
            },
            id: 'v-1',
            itemCount: 1,
            referenceUrls: [],
            relatedVulnerabilities: ['CWE-117'],
          },
        },
        { ...{ severity: 'Low', status: 'Closed', detectorId: 'x', title: 'old' } },
      ],
      nextToken: 'abc',
    };
    const r = parseJson(response);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'java-log-injection',
      severity: 'HIGH',
      originalSeverity: 'High',
      vulnerabilityIds: ['CWE-117'],
      location: {
        path: 'src/main/java/App.java',
        startLine: 10,
        endLine: 10,
        snippet: 'log.info(userInput);',
      },
      remediation: 'Sanitize before logging.',
    });
    expect(r.warnings.join()).toMatch(/1 Closed/);
    // The bare array form (jq '.findings') reads the same.
    expect(parseJson(response.findings).findings[0]!.fingerprint).toBe(r.findings[0]!.fingerprint);
  });
});
