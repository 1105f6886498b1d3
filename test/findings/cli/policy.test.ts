import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { formatPolicyFile } from '../../../findings/config/policy-file.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { renderMarkdown } from '../../../findings/render/render-markdown.js';
import { countsForGate } from '../../../findings/triage/evaluate-gate.js';
import { fixture } from '../helpers.js';
import { errorsOf, schemaValidator } from '../render/validate-schema.js';
import { runCli } from './run-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const validate = schemaValidator(
  JSON.parse(readFileSync(join(root, 'findings', 'document', 'findings-document.schema.json'), 'utf8')),
);
const tmp = mkdtempSync(join(tmpdir(), 'pw-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAIN_SHA = '1111111111111111111111111111111111111111';
const REPORTS = [fixture('snyk/test-report-with-risk-scores.json'), fixture('snyk/iac-test-report.json')];
const env = {
  GITHUB_REPOSITORY: undefined,
  GITHUB_SHA: undefined,
  GITHUB_REF_NAME: undefined,
  GITHUB_HEAD_REF: undefined,
  CODEBUILD_SRC_DIR: undefined,
  CODEBUILD_BUILD_ID: undefined,
  PIPEWARDEN_DEBUG: undefined,
  PIPEWARDEN_PIPELINE_KIND: 'feature',
  PIPEWARDEN_HEAD_BRANCH: undefined,
  PIPEWARDEN_BRANCH: 'feature/quiet',
};

/** main's policy: fail on high, no suppressions. */
const BASE_TEXT = 'gate:\n  failOn: high\n';
/** The attack of issue 10: the pull request lowers the bar and suppresses everything, in its own config. */
const CATCH_ALL =
  'suppressions:\n  - path: "**"\n    reason: scanner noise\n  - package: brace-expansion\n    reason: scanner noise\n  - package: ejs\n    reason: scanner noise\n';
/**
 * The attack of issue 10: the pull request lowers the bar and suppresses everything, in its own config
 * (every file, and the two packages whose findings Snyk reports without a manifest path).
 */
const ATTACK_TEXT = `gate:\n  failOn: critical\n${CATCH_ALL}`;

function write(name: string, text: string): string {
  const file = join(tmp, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** The base policy as `fetch baseline --policy-out` writes it: main's text, labelled with its commit. */
const basePolicy = write(
  'base-policy.yml',
  formatPolicyFile({
    origin: 'base-branch',
    file: '.github/pipewarden.yml',
    branch: 'main',
    commit: MAIN_SHA,
    text: BASE_TEXT,
  }),
);

async function gate(args: string[], kind: 'main' | 'feature' = 'feature') {
  const out = join(tmp, `doc-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(['gate', '--out', out, ...args, ...REPORTS], {
    ...env,
    PIPEWARDEN_PIPELINE_KIND: kind,
  });
  let doc: FindingsDocument | undefined;
  try {
    doc = JSON.parse(readFileSync(out, 'utf8')) as FindingsDocument;
  } catch {
    doc = undefined;
  }
  return { ...run, doc };
}

function expectValid(doc: FindingsDocument) {
  const ok = validate(doc);
  expect(errorsOf(validate)).toEqual([]);
  expect(ok).toBe(true);
}

describe('the gate applies the base branch’s policy, never the change’s own', () => {
  it('the change’s own failOn critical + catch-all suppression does not pass it; policyChange shows what it would let through', async () => {
    const proposed = write('checkout/.github/pipewarden.yml', ATTACK_TEXT);
    const r = await gate(['--config', basePolicy, '--proposed-config', proposed]);
    expect(r.code).toBe(1);
    const doc = r.doc!;
    expectValid(doc);
    expect(doc.gate!.passed).toBe(false);
    expect(doc.gate!.failOn).toBe('HIGH');
    // No finding is suppressed: the proposed suppressions were not applied.
    expect(doc.findings.filter((f) => f.suppression)).toEqual([]);
    expect(doc.policy).toEqual({
      origin: 'base-branch',
      file: '.github/pipewarden.yml',
      branch: 'main',
      commit: MAIN_SHA,
      text: BASE_TEXT,
    });
    const change = doc.policyChange!;
    const failing = doc.findings
      .filter((f) => countsForGate(f, { failOn: 'HIGH', newOnly: false }))
      .map((f) => f.fingerprint);
    expect(failing.length).toBe(doc.gate!.failing);
    expect(failing.length).toBeGreaterThan(0);
    expect(change).toEqual({
      file: proposed,
      valid: true,
      gate: { failOn: 'CRITICAL', newOnly: false, allowMissingReports: false },
      // The catch-all would hide every finding.
      wouldSuppress: doc.findings.map((f) => f.fingerprint),
      wouldUnsuppress: [],
      wouldLetThrough: failing,
      wouldFail: [],
      wouldPass: true,
      summary: [
        'gate.failOn: HIGH → CRITICAL',
        'adds suppression: path ** (scanner noise)',
        'adds suppression: package brace-expansion (scanner noise)',
        'adds suppression: package ejs (scanner noise)',
      ],
    });
    // The gate's own output says it, before the verdict.
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain(
      `pipewarden: policy: .github/pipewarden.yml of main@${MAIN_SHA.slice(0, 12)} (base-branch)`,
    );
    expect(lines).toContain(
      `pipewarden: proposed policy ${proposed} (not applied): after merge the gate would PASS; ${failing.length} finding(s) failing now would no longer fail, ${doc.findings.length} more would be suppressed, 0 would no longer be suppressed, 0 would newly fail`,
    );
    expect(lines.at(-1)).toMatch(/^pipewarden: gate FAILED \(fail on HIGH\)/);
    // And so does the pull-request comment.
    const md = renderMarkdown(doc);
    expect(md).toContain('#### ⚠️ This change proposes a different pipewarden policy');
    expect(md).toContain(
      `This pull request changes .github/pipewarden.yml; the gate used the policy of main@${MAIN_SHA.slice(0, 12)}. After merge it would **pass** (it fails now): ${failing.length} findings that fail the gate now would no longer fail, ${doc.findings.length} more findings would be suppressed, 0 would no longer be suppressed, 0 would newly fail.`,
    );
    expect(md).toContain('- gate.failOn: HIGH → CRITICAL');
    expect(md).toContain('- adds suppression: path \\*\\* \\(scanner noise\\)');
    expect(md).toContain('would no longer fail');
    expect(md).toMatch(/… and \d+ more \(policyChange in the findings document\)/);
  });

  it('names the proposed file as the repository does, not by the build machine’s checkout path', async () => {
    const proposed = write('named/.github/pipewarden.yml', ATTACK_TEXT);
    const r = await gate([
      '--source-root',
      join(tmp, 'named'),
      '--config',
      basePolicy,
      '--proposed-config',
      proposed,
    ]);
    expect(r.code).toBe(1);
    expect(r.doc!.policyChange!.file).toBe('.github/pipewarden.yml');
    expect(renderMarkdown(r.doc!)).toContain('This pull request changes .github/pipewarden.yml;');
  });

  it('refuses a proposed config that a symbolic link takes out of the checkout, without reading it', async () => {
    const secret = write('outside/secret.yml', 'gate:\n  failOn: critical # outside the repository\n');
    const checkout = join(tmp, 'linked');
    mkdirSync(join(checkout, '.github'), { recursive: true });
    symlinkSync(secret, join(checkout, '.github', 'pipewarden.yml'));
    const r = await gate([
      '--source-root',
      checkout,
      '--config',
      basePolicy,
      '--proposed-config',
      join(checkout, '.github', 'pipewarden.yml'),
    ]);
    expect(r.code).toBe(1);
    expect(r.doc!.policyChange).toMatchObject({ file: '.github/pipewarden.yml', valid: false });
    // Had it been read, its failOn critical would show as the proposed gate.
    expect(r.doc!.policyChange).not.toHaveProperty('gate');
    expect(JSON.stringify(r.doc)).toContain('resolves outside the repository (a symbolic link)');
  });

  it('a stricter proposal shows what would newly fail', async () => {
    const proposed = write('strict.yml', 'gate:\n  failOn: low\n');
    const r = await gate(['--config', basePolicy, '--proposed-config', proposed]);
    expect(r.code).toBe(1);
    const change = r.doc!.policyChange!;
    const lowOrMedium = r.doc!.findings.filter((f) => f.severity === 'MEDIUM' || f.severity === 'LOW');
    expect(change.wouldFail).toEqual(lowOrMedium.map((f) => f.fingerprint));
    expect(change.wouldLetThrough).toEqual([]);
    expect(change.wouldPass).toBe(false);
    expectValid(r.doc!);
  });

  it('an invalid proposed config is no input error: the gate judges by the base policy and records why', async () => {
    const proposed = write('invalid.yml', 'gate:\n  failOn: never\n');
    const r = await gate(['--config', basePolicy, '--proposed-config', proposed]);
    expect(r.code).toBe(1);
    expect(r.doc!.gate!.failOn).toBe('HIGH');
    const reason = `${proposed}: invalid field "gate.failOn": accepted values: CRITICAL, HIGH, MEDIUM, LOW, INFO`;
    expect(r.doc!.policyChange).toEqual({
      file: proposed,
      valid: false,
      error: reason,
      wouldSuppress: [],
      wouldUnsuppress: [],
      wouldLetThrough: [],
      wouldFail: [],
      wouldPass: false,
      summary: [`not a valid config: ${reason}`],
    });
    expect(r.doc!.warnings).toContain(
      `the proposed policy ${proposed} is not a valid config (${reason}); the gate used .github/pipewarden.yml of main@${MAIN_SHA.slice(0, 12)}, and after merge every gate would stop with an input error`,
    );
    expect(renderMarkdown(r.doc!)).toContain('The proposed file is not a valid config:');
    expectValid(r.doc!);
  });

  it('a missing proposed file (the branch has no config) and one equal to the base are no change', async () => {
    const missing = await gate(['--config', basePolicy, '--proposed-config', join(tmp, 'nope.yml')]);
    expect(missing.code).toBe(1);
    expect(missing.doc!.policyChange).toBeUndefined();
    expect(missing.doc!.policy!.origin).toBe('base-branch');
    // Same settings, other spelling and comments: the same policy.
    const same = write('same.yml', '# ours\ngate: { failOn: HIGH }\nsuppressions: []\n');
    const equal = await gate(['--config', basePolicy, '--proposed-config', same]);
    expect(equal.doc!.policyChange).toBeUndefined();
    expect(equal.stdout).not.toMatch(/proposed policy/);
  });

  it('the base policy decides a pass too: the same reports pass under a lenient base, whatever the branch proposes', async () => {
    const lenient = write(
      'lenient-base.yml',
      formatPolicyFile({
        origin: 'base-branch',
        branch: 'main',
        commit: MAIN_SHA,
        text: `gate:
  failOn: critical
${CATCH_ALL}`,
      }),
    );
    const proposed = write('stricter.yml', BASE_TEXT);
    const r = await gate(['--config', lenient, '--proposed-config', proposed]);
    expect(r.code).toBe(0);
    expect(r.doc!.policyChange!.wouldPass).toBe(false);
    expect(r.doc!.policyChange!.wouldUnsuppress).toHaveLength(r.doc!.findings.length);
  });

  it('--proposed-config needs --config: the checkout’s file is never applied by default', async () => {
    const proposed = write('checkout2/.github/pipewarden.yml', ATTACK_TEXT);
    const r = await runCli(
      ['gate', '--source-root', join(tmp, 'checkout2'), '--proposed-config', proposed, ...REPORTS],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `pipewarden: --proposed-config ${proposed} needs --config <policy>: the policy to apply (the base branch's, from \`pipewarden fetch baseline --policy-out <file>\`)\n`,
    );
  });

  it('a feature run without --config never reads the checkout’s file: defaults apply, with a warning', async () => {
    const checkout = join(tmp, 'checkout4');
    write('checkout4/.github/pipewarden.yml', ATTACK_TEXT);
    const r = await gate(['--source-root', checkout]);
    expect(r.code).toBe(1);
    expect(r.doc!.policy).toEqual({ origin: 'default', text: '{}' });
    expect(r.doc!.findings.filter((f) => f.suppression)).toEqual([]);
    expect(r.doc!.warnings[0]).toBe(
      "a feature run does not apply the checkout's .github/pipewarden.yml: pipewarden's defaults apply; pass --config <file> from `pipewarden fetch baseline --policy-out <file>` to apply the base branch's policy",
    );
    // The same checkout on the main pipeline is reviewed code: its file applies.
    const main = await runCli(['gate', '--source-root', checkout, ...REPORTS], {
      ...env,
      PIPEWARDEN_PIPELINE_KIND: 'main',
    });
    expect(main.code).toBe(0);
  });

  it('a report over the gate’s document on a feature run re-applies the policy the gate recorded', async () => {
    const checkout = join(tmp, 'checkout5');
    write('checkout5/.github/pipewarden.yml', ATTACK_TEXT);
    const lenient = write(
      'lenient-base-2.yml',
      formatPolicyFile({
        origin: 'base-branch',
        branch: 'main',
        commit: MAIN_SHA,
        text: `gate:\n  failOn: critical\n${CATCH_ALL}`,
      }),
    );
    const first = await gate(['--config', lenient, '--source-root', checkout]);
    expect(first.code).toBe(0);
    const docFile = join(tmp, 'gate-doc.json');
    writeFileSync(docFile, JSON.stringify(first.doc));
    const again = await runCli(
      ['gate', '--source-root', checkout, '--out', join(tmp, 'again.json'), docFile],
      env,
    );
    expect(again.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(tmp, 'again.json'), 'utf8')) as FindingsDocument;
    expect(doc.policy).toEqual(first.doc!.policy);
    expect(doc.findings.filter((f) => f.suppression?.source === 'config')).toHaveLength(doc.findings.length);
    expect(doc.warnings.join('\n')).not.toMatch(/does not apply the checkout/);
  });

  it('records where the policy came from: the checkout (main), a plain --config, the defaults', async () => {
    write('checkout3/.github/pipewarden.yml', BASE_TEXT);
    // The main pipeline (reviewed code) applies the checkout's own file.
    const repo = await gate(['--source-root', join(tmp, 'checkout3')], 'main');
    expect(repo.doc!.policy).toEqual({
      origin: 'repository',
      file: '.github/pipewarden.yml',
      text: BASE_TEXT,
    });
    const plain = write('plain.yml', BASE_TEXT);
    expect((await gate(['--config', plain])).doc!.policy).toEqual({
      origin: 'repository',
      file: plain,
      text: BASE_TEXT,
    });
    const none = await gate(['--source-root', join(tmp, 'empty')], 'main');
    expect(none.doc!.policy).toEqual({ origin: 'default', text: '{}' });
    // A base branch without a recorded policy: fetch writes `{}` labelled default.
    const defaults = write(
      'defaults.yml',
      formatPolicyFile({ origin: 'default', branch: 'main', text: '{}' }),
    );
    const d = await gate(['--config', defaults, '--proposed-config', join(tmp, 'nope.yml')]);
    expect(d.doc!.policy).toEqual({ origin: 'default', branch: 'main', text: '{}' });
    expect(d.doc!.gate!.failOn).toBe('HIGH');
    for (const doc of [repo.doc!, none.doc!, d.doc!]) expectValid(doc);
  });
});
