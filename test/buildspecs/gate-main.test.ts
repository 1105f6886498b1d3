import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { childrenNamed, parseXml } from '../findings/render/parse-xml.js';
import { loadBuildspec, makeSourceDir, runBuildspec } from './run-buildspec.js';
import {
  ACCOUNT,
  SHA,
  BUCKET,
  DIGEST,
  fake,
  pinned,
  runDir,
  useBuildspecRuns,
  buildStageArtifacts,
  pipelineEnv,
  failedCommand,
  EXEC_MAIN,
  mainKeys,
  LATEST,
  stored,
  readDoc,
  runAfterInstall,
} from './buildspec-runs.js';

useBuildspecRuns();

describe('gate.yml (main pipeline), run locally against the pinned CLI and the fixtures', () => {
  const gate = loadBuildspec('gate.yml');
  const lastCommand = String(gate.phases!.build!.commands!.length - 1);

  it('on main, first run: fails the stage on the findings, after storing them, importing them, and writing JUnit', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, { cwd: src, env: pipelineEnv(src, buildStageArtifacts()) });
    expect(result.phases).toEqual({ install: 'SUCCEEDED', build: 'FAILED' });
    expect(result.status).toBe('FAILED');
    // Only the verdict failed: everything before it ran.
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(result.log).toMatch(
      /no baseline yet at s3:\/\/acme-findings\/acme\/shop\/branches\/main\/latest\.json/,
    );
    expect(result.log).toMatch(/pipewarden: gate FAILED/);
    expect(result.log).toMatch(/pipewarden: gate exit code 1/);
    // The checkout's dist/cli says "gate PASSED" if anything runs it: nothing does.
    expect(result.log).not.toMatch(/FORGED/);
    expect(result.log).toMatch(/pipewarden\.mjs: OK/);

    const out = join(src, 'out');
    const doc = readDoc(src);
    expect(doc.inputs.map((i) => i.format)).toEqual([
      'snyk-test',
      'sarif',
      'snyk-iac',
      'inspector2',
      'inspector-sbom',
    ]);
    expect(doc.context).toMatchObject({
      repo: 'acme/shop',
      commit: SHA,
      branch: 'main',
      pipeline: 'shop-main',
      pipelineExecutionId: EXEC_MAIN,
    });
    expect(doc.gate?.passed).toBe(false);
    const junit = parseXml(readFileSync(join(out, 'findings-junit.xml'), 'utf8'));
    expect(junit.name).toBe('testsuites');
    expect(childrenNamed(junit, 'testsuite').length).toBeGreaterThan(0);

    expect(stored()).toEqual(
      [
        LATEST,
        ...mainKeys(EXEC_MAIN),
        `${BUCKET}/acme/shop/commits/${SHA}/findings.json`,
        `${BUCKET}/acme/shop/commits/${SHA}/findings.md`,
        `${BUCKET}/acme/shop/commits/${SHA}/findings.sarif`,
      ].sort(),
    );
    expect(fake.securityHub.imported.size).toBe(doc.findings.length);
    const resources = [...fake.securityHub.received.values()].map(
      (f) => (f as { Resources: { Type: string; Id: string }[] }).Resources[0]!,
    );
    expect(resources).toContainEqual(
      expect.objectContaining({
        Type: 'AwsEcrContainerImage',
        Id: `arn:aws:ecr:eu-central-1:${ACCOUNT}:repository/shop/${DIGEST}`,
      }),
    );
    expect(readFileSync(join(out, 'tool-versions.txt'), 'utf8')).toContain(pinned.PIPEWARDEN_CLI_SHA256);
  });

  it('refuses a CLI whose sha256 is not the one synthesized into the project: nothing runs, nothing is stored', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_CLI_SHA256: 'e'.repeat(64) }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(/pipewarden\.mjs: FAILED/);
    expect(result.log).not.toMatch(/FORGED/);
    expect(fake.s3.objects.size).toBe(0);
    expect(fake.securityHub.requests).toBe(0);
  });

  it('refuses to run outside a project the deployment defines (no pinned CLI variables)', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_CLI_URL: undefined }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(
      /pipewarden: PIPEWARDEN_CLI_URL, PIPEWARDEN_CLI_SHA256 and PIPEWARDEN_CLI are not set/,
    );
  });

  it('fails closed when an action brought no report list, and still stores what it found', async () => {
    const src = makeSourceDir(runDir);
    const artifacts = buildStageArtifacts();
    const result = await runAfterInstall(gate, {
      cwd: src,
      env: pipelineEnv(src, {
        ...artifacts,
        CODEBUILD_SRC_DIR_InspectorReports: undefined,
        PIPEWARDEN_SECURITY_HUB: 'false',
      }),
    });
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(result.log).toMatch(/the InspectorReports action brought no report list/);
    expect(result.log).toMatch(/missing-input\/InspectorReports\/pipewarden-reports\.txt/);
    expect(result.log).toMatch(/Security Hub: off \(PIPEWARDEN_SECURITY_HUB=false\)/);
    expect(fake.s3.objects.has(`${BUCKET}/acme/shop/commits/${SHA}/findings.json`)).toBe(true);
    expect(fake.s3.objects.has(mainKeys(EXEC_MAIN)[0]!)).toBe(true);
  });

  it('stops with one clear line when the findings bucket does not exist', async () => {
    const src = makeSourceDir(runDir);
    const result = await runAfterInstall(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_FINDINGS_BUCKET: 'no-such-bucket' }),
    });
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe('1');
    expect(result.log).toMatch(/pipewarden: --bucket no-such-bucket: no such bucket;/);
    expect(fake.s3.objects.size).toBe(0);
    expect(fake.securityHub.requests).toBe(0);
  });
});
