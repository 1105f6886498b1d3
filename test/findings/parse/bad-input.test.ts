import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadReport } from '../../../findings/load/load-report.js';
import { parseJson, readFixture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-bad-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const paths = { sourceRoot: dir };

describe('bad input: one line naming the file and what is wrong', () => {
  it('not JSON: line and column', async () => {
    const file = write('broken.json', '{\n  "runs": [\n    { "tool": }\n  ]\n}');
    await expect(loadReport(file, paths)).rejects.toThrow(
      new RegExp(`^pipewarden: ${file}: not valid JSON at line 3, column 15 `),
    );
  });

  it('truncated JSON and empty files', async () => {
    await expect(loadReport(write('cut.json', '{"vulnerabilities": ['), paths)).rejects.toThrow(
      /not valid JSON at line 1, column 22 \(unexpected end of input\)/,
    );
    await expect(loadReport(write('empty.json', '  \n'), paths)).rejects.toThrow(
      /empty\.json: the file is empty/,
    );
  });

  it('missing file', async () => {
    await expect(loadReport(join(dir, 'nope.json'), paths)).rejects.toThrow(
      /nope\.json: cannot read the report \(no such file\)/,
    );
  });

  it('JSON but no known report: lists the known ones', () => {
    expect(() => parseJson({ hello: 'world' }, 'x.json')).toThrow(
      /^pipewarden: x\.json: JSON, but not a report pipewarden knows; known reports: SARIF 2\.1\.0.*snyk iac test --json.*scan-sbom.*CodeGuru/,
    );
  });

  it('a known report with a broken field names the field', () => {
    const snyk = readFixture('snyk/test-report-with-risk-scores.json') as {
      vulnerabilities: Record<string, unknown>[];
    };
    snyk.vulnerabilities[2]!.severity = 'urgent';
    expect(() => parseJson(snyk, 's.json')).toThrow(
      'pipewarden: s.json: snyk-test report with a broken field: field "vulnerabilities[2].severity" should be critical, high, medium or low, found the string "urgent"; regenerate the report with the scanner\'s JSON output',
    );
    const sarif = readFixture('sarif-other/codeql-action-valid-sarif.sarif') as {
      runs: { results: unknown[] }[];
    };
    sarif.runs[1]!.results[0] = 'oops';
    expect(() => parseJson(sarif, 'c.sarif')).toThrow(
      /field "runs\[1\]\.results\[0\]" should be an object, found the string "oops"/,
    );
    expect(() => parseJson({ findings: [{ severity: 'Severe', detectorId: 'x' }] }, 'cg.json')).toThrow(
      /JSON, but not a report/,
    );
    expect(() =>
      parseJson({ findings: [{ severity: 'High', detectorId: 'x', createdAt: 'yesterday' }] }, 'cg.json'),
    ).toThrow(/field "findings\[0\]\.createdAt" should be an ISO 8601 timestamp or epoch seconds/);
  });

  it('an SBOM without scan results says which command to run', () => {
    expect(() =>
      parseJson(readFixture('inspector/sbomgen-input_alpine-3.18.2.cdx.json'), 'sbom.json'),
    ).toThrow(/sbom\.json: a CycloneDX SBOM without scan results .*aws inspector-scan scan-sbom/);
  });
});
