import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { Finding, FindingsDocument, ScanContext } from '../../../findings/model/finding.js';
import type { LoadedReport } from '../../../findings/parse/parse-report.js';
import { parseJson, readFixture } from '../helpers.js';
import { errorsOf, schemaValidator } from '../render/validate-schema.js';

const now = new Date('2026-11-28T12:00:00Z');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const validate = schemaValidator(
  JSON.parse(readFileSync(join(root, 'findings', 'document', 'findings-document.schema.json'), 'utf8')),
);
const BRANCH_ONLY = 'suppressed in the scanner on this branch only: not honoured until merged';

function expectValid(doc: FindingsDocument) {
  const ok = validate(JSON.parse(JSON.stringify(doc)));
  expect(errorsOf(validate)).toEqual([]);
  expect(ok).toBe(true);
}

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The Snyk Code SARIF fixture (one result with Snyk's consistent-ignores suppression, justified) and the
 * same report with the justification removed: what a `.snyk` / in-source ignore without a reason gives.
 */
const SNYK_CODE = 'snyk/test-code-consistent-ignores.json';
function snykCode(justified: boolean): unknown {
  const log = clone(readFixture(SNYK_CODE)) as { runs: { results: Json[] }[] };
  if (!justified)
    for (const run of log.runs)
      for (const r of run.results)
        for (const s of (r.suppressions as Json[] | undefined) ?? []) delete s.justification;
  return log;
}

/**
 * `snyk test --json` as Snyk writes it when the .snyk policy ignores issues: the ignored vulnerabilities move
 * from `vulnerabilities` to `filtered.ignore`, each with its ignore rule(s) under `filtered.ignored`.
 */
function snykTestWithIgnores(rules: Record<string, Json[]>): unknown {
  const report = clone(readFixture('snyk/test-report-with-risk-scores.json')) as {
    vulnerabilities: Json[];
    filtered: { ignore: Json[] };
  };
  const ignored = report.vulnerabilities.filter((v) => rules[v.id as string]);
  report.vulnerabilities = report.vulnerabilities.filter((v) => !rules[v.id as string]);
  report.filtered.ignore = ignored.map((v) => ({ ...v, filtered: { ignored: rules[v.id as string] } }));
  return report;
}

const rule = (reason?: string): Json => ({
  ...(reason !== undefined ? { reason } : {}),
  expires: '2027-03-01T00:00:00.000Z',
  created: '2026-11-01T10:00:00.000Z',
  source: 'cli',
  path: ['*'],
  ignoredBy: { name: 'Dev Eloper', email: 'dev@example.com' },
});

const build = (reports: LoadedReport[], baseline?: LoadedReport, context: ScanContext = {}) =>
  buildDocument({ reports, config: parseRepoConfig({}), context, now, ...(baseline ? { baseline } : {}) });

/** A previous run's findings document, read back as the CLI reads `--baseline`. */
const asBaseline = (doc: FindingsDocument): LoadedReport => parseJson(clone(doc), 'latest.json');
const suppressedBy = (doc: FindingsDocument) =>
  doc.findings.filter((f) => f.suppression?.source === 'scanner');

describe('scanner ignores need a reason', () => {
  it('SARIF: a suppression without a justification is not honoured, with one warning for the file', () => {
    const justified = parseJson(snykCode(true), 'code.sarif');
    expect(justified.findings.filter((f) => f.suppression)).toHaveLength(1);
    expect(justified.warnings).toEqual([]);

    const bare = parseJson(snykCode(false), 'code.sarif');
    expect(bare.findings.filter((f) => f.suppression)).toHaveLength(0);
    expect(bare.findings.filter((f) => f.rejectedSuppression)).toEqual([
      expect.objectContaining({
        rejectedSuppression: {
          source: 'scanner',
          because: 'suppressed in the scanner without a justification',
        },
      }),
    ]);
    expect(bare.warnings).toEqual([
      "code.sarif: 1 result(s) suppressed in the scanner without a justification are not treated as suppressed; give each suppression a justification (SARIF suppressions[].justification, the ignore's reason)",
    ]);
    // The unjustified one counts for the gate: the document with it fails at MEDIUM, the justified one not.
    const gate = { failOn: 'MEDIUM' as const };
    const config = parseRepoConfig({});
    const withBare = buildDocument({ reports: [bare], config, context: {}, now, gate });
    const withJustified = buildDocument({ reports: [justified], config, context: {}, now, gate });
    expect(withBare.gate!.failing).toBe(withJustified.gate!.failing + 1);
    expectValid(withBare);
  });

  it('snyk test --json: filtered.ignore is read; ignores with a reason suppress, those without do not (one warning)', () => {
    const r = parseJson(
      snykTestWithIgnores({
        'npm:ejs:20161128': [rule('no user input reaches ejs templates')],
        'npm:brace-expansion:20170302C': [rule()],
        'npm:brace-expansion:20170302D': [rule('  ')],
      }),
      'snyk.json',
    );
    // Every vulnerability is still a finding: ignored ones are not dropped.
    expect(r.findings).toHaveLength(5);
    const ejs = r.findings.find((f) => f.ruleId === 'npm:ejs:20161128')!;
    expect(ejs.suppression).toEqual({
      source: 'scanner',
      reason: 'no user input reaches ejs templates',
      expires: '2027-03-01T00:00:00.000Z',
      approvedBy: 'Dev Eloper',
      inRepository: true,
    });
    for (const id of ['npm:brace-expansion:20170302C', 'npm:brace-expansion:20170302D']) {
      const f = r.findings.find((x) => x.ruleId === id)!;
      expect(f.suppression).toBeUndefined();
      expect(f.rejectedSuppression).toEqual({
        source: 'scanner',
        because: 'ignored in the Snyk policy without a reason',
      });
    }
    expect(r.warnings).toEqual([
      'snyk.json: 2 issue(s) ignored in the Snyk policy without a reason are not treated as suppressed; give each ignore a reason (snyk ignore --reason, or reason: in .snyk)',
    ]);
    // The critical one, ignored without a reason, fails the gate.
    const doc = build([r]);
    expect(doc.gate!.passed).toBe(false);
    expect(doc.findings.find((f) => f.ruleId === 'npm:brace-expansion:20170302C')!.severity).toBe('CRITICAL');
    expectValid(doc);
  });

  it('snyk iac test --json: isIgnored carries no reason, so it is not honoured', () => {
    const iac = clone(readFixture('snyk/iac-test-report.json')) as Json[];
    const first = iac.flatMap((file) => file.infrastructureAsCodeIssues as Json[])[0]!;
    first.isIgnored = true;
    const r = parseJson(iac, 'iac.json');
    expect(r.findings.filter((f) => f.suppression)).toHaveLength(0);
    expect(r.findings.filter((f) => f.rejectedSuppression)).toHaveLength(1);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^iac\.json: 1 issue\(s\) ignored in the Snyk policy without a reason/),
    ]);
  });
});

