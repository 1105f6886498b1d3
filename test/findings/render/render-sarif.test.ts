import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { SEVERITY_RANK, SEVERITY_SCORE, type Severity } from '../../../findings/model/severity.js';
import { RENDERERS } from '../../../findings/render/renderers.js';
import {
  GITHUB_SARIF_LIMITS,
  renderSarif,
  renderSarifText,
  type SarifLog,
} from '../../../findings/render/render-sarif.js';
import { FINGERPRINT_KEY, type SarifResult } from '../../../findings/render/sarif-results.js';
import { parseJson, readFixture } from '../helpers.js';
import {
  ALL_FIXTURES,
  BASELINE_FIXTURES,
  NOW,
  PR_FIXTURES,
  fixtureDocument,
  random,
  reordered,
  syntheticDocument,
} from './render-helpers.js';
import { errorsOf, sarifValidator } from './validate-schema.js';

const validate = sarifValidator();
function expectValid(log: unknown) {
  const ok = validate(log);
  expect(errorsOf(validate)).toEqual([]);
  expect(ok).toBe(true);
}

const allResults = (log: SarifLog) => log.runs.flatMap((r) => r.results);
const severityOf = (r: SarifResult) => r.properties['pipewarden/severity'] as Severity;

describe('the schema check itself', () => {
  it('rejects a SARIF that breaks the schema (Snyk Code suppressions without the required kind)', () => {
    expect(validate(readFixture('snyk/test-code-consistent-ignores.json'))).toBe(false);
    expect(errorsOf(validate).join('\n')).toMatch(/suppressions\/0 must have required property 'kind'/);
  });
});

describe('renderSarif over the real fixtures', () => {
  const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });
  const log = renderSarif(doc);

  it('is one SARIF 2.1.0 log, valid against the official schema', () => {
    expect(log.version).toBe('2.1.0');
    expectValid(log);
    expectValid(renderSarif(fixtureDocument()));
    // What the CLI writes is the same log.
    const out = RENDERERS.get('sarif')!(doc, {});
    const text = typeof out === 'string' ? out : [...out].join('');
    expect(text).toBe(renderSarifText(doc));
    expect(JSON.parse(text)).toEqual(log);
  });

  it('has one run per tool, each with its own category', () => {
    const tools = new Set(doc.findings.map((f) => f.tool));
    const ids = log.runs.map((r) => r.automationDetails.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^pipewarden\/[a-z0-9._-]+\/$/);
    for (const tool of tools) {
      const runs = log.runs.filter((r) => (r.properties['pipewarden/tools'] as string[]).includes(tool));
      expect(runs).toHaveLength(1);
      expect(runs[0]!.results).toHaveLength(doc.findings.filter((f) => f.tool === tool).length);
    }
    expect(allResults(log)).toHaveLength(doc.findings.length);
    expect(log.runs.length).toBeLessThanOrEqual(GITHUB_SARIF_LIMITS.runsPerFile);
  });

  it('gives a run to a tool whose findings are all fixed, so GitHub closes its alerts', () => {
    // The image is no longer scanned by Inspector in the pull request: all its findings are fixed.
    const doc = fixtureDocument({
      files: PR_FIXTURES.filter((f) => !f.startsWith('inspector/scan-sbom')),
      baseline: BASELINE_FIXTURES,
    });
    const log = renderSarif(doc);
    expectValid(log);
    const fixedOnly = [...new Set(doc.fixed.map((f) => f.tool))].filter(
      (t) => !doc.findings.some((f) => f.tool === t),
    );
    expect(fixedOnly.length).toBeGreaterThan(0);
    for (const tool of fixedOnly) {
      const run = log.runs.find((r) => (r.properties['pipewarden/tools'] as string[]).includes(tool))!;
      expect(run.results).toEqual([]);
    }
    expect(fixedOnly).toContain('inspector-sbom');
  });

  it('rules carry security-severity and security + CWE tags; results fingerprints, levels and locations', () => {
    const byFingerprint = new Map(doc.findings.map((f) => [f.fingerprint, f]));
    for (const run of log.runs) {
      for (const rule of run.tool.driver.rules) {
        expect(Number(rule.properties['security-severity'])).toBeGreaterThanOrEqual(0);
        expect(rule.properties.tags[0]).toBe('security');
        expect(rule.properties.tags.length).toBeLessThanOrEqual(GITHUB_SARIF_LIMITS.tagsPerRule);
      }
      for (const r of run.results) {
        const f = byFingerprint.get(r.partialFingerprints[FINGERPRINT_KEY]!)!;
        expect(f).toBeDefined();
        expect(run.tool.driver.rules.filter((rule) => rule.id === r.ruleId)).toHaveLength(1);
        expect(r.level).toBe(
          { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', INFO: 'note' }[f.severity],
        );
        expect(r.properties['security-severity']).toBe(SEVERITY_SCORE[f.severity].toFixed(1));
        // GitHub rejects the whole file if one result has no artifact location.
        expect(r.locations).toHaveLength(1);
        expect(r.locations[0]!.physicalLocation.artifactLocation.uri.length).toBeGreaterThan(0);
        expect(r.locations[0]!.physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
        if (f.location?.startLine)
          expect(r.locations[0]!.physicalLocation.region!.startLine).toBe(f.location.startLine);
        expect(r.baselineState).toBe(f.status === 'new' ? 'new' : 'unchanged');
      }
    }
    const cwe = log.runs.flatMap((r) => r.tool.driver.rules).find((r) => r.properties.tags.length > 1)!;
    expect(cwe.properties.tags[1]).toMatch(/^external\/cwe\/cwe-\d+$/);
  });

  it('writes suppressions of its own making: kind external, status accepted, the reason as justification', () => {
    const suppressed = allResults(log).filter((r) => r.suppressions);
    expect(suppressed).toHaveLength(doc.findings.filter((f) => f.suppression).length);
    for (const r of suppressed) {
      expect(r.suppressions).toHaveLength(1);
      expect(r.suppressions![0]).toMatchObject({ kind: 'external', status: 'accepted' });
      expect(r.suppressions![0]!.justification.length).toBeGreaterThan(0);
    }
    // Snyk's own suppression object (no kind, its ignoredOn) is not copied through.
    const snyk = suppressed.find((r) => r.suppressions![0]!.justification === 'this is by design')!;
    expect(snyk.suppressions![0]).toEqual({
      kind: 'external',
      status: 'accepted',
      justification: 'this is by design',
      properties: { 'pipewarden/source': 'scanner', ignoredBy: { name: 'Ian Zink' } },
    });
    const config = suppressed.find((r) => r.suppressions![0]!.properties['pipewarden/source'] === 'config')!;
    expect(config.suppressions![0]!.properties).toMatchObject({
      'pipewarden/matchedBy': 'rule',
      expiration: '2027-01-01',
    });
  });

  it('reads back through pipewarden with the same findings, severities and suppressions', () => {
    const back = parseJson(JSON.parse(renderSarifText(doc)), 'pipewarden.sarif');
    expect(back.findings).toHaveLength(doc.findings.length);
    const count = (fs: { severity: Severity; suppression?: unknown }[]) =>
      fs.map((f) => `${f.severity}${f.suppression ? '/suppressed' : ''}`).sort();
    expect(count(back.findings)).toEqual(count(doc.findings));
    const tools = (fs: { tool: string }[]) =>
      [...new Set(fs.map((f) => f.tool))].filter((t) => t.startsWith('snyk')).sort();
    expect(tools(back.findings)).toEqual(tools(doc.findings));
  });

  it('is deterministic whatever the order of the findings', () => {
    const text = renderSarifText(doc);
    expect(renderSarifText(doc)).toBe(text);
    expect(renderSarifText(reordered(doc, 5))).toBe(text);
  });
});

