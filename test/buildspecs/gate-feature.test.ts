import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadBuildspec, makeSourceDir, runBuildspec } from './run-buildspec.js';
import {
  SHA,
  SHA2,
  fake,
  runDir,
  useBuildspecRuns,
  buildStageArtifacts,
  pipelineEnv,
  failedCommand,
  EXEC_FEATURE,
  featureKeys,
  LATEST,
  stored,
  readDoc,
  runAfterInstall,
} from './buildspec-runs.js';

useBuildspecRuns();

describe('gate-ci.yml (feature pipeline), run locally against the pinned CLI and the fixtures', () => {
  const gateMain = loadBuildspec('gate.yml');
  const gateCi = loadBuildspec('gate-ci.yml');
  const lastCommand = String(gateCi.phases!.build!.commands!.length - 1);

  /**
   * main's run, which leaves latest.json: the baseline and the policy its checkout's file (if any) says. Its
   * build phase only, without Security Hub: what the feature run reads is latest.json (gate-main.test.ts runs
   * gate.yml whole).
   */
  async function mainRun(artifacts: Record<string, string>, policy?: string) {
    const src = makeSourceDir(join(runDir, 'main-run'));
    if (policy !== undefined) {
      mkdirSync(join(src, '.github'));
      writeFileSync(join(src, '.github', 'pipewarden.yml'), policy);
    }
    const result = await runAfterInstall(gateMain, {
      cwd: src,
      env: pipelineEnv(src, { ...artifacts, PIPEWARDEN_SECURITY_HUB: 'false' }),
    });
    expect(result.status).toBe('FAILED'); // first run: every finding is new
    const latest = fake.s3.objects.get(LATEST)!.body.toString('utf8');
    return { latest, keys: stored() };
  }

  function featureEnv(src: string, artifacts: Record<string, string>, extra: Record<string, string> = {}) {
    return pipelineEnv(src, {
      ...artifacts,
      PIPEWARDEN_COMMIT: SHA2,
      PIPEWARDEN_BRANCH: 'feature/checkout',
      PIPEWARDEN_PIPELINE: 'shop-feature',
      PIPEWARDEN_PIPELINE_KIND: 'feature',
      PIPEWARDEN_EXECUTION_ID: EXEC_FEATURE,
      // The CI gate project has no such variable; set here to show the buildspec ignores it.
      PIPEWARDEN_SECURITY_HUB: 'true',
      ...extra,
    });
  }

  it('applies the policy main recorded: nothing new passes under main’s newOnly; only this execution is stored', async () => {
    const artifacts = buildStageArtifacts();
    const before = await mainRun(artifacts, 'gate:\n  newOnly: true\n');
    const src = makeSourceDir(join(runDir, 'feature-run'));
    const result = await runBuildspec(gateCi, { cwd: src, env: featureEnv(src, artifacts) });
    expect(result.log).toMatch(/pipewarden: gate PASSED/);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { install: 'SUCCEEDED', build: 'SUCCEEDED' },
    });
    expect(result.log).not.toMatch(/FORGED/);
    expect(stored()).toEqual([...before.keys, ...featureKeys(EXEC_FEATURE)].sort());
    expect(fake.s3.objects.get(LATEST)!.body.toString('utf8')).toBe(before.latest);
    expect(fake.securityHub.requests).toBe(0);
    const doc = readDoc(src);
    expect(doc.baseline?.file).toBe('out/baseline.json');
    expect(doc.findings.every((f) => f.status === 'existing')).toBe(true);
    expect(doc.policy).toMatchObject({ origin: 'base-branch', branch: 'main', commit: SHA });
    expect(doc.policy?.text).toMatch(/newOnly: true/);
    expect(doc.policyChange).toBeUndefined();
    expect(doc.context).toMatchObject({ pipeline: 'shop-feature', pipelineExecutionId: EXEC_FEATURE });
  });

  it('a pull request’s own config that relaxes the gate is only a proposal: main’s policy still fails it', async () => {
    const artifacts = buildStageArtifacts();
    const before = await mainRun(artifacts); // main has no config: pipewarden's defaults (fail on high)
    const src = makeSourceDir(join(runDir, 'pr-run'));
    mkdirSync(join(src, '.github'));
    writeFileSync(
      join(src, '.github', 'pipewarden.yml'),
      'gate:\n  failOn: critical\n  newOnly: true\nsuppressions:\n  - path: "**"\n    reason: not ours\n',
    );
    // Started at the pull request's commit: the source reports main, the run variables say which PR.
    const result = await runAfterInstall(gateCi, {
      cwd: src,
      env: featureEnv(src, artifacts, {
        PIPEWARDEN_BRANCH: 'main',
        PIPEWARDEN_HEAD_BRANCH: 'feature/checkout',
        PIPEWARDEN_PULL_REQUEST: '42',
      }),
    });
    expect(result.log).toMatch(/pipewarden: gate FAILED/);
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    const doc = readDoc(src);
    expect(doc.gate).toMatchObject({ passed: false, failOn: 'HIGH', newOnly: false });
    expect(doc.policy).toMatchObject({ origin: 'base-branch', branch: 'main' });
    expect(doc.policy?.text.trim()).toBe('{}'); // main recorded no file: the defaults
    expect(doc.policyChange).toMatchObject({
      // As the repository names it, not by the build machine's checkout path.
      file: '.github/pipewarden.yml',
      valid: true,
      gate: { failOn: 'CRITICAL', newOnly: true },
      wouldPass: true,
    });
    expect(doc.policyChange!.wouldSuppress.length).toBeGreaterThan(0);
    expect(doc.policyChange!.wouldLetThrough.length).toBe(doc.gate!.failing);
    expect(doc.context).toMatchObject({ branch: 'feature/checkout', pullRequest: 42, commit: SHA2 });
    // Nothing but this execution: not main's baseline, not commits/, not Security Hub.
    expect(stored()).toEqual([...before.keys, ...featureKeys(EXEC_FEATURE)].sort());
    expect(fake.s3.objects.get(LATEST)!.body.toString('utf8')).toBe(before.latest);
    expect(fake.securityHub.requests).toBe(0);
  });

  it('with no baseline yet, gates under pipewarden’s defaults and says so', async () => {
    const src = makeSourceDir(runDir);
    const result = await runAfterInstall(gateCi, { cwd: src, env: featureEnv(src, buildStageArtifacts()) });
    expect(result.log).toMatch(/no baseline/);
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(readDoc(src).policy?.text.trim()).toBe('{}');
    expect(stored()).toEqual(featureKeys(EXEC_FEATURE).sort());
  });
});