describe('scanner ignores on a branch need the baseline', () => {
  const ignores = { 'npm:ejs:20161128': [rule('no user input reaches ejs templates')] };
  const main = build([parseJson(readFixture('snyk/test-report-with-risk-scores.json'), 'snyk.json')]);
  const mainWithIgnore = build([parseJson(snykTestWithIgnores(ignores), 'snyk.json')], undefined, {
    pipelineKind: 'main',
  });
  const branch = () => parseJson(snykTestWithIgnores(ignores), 'snyk.json');
  const ejs = (doc: FindingsDocument): Finding => doc.findings.find((f) => f.ruleId === 'npm:ejs:20161128')!;

  it('an ignore the baseline does not have is not honoured on a feature run, and says so', () => {
    const doc = build([branch()], asBaseline(main), { pipelineKind: 'feature' });
    expect(suppressedBy(doc)).toEqual([]);
    expect(ejs(doc).rejectedSuppression).toEqual({
      source: 'scanner',
      reason: 'no user input reaches ejs templates',
      because: BRANCH_ONLY,
    });
    expect(doc.warnings).toEqual([
      `snyk.json: 1 finding(s) ${BRANCH_ONLY}; the base branch's run has not suppressed them (ask for the ignore on the base branch, or fix them)`,
    ]);
    // The high ejs finding fails the gate as if the ignore were not there.
    expect(ejs(doc).severity).toBe('HIGH');
    expect(doc.gate!.failing).toBe(build([branch()]).gate!.failing + 1);
    expectValid(doc);
  });

  it('the same holds with no pipeline kind (a local run with a baseline)', () => {
    const doc = build([branch()], asBaseline(main));
    expect(suppressedBy(doc)).toEqual([]);
  });

  it('an ignore with a reason that the baseline has too is honoured', () => {
    expect(ejs(mainWithIgnore).suppression?.source).toBe('scanner');
    const doc = build([branch()], asBaseline(mainWithIgnore), { pipelineKind: 'feature' });
    expect(suppressedBy(doc).map((f) => f.ruleId)).toEqual(['npm:ejs:20161128']);
    expect(ejs(doc).rejectedSuppression).toBeUndefined();
    expect(doc.warnings).toEqual([]);
    expectValid(doc);
  });

  it('an ignore without a reason is not honoured even when the baseline has it', () => {
    const bare = parseJson(snykTestWithIgnores({ 'npm:ejs:20161128': [rule()] }), 'snyk.json');
    const doc = build([bare], asBaseline(mainWithIgnore), { pipelineKind: 'feature' });
    expect(suppressedBy(doc)).toEqual([]);
    expect(ejs(doc).rejectedSuppression!.because).toBe('ignored in the Snyk policy without a reason');
  });

  it('the main pipeline (reviewed code) honours a new ignore with a reason: that is how it reaches the baseline', () => {
    const doc = build([branch()], asBaseline(main), { pipelineKind: 'main' });
    expect(suppressedBy(doc).map((f) => f.ruleId)).toEqual(['npm:ejs:20161128']);
    expect(doc.warnings).toEqual([]);
  });

  it('scanner suppressions the repository does not declare (Inspector suppression rules) are not checked', () => {
    const event = readFixture('inspector/inspector2-eventbridge-ec2-package-vulnerability.json') as {
      detail: Json;
    };
    const suppressed = parseJson({ findings: [{ ...event.detail, status: 'SUPPRESSED' }] }, 'inspector.json');
    const doc = build([suppressed], asBaseline(main), { pipelineKind: 'feature' });
    expect(suppressedBy(doc)).toHaveLength(1);
  });
});

