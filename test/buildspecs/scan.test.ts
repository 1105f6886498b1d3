import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadReport } from '../../findings/load/load-report.js';
import { fixture, readFixture } from '../findings/helpers.js';
import { codeRepositoryCoverage, InspectorCoverageFake } from '../findings/fetch/inspector-coverage-fake.js';
import { fakeTools, loadBuildspec, makeSourceDir, runBuildspec } from './run-buildspec.js';
import { fake, basePath, runDir, useBuildspecRuns, pipelineEnv, FAKE_SNYK } from './buildspec-runs.js';

useBuildspecRuns();

describe('scan.yml, with stand-ins for the scanners', () => {
  const scan = loadBuildspec('scan.yml');
  const TOKEN = 'snyk-token-0123456789-secret';
  // Inspector2 ListCoverage on the shared fake: acme/shop is onboarded unless a test says otherwise.
  let coverage: InspectorCoverageFake;
  beforeAll(() => {
    coverage = new InspectorCoverageFake(fake);
  });
  beforeEach(() => {
    coverage.reset();
    coverage.resources = [codeRepositoryCoverage('acme/shop', 'ACTIVE', 'SUCCESSFUL')];
  });

  function snykEnv(src: string, extra: Record<string, string | undefined> = {}) {
    const bin = fakeTools(runDir, { snyk: FAKE_SNYK, npm: 'echo "npm $*"' });
    return pipelineEnv(src, {
      PATH: `${bin}:${basePath()}`,
      PIPEWARDEN_SCANNER: 'snyk',
      SNYK_TOKEN: TOKEN,
      FAKE_SNYK_TEST_REPORT: fixture('snyk/test-report-with-reachability.json'),
      FAKE_SNYK_CODE_REPORT: fixture('snyk/test-code-consistent-ignores.json'),
      FAKE_SNYK_IAC_REPORT: fixture('snyk/iac-test-report.json'),
      ...extra,
    });
  }
  const listed = (src: string) =>
    readFileSync(join(src, 'reports', 'pipewarden-reports.txt'), 'utf8')
      .trim()
      .split('\n');

  it('snyk: issues found (exit 1) is a result, not a failure; every report is listed for the gate', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_TEST_EXIT: '1', FAKE_SNYK_IAC_EXIT: '1' }),
    });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { install: 'SUCCEEDED', build: 'SUCCEEDED' },
    });
    expect(listed(src)).toEqual(['snyk-open-source.json', 'snyk-code.sarif', 'snyk-iac.json']);
    for (const f of listed(src))
      expect(
        (await loadReport(join(src, 'reports', f), { sourceRoot: src })).findings.length,
      ).toBeGreaterThan(0);
    expect(readFileSync(join(src, 'reports', 'tool-versions.txt'), 'utf8')).toMatch(/snyk 1\.1300\.0/);
    expect(result.log).not.toContain(TOKEN);
  });

  it('snyk: a scan that could not run (2) or found nothing to scan (3) fails the build, keeping the other reports', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_CODE_EXIT: '2', FAKE_SNYK_IAC_EXIT: '3' }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'SUCCEEDED', build: 'FAILED' } });
    expect(listed(src)).toEqual(['snyk-open-source.json']);
    expect(readFileSync(join(src, 'reports', 'exit-codes.txt'), 'utf8')).toMatch(
      /snyk test .*→ exit 0\nsnyk code test .*→ exit 2\nsnyk iac test .*→ exit 3/,
    );
    // The finally block still shows the list; the artifact directory has the reports that were written.
    expect(result.log).toMatch(/pipewarden: reports for the gate:\nsnyk-open-source\.json/);
    expect(existsSync(join(src, 'reports', 'snyk-open-source.json'))).toBe(true);
  });

  it('snyk: IaC can be switched off for a repository without IaC files', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_IAC_EXIT: '3', PIPEWARDEN_SNYK_IAC: 'false' }),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(listed(src)).toEqual(['snyk-open-source.json', 'snyk-code.sarif']);
  });

  it('inspector: fetches the repository’s findings and picks up saved CodeGuru JSON', async () => {
    const wire = readFixture('aws/inspector2-code-repository.wire.json') as {
      findings: Record<string, unknown>[];
    };
    fake.inspector.findings = wire.findings;
    const src = makeSourceDir(runDir);
    mkdirSync(join(src, '.codeguru'));
    cpSync(
      fixture('codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json'),
      join(src, '.codeguru', 'scan-2025-10.json'),
    );
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'inspector', SNYK_TOKEN: undefined }),
    });
    expect(result.log).toMatch(/Inspector: 3 finding\(s\) for acme\/shop in 2 page\(s\)/);
    expect(result.status).toBe('SUCCEEDED');
    expect(listed(src)).toEqual(['inspector-code.json', 'codeguru-scan-2025-10.json']);
    const inspector = await loadReport(join(src, 'reports', 'inspector-code.json'), { sourceRoot: src });
    expect(inspector.findings).toHaveLength(3);
    expect(fake.inspector.listRequests[0]!.filterCriteria).toMatchObject({
      codeRepositoryProjectName: [{ comparison: 'EQUALS', value: 'acme/shop' }],
    });
  });

  it('inspector: a repository Inspector does not cover fails the build in one line, listing no report', async () => {
    coverage.resources = [
      codeRepositoryCoverage('acme/shop', 'INACTIVE', 'NO_SCAN_CONFIGURATION_ASSOCIATED'),
    ];
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'inspector', SNYK_TOKEN: undefined }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'SUCCEEDED', build: 'FAILED' } });
    expect(result.log).toContain(
      'pipewarden: Inspector code security does not cover acme/shop in eu-central-1 (its CODE_REPOSITORY coverage is INACTIVE (NO_SCAN_CONFIGURATION_ASSOCIATED)): onboard it (the GitHub integration and a scan configuration, docs/inspector-code-security.md) and run again, or pass --allow-not-covered (PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=true) to report it as not scanned\n',
    );
    // Nothing for the gate: the action fails, and a gate given its artifact fails closed on the missing list.
    expect(readFileSync(join(src, 'reports', 'pipewarden-reports.txt'), 'utf8')).toBe('');
    expect(existsSync(join(src, 'reports', 'inspector-code.json'))).toBe(false);
    expect(fake.inspector.listRequests).toEqual([]);
  });

  it('inspector: allowed not covered, lists a NOT SCANNED report that the engine warns about', async () => {
    coverage.resources = [];
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, {
        PIPEWARDEN_SCANNER: 'inspector',
        SNYK_TOKEN: undefined,
        PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED: 'true',
      }),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.log).toMatch(
      /pipewarden: warning: Inspector code security does not cover acme\/shop .* written as NOT SCANNED/,
    );
    expect(listed(src)).toEqual(['inspector-code.json']);
    const report = await loadReport(join(src, 'reports', 'inspector-code.json'), { sourceRoot: src });
    expect(report.findings).toEqual([]);
    expect(report.warnings).toEqual([expect.stringContaining('NOT SCANNED: Amazon Inspector code security')]);
  });

  it('refuses an unknown scanner before scanning anything', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'trivy' }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(/PIPEWARDEN_SCANNER must be snyk or inspector, not 'trivy'/);
  });
});
