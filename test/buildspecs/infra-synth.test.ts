import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { fixture } from '../findings/helpers.js';
import { fakeTools, loadBuildspec, makeSourceDir } from './run-buildspec.js';
import {
  basePath,
  runDir,
  useBuildspecRuns,
  pipelineEnv,
  runAfterInstall,
  FAKE_SNYK,
} from './buildspec-runs.js';

useBuildspecRuns();

describe('infra-synth.yml build commands, with stand-ins for cdk and snyk', () => {
  const synth = loadBuildspec('infra-synth.yml');

  async function synthRun(
    validationReport: string,
    synthExit: number,
    iac: { exit: number; report: string },
  ) {
    const src = makeSourceDir(runDir);
    const bin = fakeTools(runDir, {
      npx: `if [ "$1 $2 $3" = "--no-install cdk synth" ]; then
  mkdir -p cdk.out && cp "${validationReport}" cdk.out/validation-report.json
  cp "${fixture('cdk-nag/v2/NagFixture.template.json')}" cdk.out/
  echo "cdk synth $*"; exit ${synthExit}
fi
exit 9`,
      snyk: FAKE_SNYK,
    });
    const result = await runAfterInstall(synth, {
      cwd: src,
      env: pipelineEnv(src, {
        PATH: `${bin}:${basePath()}`,
        SNYK_TOKEN: 'token',
        FAKE_SNYK_IAC_EXIT: String(iac.exit),
        FAKE_SNYK_IAC_REPORT: iac.report,
        // The fixture's stack traces were recorded under /work/main (test/fixtures/cdk-nag/SOURCES.txt).
        CODEBUILD_SRC_DIR: '/work/main',
        PIPEWARDEN_CONFIG: 'pipewarden.config.example.json',
      }),
    });
    return { src, result };
  }

  it('fails on cdk-nag violations, with the findings gated, reported and kept in the cloud assembly', async () => {
    const { src, result } = await synthRun(fixture('cdk-nag/v3/validation-report.json'), 1, {
      exit: 1,
      report: fixture('snyk/iac-test-report.json'),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { build: 'FAILED', post_build: 'SUCCEEDED' } });
    expect(result.log).toMatch(
      /cdk synth --no-install cdk synth --quiet -c config=pipewarden\.config\.example\.json/,
    );
    expect(result.log).toMatch(/pipewarden: cdk synth exit code 1, snyk iac exit code 1, gate exit code 1/);
    const doc = JSON.parse(
      readFileSync(join(src, 'cdk.out', 'pipewarden', 'findings.json'), 'utf8'),
    ) as FindingsDocument;
    expect(doc.inputs.map((i) => i.format)).toEqual(['cdk-validation', 'snyk-iac']);
    expect(
      doc.findings.filter((f) => f.tool === 'cdk-nag' && !f.suppression).map((f) => f.location?.path),
    ).toEqual(['test/fixtures/cdk-nag/app/orders-queue.ts', 'test/fixtures/cdk-nag/app/orders-queue.ts']);
    expect(existsSync(join(src, 'cdk.out', 'pipewarden', 'findings-junit.xml'))).toBe(true);
    expect(existsSync(join(src, 'cdk.out', 'NagFixture.template.json'))).toBe(true);
  });

  it('passes a clean synth with a clean IaC scan', async () => {
    const clean = join(runDir, 'clean-validation.json');
    writeFileSync(
      clean,
      JSON.stringify({ version: '55.0.0', title: 'Validation Report', pluginReports: [] }),
    );
    const cleanIac = join(runDir, 'clean-iac.json');
    writeFileSync(
      cleanIac,
      JSON.stringify({ targetFile: 'NagFixture.template.json', infrastructureAsCodeIssues: [] }),
    );
    const { result } = await synthRun(clean, 0, { exit: 0, report: cleanIac });
    expect(result.log).toMatch(/pipewarden: cdk synth exit code 0, snyk iac exit code 0, gate exit code 0/);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { build: 'SUCCEEDED', post_build: 'SUCCEEDED' },
    });
  });

  it('fails when Snyk IaC could not scan (exit 2), after still gating and keeping the cdk-nag findings', async () => {
    const { src, result } = await synthRun(fixture('cdk-nag/v3/validation-report.json'), 0, {
      exit: 2,
      report: '',
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { build: 'FAILED', post_build: 'SUCCEEDED' } });
    expect(result.log).toMatch(
      /pipewarden: cdk synth exit code 0, snyk iac exit code 2, gate exit code [12]/,
    );
    const doc = JSON.parse(
      readFileSync(join(src, 'cdk.out', 'pipewarden', 'findings.json'), 'utf8'),
    ) as FindingsDocument;
    expect(doc.findings.some((f) => f.tool === 'cdk-nag')).toBe(true);
    expect(existsSync(join(src, 'cdk.out', 'pipewarden', 'findings-junit.xml'))).toBe(true);
  });
});
