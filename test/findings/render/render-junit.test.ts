import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { renderJunit } from '../../../findings/render/render-junit.js';
import { RENDERERS } from '../../../findings/render/renderers.js';
import { countsForGate } from '../../../findings/triage/evaluate-gate.js';
import { parseJson } from '../helpers.js';
import { childrenNamed, parseXml, type XmlElement } from './parse-xml.js';
import {
  BASELINE_FIXTURES,
  CONFIG,
  CONTEXT,
  NOW,
  PR_FIXTURES,
  fixtureDocument,
  reordered,
  syntheticDocument,
  syntheticSarif,
} from './render-helpers.js';

const casesOf = (suite: XmlElement) => childrenNamed(suite, 'testcase');
const has = (c: XmlElement, name: string) => childrenNamed(c, name).length > 0;

/** Every count attribute agrees with the elements it counts. */
function expectConsistent(root: XmlElement) {
  expect(root.name).toBe('testsuites');
  const suites = childrenNamed(root, 'testsuite');
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const suite of suites) {
    const cases = casesOf(suite);
    const f = cases.filter((c) => has(c, 'failure')).length;
    const s = cases.filter((c) => has(c, 'skipped')).length;
    expect(Number(suite.attributes.tests)).toBe(cases.length);
    expect(Number(suite.attributes.failures)).toBe(f);
    expect(Number(suite.attributes.skipped)).toBe(s);
    expect(suite.attributes.errors).toBe('0');
    for (const c of cases) {
      expect(c.attributes.name!.length).toBeGreaterThan(0);
      expect(c.attributes.classname!.length).toBeGreaterThan(0);
      expect(c.attributes.time).toBe('0');
      expect(Number(has(c, 'failure')) + Number(has(c, 'skipped'))).toBeLessThanOrEqual(1);
    }
    tests += cases.length;
    failures += f;
    skipped += s;
  }
  expect(Number(root.attributes.tests)).toBe(tests);
  expect(Number(root.attributes.failures)).toBe(failures);
  expect(Number(root.attributes.skipped)).toBe(skipped);
}

describe('parseXml (the test harness) rejects what is not XML', () => {
  it.each([
    ['<a><b></a></b>', /does not close/],
    ['<a t="x < y"/>', /raw </],
    ['<a>x < y</a>', /name expected/],
    ['<a t="1 & 2"/>', /entity/],
    ['<a/><b/>', /second root/],
    ['<a>\u0000</a>', /not allowed/],
    ['<a>', /never closed/],
  ])('%j', (xml, error) => {
    expect(() => parseXml(xml)).toThrow(error);
  });
});

describe('renderJunit over the real fixtures', () => {
  const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });
  const xml = renderJunit(doc);
  const root = parseXml(xml);
  const suites = childrenNamed(root, 'testsuite');
  const policy = { failOn: doc.gate!.failOn, newOnly: doc.gate!.newOnly };

  it('is well-formed XML whose counts add up', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expectConsistent(root);
    const out = RENDERERS.get('junit')!(doc, {});
    expect(typeof out === 'string' ? out : [...out].join('')).toBe(xml);
  });

  it('has the gate first, then one suite per tool with one test case per finding', () => {
    expect(suites[0]!.attributes.name).toBe('pipewarden');
    const [gateCase] = casesOf(suites[0]!);
    expect(gateCase!.attributes.name).toBe('security gate: fail on HIGH');
    expect(childrenNamed(gateCase!, 'failure')[0]!.attributes.message).toBe(doc.gate!.reasons.join('; '));
    const tools = [...new Set(doc.findings.map((f) => f.tool))].sort();
    expect(suites.slice(1).map((s) => s.attributes.name)).toEqual(tools);
    for (const suite of suites.slice(1)) {
      const findings = doc.findings.filter((f) => f.tool === suite.attributes.name);
      expect(casesOf(suite)).toHaveLength(findings.length);
      for (const c of casesOf(suite)) expect(c.attributes.classname).toBe(suite.attributes.name);
    }
  });

  it('fails exactly the findings that fail the gate, and skips the suppressed ones', () => {
    const findingCases = suites.slice(1).flatMap(casesOf);
    const failed = findingCases.filter((c) => has(c, 'failure'));
    const skipped = findingCases.filter((c) => has(c, 'skipped'));
    expect(failed).toHaveLength(doc.gate!.failing);
    expect(skipped).toHaveLength(doc.findings.filter((f) => f.suppression).length);
    for (const f of doc.findings) {
      const c = findingCases.find((x) => x.attributes.name!.endsWith(`[${f.fingerprint.slice(0, 8)}]`))!;
      expect(c.attributes.name!.startsWith(`${f.severity} ${f.ruleId}`)).toBe(true);
      expect(has(c, 'failure')).toBe(countsForGate(f, policy));
      expect(has(c, 'skipped')).toBe(!!f.suppression);
    }
    const scanner = skipped.find((c) =>
      childrenNamed(c, 'skipped')[0]!.attributes.message!.includes('by design'),
    )!;
    expect(childrenNamed(scanner, 'skipped')[0]!.attributes.message).toBe(
      'suppressed by the scanner: this is by design (approved by Ian Zink)',
    );
    // Failures lead every suite (CodeBuild keeps 500 cases and favours failed ones).
    for (const suite of suites.slice(1)) {
      const flags = casesOf(suite).map((c) => has(c, 'failure'));
      expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
    }
  });

  it('follows new-only: existing findings pass', () => {
    const newOnly = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES, newOnly: true });
    const r = parseXml(renderJunit(newOnly));
    expectConsistent(r);
    const failed = childrenNamed(r, 'testsuite')
      .slice(1)
      .flatMap(casesOf)
      .filter((c) => has(c, 'failure'));
    expect(failed).toHaveLength(newOnly.gate!.failing);
    expect(newOnly.gate!.failing).toBeLessThan(doc.gate!.failing);
    expect(casesOf(childrenNamed(r, 'testsuite')[0]!)[0]!.attributes.name).toBe(
      'security gate: fail on HIGH, new findings only',
    );
  });

  it('lists what was read as properties', () => {
    const props = childrenNamed(childrenNamed(suites[0]!, 'properties')[0]!, 'property');
    expect(props).toHaveLength(doc.inputs.length + 1);
    expect(props[0]!.attributes.value).toBe(
      `${doc.inputs[0]!.file} (${doc.inputs[0]!.format}, ${doc.inputs[0]!.findings} findings)`,
    );
    expect(props.at(-1)!.attributes).toEqual({
      name: 'baseline',
      value: expect.stringMatching(/^main\.json \(\d+ findings\)$/),
    });
  });

  it('is deterministic whatever the order of the findings', () => {
    expect(renderJunit(doc)).toBe(xml);
    expect(renderJunit(reordered(doc, 21))).toBe(xml);
  });
});