describe('renderSarif within GitHub upload limits', () => {
  it('keeps the 25,000 most severe results of a run and says how many it left out', () => {
    const doc = syntheticDocument(30_000, { tools: 1, seed: 3 });
    const log = renderSarif(doc);
    expectValid(log);
    const [run] = log.runs;
    expect(run!.results).toHaveLength(GITHUB_SARIF_LIMITS.resultsPerRun);
    expect(run!.properties['pipewarden/droppedResults']).toBe(5_000);
    const note = run!.invocations![0]!.toolExecutionNotifications[0]!.message.text;
    expect(note).toContain('left out the 5000 least severe of 30000 results');
    expect(note).toContain('at most 25000 results per run');
    // Every result kept is at least as severe as every result left out.
    const kept = new Set(run!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]));
    const dropped = doc.findings.filter((f) => !kept.has(f.fingerprint));
    expect(dropped).toHaveLength(5_000);
    const worstDropped = Math.max(...dropped.map((f) => SEVERITY_RANK[f.severity]));
    const leastKept = Math.min(...run!.results.map((r) => SEVERITY_RANK[severityOf(r)]));
    expect(leastKept).toBeGreaterThanOrEqual(worstDropped);
    expect(run!.tool.driver.rules.length).toBeLessThanOrEqual(GITHUB_SARIF_LIMITS.rulesPerRun);
  });

  it('merges the tools past 20 into one run, with their rules apart', () => {
    const doc = syntheticDocument(2_600, { tools: 26, rules: 5, seed: 9 });
    const log = renderSarif(doc);
    expectValid(log);
    expect(log.runs).toHaveLength(GITHUB_SARIF_LIMITS.runsPerFile);
    const merged = log.runs.find((r) => r.automationDetails.id === 'pipewarden/other-tools/')!;
    expect(merged.tool.driver.name).toBe('pipewarden');
    expect((merged.properties['pipewarden/tools'] as string[]).length).toBe(26 - 19);
    expect(merged.tool.driver.rules.filter((rule) => !/^synthetic-scanner-\d+\/RULE-/.test(rule.id))).toEqual(
      [],
    );
    expect(merged.invocations![0]!.toolExecutionNotifications[0]!.message.text).toMatch(/at most 20 runs/);
    expect(allResults(log)).toHaveLength(2_600);
    expect(new Set(log.runs.map((r) => r.automationDetails.id)).size).toBe(20);
  });

  it('--max keeps the most severe results of the whole log', () => {
    const doc = syntheticDocument(3_000, { tools: 3, seed: 4 });
    const log = renderSarif(doc, { max: 500 });
    expectValid(log);
    const results = allResults(log);
    expect(results).toHaveLength(500);
    const sorted = [...doc.findings].map((f) => SEVERITY_RANK[f.severity]).sort((a, b) => b - a);
    expect(Math.min(...results.map((r) => SEVERITY_RANK[severityOf(r)]))).toBeGreaterThanOrEqual(
      sorted[499]!,
    );
    const dropped = log.runs.reduce((n, r) => n + (r.properties['pipewarden/droppedResults'] as number), 0);
    expect(dropped).toBe(2_500);
    expect(
      log.runs.some((r) =>
        r.invocations?.[0]?.toolExecutionNotifications[0]?.message.text.includes('(--max)'),
      ),
    ).toBe(true);
  });

  it('shrinks to the gzipped size limit, most severe first', () => {
    const doc = syntheticDocument(5_000, { tools: 2, seed: 6 });
    const gzipBytes = 60_000;
    const text = renderSarifText(doc, { limits: { gzipBytes } });
    expect(gzipSync(text).length).toBeLessThanOrEqual(gzipBytes);
    const log = JSON.parse(text) as SarifLog;
    expectValid(log);
    const kept = allResults(log).length;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(5_000);
    expect(text).toContain('bytes of gzipped SARIF');
    // Unlimited, the same document is far bigger: the limit did the cutting.
    expect(gzipSync(renderSarifText(doc)).length).toBeGreaterThan(gzipBytes * 2);
  });

  it('measures a large log on sampled blocks and still stays under the gzipped limit', () => {
    const words = 'taint flows from request parameter into query builder without escaping user input'.split(
      ' ',
    );
    const rnd = random(17);
    const text = () => Array.from({ length: 120 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    const doc: FindingsDocument = syntheticDocument(3_000, { tools: 2, rules: 500, seed: 8, text });
    doc.findings = doc.findings.map((f) => ({ ...f, remediation: `${f.ruleId}: ${text()} ${text()}` }));
    // Past gzipExactUpTo (16 MiB by default, 1 MB here) one block in four is compressed and scaled.
    const options = { limits: { gzipBytes: 200_000 }, gzipExactUpTo: 1_000_000 };
    expect(Buffer.byteLength(renderSarifText(doc, { limits: { gzipBytes: 1e9 } }))).toBeGreaterThan(
      options.gzipExactUpTo * 3,
    );
    const out = renderSarifText(doc, options);
    const gz = gzipSync(out).length;
    expect(gz).toBeLessThanOrEqual(options.limits.gzipBytes);
    // Not over-cut either: most of the allowance is used.
    expect(gz).toBeGreaterThan(options.limits.gzipBytes * 0.8);
    expectValid(JSON.parse(out));
  });

  it('validates a large synthetic set with hostile text and odd paths', () => {
    const doc: FindingsDocument = syntheticDocument(8_000, {
      tools: 4,
      seed: 12,
      text: (i) => `bad \u0000\u202E text #${i} <script> ${'x'.repeat(i % 3_000)}`,
    });
    doc.findings = doc.findings.map((f, i) =>
      i % 5 === 0
        ? {
            ...f,
            location: {
              path: `dir with space/ü (${i})%.ts`,
              startLine: 3,
              endLine: 2,
              startColumn: 9,
              endColumn: 4,
            },
          }
        : f,
    );
    const log = renderSarif(doc);
    expectValid(log);
    // One assertion over all 8,000 (each expect() call costs a stack capture): the offending texts, none.
    const bad = allResults(log)
      .map((r) => r.message.text)
      .filter((t) => t.length > 1_000 || t.includes('\u0000') || t.includes('\u202E'));
    expect(bad).toEqual([]);
  });

  it('writes a valid log with no runs for a document without findings or tools', () => {
    const empty = buildDocument({ reports: [], config: parseRepoConfig({}), context: {}, now: NOW });
    const log = renderSarif(empty);
    expectValid(log);
    expect(log.runs).toEqual([]);
  });

  it('anchors findings without a file to their package, so GitHub accepts them', () => {
    const doc = fixtureDocument({ files: ALL_FIXTURES });
    const noFile = doc.findings.filter((f) => !f.location);
    expect(noFile.length).toBeGreaterThan(0);
    const results = new Map(
      allResults(renderSarif(doc)).map((r) => [r.partialFingerprints[FINGERPRINT_KEY], r]),
    );
    for (const f of noFile) {
      const loc = results.get(f.fingerprint)!.locations[0]!;
      expect(loc.physicalLocation.region).toEqual({ startLine: 1 });
      expect(loc.message!.text).toMatch(/^No file in the repository/);
    }
  });
});
