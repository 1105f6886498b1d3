import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fixture } from '../helpers.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-cli-'));
const env = {
  GITHUB_REPOSITORY: undefined,
  GITHUB_SHA: undefined,
  CODEBUILD_SRC_DIR: undefined,
  PIPEWARDEN_DEBUG: undefined,
};

describe('pipewarden CLI', () => {
  it('report --format json merges several reports into one findings document', async () => {
    const out = join(dir, 'findings.json');
    const r = await runCli(
      [
        'report',
        '--format',
        'json',
        '--out',
        out,
        '--repo',
        'acme/shop',
        '--commit',
        'abc123',
        fixture('snyk/test-report-with-reachability.json'),
        fixture('inspector/scan-sbom-output_dockerfile-only.cdx.json'),
      ],
      env,
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.schemaVersion).toBe('1.0');
    expect(doc.context).toMatchObject({ repo: 'acme/shop', commit: 'abc123' });
    expect(doc.inputs.map((i: { format: string; findings: number }) => [i.format, i.findings])).toEqual([
      ['snyk-test', 3],
      ['inspector-sbom', 10],
    ]);
    expect(doc.findings).toHaveLength(13);
    // Nothing but the output file is left behind (atomic write).
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('context defaults come from CodeBuild and GitHub variables', async () => {
    const r = await runCli(['report', fixture('snyk/test-report-with-risk-scores.json')], {
      ...env,
      CODEBUILD_SOURCE_REPO_URL: 'https://github.com/acme/api.git',
      CODEBUILD_RESOLVED_SOURCE_VERSION: 'deadbeef',
      CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/feature/x',
    });
    expect(JSON.parse(r.stdout).context).toMatchObject({
      repo: 'acme/api',
      commit: 'deadbeef',
      branch: 'feature/x',
    });
  });

  it('gate: 1 on findings at the threshold, 0 below it, 2 on bad input', async () => {
    const snyk = fixture('snyk/test-report-with-reachability.json'); // 1 high, 2 medium
    const fail = await runCli(['gate', snyk], env);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(
      /gate FAILED \(fail on HIGH\): 1 finding\(s\) at or above HIGH and not suppressed/,
    );
    const pass = await runCli(['gate', '--fail-on', 'critical', snyk], env);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/gate PASSED/);
    const bad = await runCli(['gate', '--fail-on', 'severe', snyk], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'pipewarden: --fail-on severe: not a severity; use one of critical, high, medium, low, info\n',
    );
  });

  it('gate fails closed on a missing report or when no report is given', async () => {
    const missing = await runCli(['gate', join(dir, 'never-written.json')], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/report missing or unreadable: .*never-written\.json/);
    const none = await runCli(['gate'], env);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/\(no report given\)/);
  });

  it('gate --new-only against a baseline, and --out writes the document with the verdict', async () => {
    const baseline = join(dir, 'baseline.json');
    expect(
      (await runCli(['report', '--out', baseline, fixture('snyk/test-report-with-reachability.json')], env))
        .code,
    ).toBe(0);
    const out = join(dir, 'gated.json');
    const r = await runCli(
      [
        'gate',
        '--new-only',
        '--baseline',
        baseline,
        '--out',
        out,
        fixture('snyk/test-report-with-reachability.json'),
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HIGH +1 +\(0 new, 1 existing\)/);
    expect(JSON.parse(readFileSync(out, 'utf8')).gate).toMatchObject({ passed: true, newOnly: true });
  });

  it('bad input: exit 2, one line, no stack trace; the previous output is left untouched', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"runs": [');
    const out = join(dir, 'keep.json');
    writeFileSync(out, 'previous');
    const r = await runCli(['report', '--out', out, broken], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/broken\.json: not valid JSON at line 1, column 11/);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    const unknown = await runCli(['report', fixture('schemas/jsf-0.82.schema.json')], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/JSON, but not a report pipewarden knows; known reports: /);
  });

  it('PIPEWARDEN_DEBUG=1 shows the stack', async () => {
    const r = await runCli(['report', join(dir, 'nope.json')], { ...env, PIPEWARDEN_DEBUG: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json: cannot read the report \(no such file\)/);
    expect(r.stderr).toMatch(/\n +at /);
    expect(existsSync(join(dir, 'nope.json'))).toBe(false);
  });

  it('--help on every command', async () => {
    for (const args of [['--help'], ['report', '--help'], ['gate', '--help']]) {
      const r = await runCli(args, env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: pipewarden/);
    }
  });
});