describe('renderJunit edge cases', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    const hostile = 'a <b> & "c" \'d\' ]]> \u0000\u0008\u000B\uFFFE\uD800 lone \u{1F600} ok';
    const doc: FindingsDocument = syntheticDocument(4, { tools: 1, text: () => hostile });
    doc.findings = doc.findings.map((f) => ({
      ...f,
      title: hostile,
      tool: `tool <"&'>`,
      ...(f.location ? { location: { ...f.location, path: 'src/<x>&"y".ts' } } : {}),
    }));
    const xml = renderJunit(doc);
    const root = parseXml(xml);
    expectConsistent(root);
    const suite = childrenNamed(root, 'testsuite')[1]!;
    expect(suite.attributes.name).toBe(`tool <"&'>`);
    const failure = childrenNamed(casesOf(suite)[0]!, 'failure')[0]!;
    expect(failure.attributes.message).toBe('a <b> & "c" \'d\' ]]> lone \u{1F600} ok');
    expect(failure.text).toContain('a <b> & "c" \'d\' ]]>');
    expect(failure.text).toContain('lone \u{1F600} ok');
    expect(casesOf(suite)[0]!.attributes.name).toContain('src/<x>&"y".ts');
  });

  it('fails the gate case when the gate fails on a missing report, with no failing finding', () => {
    const doc = buildDocument({
      reports: [parseJson(syntheticSarif(3, { tools: 1 }), 'low.sarif')],
      missing: ['snyk.json'],
      config: parseRepoConfig({ gate: { failOn: 'critical' } }),
      context: CONTEXT,
      now: NOW,
    });
    doc.findings = doc.findings.map((f) => ({ ...f, severity: 'LOW' }));
    const root = parseXml(renderJunit(doc));
    expectConsistent(root);
    expect(root.attributes.failures).toBe('1');
    const gateFailure = childrenNamed(casesOf(childrenNamed(root, 'testsuite')[0]!)[0]!, 'failure')[0]!;
    expect(gateFailure.text).toBe('report missing or unreadable: snyk.json');
  });

  it('passes with a passing gate, and scales to many findings', () => {
    const doc = buildDocument({
      reports: [parseJson(syntheticSarif(3_000, { tools: 5 }), 'big.sarif')],
      config: CONFIG,
      context: CONTEXT,
      now: NOW,
    });
    const root = parseXml(renderJunit(doc));
    expectConsistent(root);
    expect(Number(root.attributes.tests)).toBe(3_001);
    expect(Number(root.attributes.failures)).toBe(doc.gate!.failing + 1);
    const passing = buildDocument({
      reports: [],
      config: parseRepoConfig({}),
      context: {},
      now: NOW,
    });
    const empty = parseXml(renderJunit(passing));
    expectConsistent(empty);
    expect(empty.attributes).toMatchObject({ tests: '1', failures: '0' });
  });
});
