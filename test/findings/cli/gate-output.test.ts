import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LISTED_FAILURES } from '../../../findings/cli/commands/gate.js';
import { runCli } from './run-cli.js';
import { fixture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-gate-out-'));
const env = { PIPEWARDEN_DEBUG: undefined, GITHUB_REPOSITORY: undefined, CODEBUILD_SRC_DIR: undefined };

describe('the gate’s console output names the failing findings', () => {
  it('lists the worst 20, one line each (severity, tool:rule, place, title), then "and N more"', async () => {
    // 42 findings at or above INFO: 30 Snyk IaC issues and 12 Inspector SBOM vulnerabilities.
    const iac = fixture('snyk/iac-test-report.json');
    const sbom = fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json');
    const r = await runCli(['gate', '--fail-on', 'info', iac, sbom], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const start = lines.indexOf('pipewarden: failing the gate (worst first):');
    expect(start).toBeGreaterThan(0);
    const listed = lines.slice(start + 1, start + 1 + LISTED_FAILURES);
    expect(listed).toHaveLength(20);
    for (const line of listed)
      expect(line).toMatch(/^ {4}(CRITICAL|HIGH|MEDIUM|LOW|INFO) +\S+:\S+ {2}\S.* {2}\S/);
    // Worst first: the one CRITICAL leads, and no line is worse than the one before it.
    expect(listed[0]).toMatch(/^ {4}CRITICAL inspector-sbom:CVE-2022-48174 {2}busybox@1\.36\.1-r0 {2}/);
    const rank = (l: string) =>
      ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'].indexOf(l.trim().split(' ')[0]!);
    for (let i = 1; i < listed.length; i++)
      expect(rank(listed[i]!)).toBeGreaterThanOrEqual(rank(listed[i - 1]!));
    // IaC findings are placed in their file, with a line.
    expect(listed.some((l) => / [^ ]+\.(tf|ya?ml|json):\d+ /.test(l))).toBe(true);
    expect(lines[start + 1 + LISTED_FAILURES]).toMatch(/^ {4}and 22 more /);
    expect(r.stdout).toMatch(/gate FAILED \(fail on INFO\): 42 finding\(s\)/);
  });

  it('lists nothing when the gate passes', async () => {
    const r = await runCli(
      ['gate', '--fail-on', 'critical', fixture('snyk/test-report-with-reachability.json')],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('failing the gate');
  });

  it('shows a scanner’s control bytes escaped, on one line', async () => {
    const sarif = JSON.parse(readFileSync(fixture('sarif-other/codeql-action-valid-sarif.sarif'), 'utf8'));
    // The title comes from the rule's short description (else the message): both carry the forgery.
    for (const rule of sarif.runs[0].tool.driver.rules ?? [])
      rule.shortDescription = { text: 'first line\nforged: gate PASSED\u001b[2J' };
    for (const result of sarif.runs[0].results) {
      result.level = 'error';
      result.message = { text: 'first line\nforged: gate PASSED\u001b[2J' };
    }
    const file = join(dir, 'control.sarif');
    writeFileSync(file, JSON.stringify(sarif));
    const r = await runCli(['gate', file], env);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toMatch(/^forged/m);
    expect(r.stdout).toContain('first line\\nforged: gate PASSED\\u001b[2J');
  });
});

describe('exit codes', () => {
  it('every command’s --help lists 0, 1, 2 and 3', async () => {
    for (const args of [
      ['--help'],
      ['report', '--help'],
      ['gate', '--help'],
      ['publish', 's3', '--help'],
      ['fetch', 'baseline', '--help'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /Exit codes:\n {2}0 .*\n {2}1 .*gate failed.*\n {2}2 .*bad input.*\n {2}3 .*AWS/,
      );
    }
  });
});
