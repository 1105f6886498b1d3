import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { analyzeReports } from '../../../findings/cli/analyze-reports.js';
import { failingLines, LISTED_FAILURES } from '../../../findings/cli/commands/gate.js';
import { buildProgram } from '../../../findings/cli/program.js';
import { compareFindings, sortFindings } from '../../../findings/model/order-findings.js';
import { fixture, FIXTURES } from '../helpers.js';

// What `gate` (and `report`) skip for speed must not change what they do: no AWS commands to load, and the
// console's failures worst-first from a document that was never ordered.

const names = async (argv?: string[]) =>
  (await buildProgram({ code: 0 }, argv)).commands.map((c) => c.name()).sort();

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const recorder = join(dirname(fileURLToPath(import.meta.url)), 'record-loaded-modules.mjs');

/** The modules a real CLI process loads (every one, through the loader's hooks), as paths under node_modules. */
function loadedPackages(args: string[]): string[] {
  const list = join(mkdtempSync(join(tmpdir(), 'pw-loaded-')), 'modules.txt');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', recorder, join(root, 'findings/cli/index.ts'), ...args],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', PIPEWARDEN_LOADED_MODULES: list },
      stdio: 'ignore',
    },
  );
  // 1 is a failed gate: the run itself went through.
  expect([0, 1]).toContain(run.status);
  return readFileSync(list, 'utf8')
    .split('\n')
    .filter((url) => url.includes('/node_modules/'))
    .map((url) => url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length));
}

describe('the commands a run builds', () => {
  it('gate evaluates no AWS SDK client: only the SDK’s error classification (@smithy/core/retry)', () => {
    const args = ['gate', '--source-root', FIXTURES, fixture('snyk/iac-test-report.json')];
    const sdk = loadedPackages(args).filter((p) => /^@(aws-sdk|smithy|aws-crypto)\//.test(p));
    expect(sdk).toEqual(['@smithy/core/dist-cjs/submodules/retry/index.js']);
    // The recorder does see the clients when a run loads them (--help builds every command).
    expect(loadedPackages(['--help'])).toEqual(
      expect.arrayContaining([
        '@aws-sdk/client-s3/dist-cjs/index.js',
        '@aws-sdk/client-securityhub/dist-cjs/index.js',
        '@aws-sdk/client-codepipeline/dist-cjs/index.js',
      ]),
    );
  });

  it('gate and report build only themselves: publish, fetch and doctor are not there', async () => {
    expect(await names(['gate', 'report.sarif'])).toEqual(['gate', 'report']);
    expect(await names(['report', '--format', 'json', 'report.sarif'])).toEqual(['gate', 'report']);
  });

  it('an AWS command builds only itself; --help, help, no argument or a mistyped name builds every command', async () => {
    expect(await names(['publish', 'doc.json'])).toEqual(['gate', 'publish', 'report']);
    expect(await names(['fetch', 'baseline'])).toEqual(['fetch', 'gate', 'report']);
    expect(await names(['doctor'])).toEqual(['doctor', 'gate', 'report']);
    expect(await names(['--version'])).toEqual(['gate', 'report']);
    const all = ['doctor', 'fetch', 'gate', 'publish', 'report'];
    expect(await names(['--help'])).toEqual(all);
    expect(await names(['help', 'publish'])).toEqual(all);
    expect(await names(['pubish'])).toEqual(all);
    expect(await names()).toEqual(all);
  });

  it('publish loads the clients it calls, not those of fetch and doctor', () => {
    const sdk = loadedPackages(['publish', '--help']).filter((p) => /^@aws-sdk\/client-/.test(p));
    expect(sdk.length).toBeGreaterThan(0);
    expect(sdk).not.toContain('@aws-sdk/client-inspector2/dist-cjs/index.js');
    expect(sdk).not.toContain('@aws-sdk/client-codestar-connections/dist-cjs/index.js');
  });
});

describe('failingLines on a document that gate left unordered', () => {
  it('lists the failures worst-first, the same lines as from the ordered document', async () => {
    // 42 findings at or above INFO (30 Snyk IaC issues, 12 Inspector SBOM vulnerabilities), read in file order.
    const files = [
      fixture('snyk/iac-test-report.json'),
      fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
    ];
    const flags = { failOn: 'info', sourceRoot: FIXTURES };
    const doc = await analyzeReports(files, flags, { missingIsError: true, unordered: true }, {});
    const ordered = sortFindings([...doc.findings]);
    // The document really is out of order (the IaC report's findings first), else the test proves nothing.
    expect(doc.findings).not.toEqual(ordered);
    expect(doc.findings[0]!.tool).not.toBe(ordered[0]!.tool);

    const lines = failingLines(doc);
    expect(lines).toEqual(failingLines({ ...doc, findings: ordered }));
    // Reversed, too: the pick depends on no input order.
    expect(failingLines({ ...doc, findings: [...doc.findings].reverse() })).toEqual(lines);
    expect(lines[0]).toBe('pipewarden: failing the gate (worst first):');
    expect(lines).toHaveLength(1 + LISTED_FAILURES + 1);
    expect(lines[1]).toMatch(/^ {4}CRITICAL inspector-sbom:CVE-2022-48174 {2}busybox@1\.36\.1-r0 {2}/);
    expect(lines.at(-1)).toMatch(/^ {4}and 22 more /);
    // The listed lines are the 20 worst by the document's order, one each.
    const worst = ordered.slice(0, LISTED_FAILURES);
    expect([...worst].sort(compareFindings)).toEqual(worst);
    lines.slice(1, 1 + LISTED_FAILURES).forEach((line, i) => {
      expect(line).toContain(` ${worst[i]!.tool}:${worst[i]!.ruleId} `);
    });
  });
});