describe('scanner ignores end on their expiry', () => {
  it('snyk: an ignore that expired (2001) or whose expiry is not a date (99999) does not suppress; one warning', () => {
    const r = parseJson(
      snykTestWithIgnores({
        'npm:ejs:20161128': [rule('no user input reaches ejs templates')],
        'npm:brace-expansion:20170302C': [
          { ...rule('accepted in 2000'), expires: '2001-01-01T00:00:00.000Z' },
        ],
        'npm:brace-expansion:20170302D': [{ ...rule('forever'), expires: '99999' }],
      }),
      'snyk.json',
    );
    const doc = build([r]);
    const byId = (id: string) => doc.findings.find((f) => f.ruleId === id)!;
    expect(byId('npm:ejs:20161128').suppression).toMatchObject({ source: 'scanner' });
    expect(byId('npm:brace-expansion:20170302C').suppression).toBeUndefined();
    expect(byId('npm:brace-expansion:20170302C').rejectedSuppression).toEqual({
      source: 'scanner',
      reason: 'accepted in 2000',
      because: 'expired on 2001-01-01',
    });
    expect(byId('npm:brace-expansion:20170302D').rejectedSuppression).toEqual({
      source: 'scanner',
      reason: 'forever',
      because: 'its expiry "99999" is not a date',
    });
    expect(doc.warnings.filter((w) => /expiry/.test(w))).toEqual([
      "snyk.json: 2 finding(s) ignored in the scanner past the ignore's expiry are not treated as suppressed (the first, npm:brace-expansion:20170302C: expired on 2001-01-01); renew the ignore with a real date, or fix them",
    ]);
    // The critical one counts again.
    expect(doc.gate!.passed).toBe(false);
    expectValid(doc);
  });

  it('SARIF: a justified suppression whose expiration has passed does not suppress', () => {
    const log = snykCode(true) as { runs: { results: { suppressions: Json[] }[] }[] };
    const s = log.runs[0]!.results.flatMap((r) => r.suppressions ?? [])[0]!;
    s.properties = { ...(s.properties as Json), expiration: '2001-01-01T00:00:00Z' };
    const doc = build([parseJson(log, 'code.sarif')]);
    expect(suppressedBy(doc)).toEqual([]);
    expect(
      doc.findings.filter((f) => f.rejectedSuppression?.because === 'expired on 2001-01-01'),
    ).toHaveLength(1);
    s.properties = { ...(s.properties as Json), expiration: '2099-01-01T00:00:00Z' };
    expect(suppressedBy(build([parseJson(log, 'code.sarif')]))).toHaveLength(1);
  });
});
