import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import { PipewardenError } from '../../../findings/errors.js';
import type { Finding } from '../../../findings/model/finding.js';
import { isSeverity, SEVERITIES, type Severity } from '../../../findings/model/severity.js';
import { parseReport, type LoadedReport } from '../../../findings/parse/parse-report.js';
import { fixture } from '../helpers.js';

// Arbitrary mutations of every real scanner fixture: the engine gives findings with a valid severity, or one
// of its own one-line input errors; never a crash, and never a verdict that an added finding lowers.
const FIXTURES = [
  'sarif-other/codeql-action-valid-sarif.sarif',
  'snyk/test-code-consistent-ignores.json',
  'snyk/iac-test-report.json',
  'snyk/test-report-container-with-app-vulns.json',
  'snyk/test-report-with-reachability.json',
  'snyk/test-report-with-risk-scores.json',
  'variants/snyk-iac-sarif.json',
  'variants/snyk-test-all-projects.json',
  'variants/snyk-test-sarif.json',
  'inspector/scan-sbom-output_alpine-3.18.2.cdx.json',
  'inspector/scan-sbom-output_dockerfile-only.cdx.json',
  'inspector/inspector2-eventbridge-ec2-package-vulnerability.json',
  'inspector/inspector2-eventbridge-lambda-code-vulnerability.json',
  'aws/inspector2-code-repository.wire.json',
  'codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json',
  'cdk-nag/v3/validation-report.json',
  'cdk-nag/v2/AwsSolutions-NagFixture-NagReport.json',
];
const RUNS_PER_FIXTURE = 120;
const paths = { sourceRoot: '/src/repo' };

type Json = unknown;
type Path = (string | number)[];
const texts = new Map(FIXTURES.map((f) => [f, readFileSync(fixture(f), 'utf8')]));
const copy = (f: string): Json => JSON.parse(texts.get(f)!) as Json;

/** Every path to a value in the document (the root is []); arrays are sampled to their first 3 items. */
function pathsOf(value: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.slice(0, 3).forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}
const PATHS = new Map(FIXTURES.map((f) => [f, pathsOf(copy(f))]));
/** The fields where scanner words decide a verdict: a mutation aims at them half of the time. */
const WORD_FIELDS = new Set([
  'severity',
  'severityWithCritical',
  'level',
  'security-severity',
  'ref',
  'uri',
  'uriBaseId',
  'expires',
  'expiration',
  'justification',
  'reason',
  'executionSuccessful',
  'status',
  'kind',
  'compliance',
  'ruleLevel',
]);
const FIELD_PATHS = new Map(
  FIXTURES.map((f) => [f, PATHS.get(f)!.filter((p) => WORD_FIELDS.has(String(p[p.length - 1])))]),
);

/** Scanner words that once reached the prototype chain, and values at the edges of each field's type. */
const hostile = fc.constantFrom<Json>(
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  '   ',
  'critical',
  'CRITICAL',
  'Error',
  'fatal',
  'none',
  'unknown',
  '99999',
  '2001-01-01',
  'file:///Users/dev/project/',
  '../../etc/passwd',
  '/abs/line\nbreak.ts',
  'bell\u0007\r\n',
  '/etc/passwd',
  'pkg:npm/%40scope/name@1.0.0',
  -5,
  -1,
  0,
  10.5,
  1e308,
  null,
  true,
  false,
  [],
  {},
  [null],
  { text: 'x' },
);
const value = fc.oneof(hostile, fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 12 }));

type Mutation =
  | { op: 'set'; at: number; value: Json }
  | { op: 'field'; at: number; value: Json }
  | { op: 'delete'; at: number }
  | { op: 'addKey'; at: number; key: string; value: Json }
  | { op: 'duplicate'; at: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('field' as const), at: fc.nat(), value }), weight: 4 },
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('addKey' as const),
    at: fc.nat(),
    key: fc.constantFrom('__proto__', 'constructor', 'severity', 'level', 'ref', 'kind', 'suppressions'),
    value,
  }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
);

function at(doc: Json, path: Path): Json {
  return path.reduce<Json>((v, k) => (v && typeof v === 'object' ? (v as Record<string, Json>)[k] : v), doc);
}

/** Own-property writes: a key named `__proto__` becomes data, as JSON.parse makes it. */
function put(target: Record<string | number, Json>, key: string | number, v: Json) {
  Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function mutate(file: string, mutations: Mutation[]): Json {
  let doc = copy(file);
  for (const m of mutations) {
    const fields = FIELD_PATHS.get(file)!;
    const all = m.op === 'field' && fields.length ? fields : PATHS.get(file)!;
    const path = all[m.at % all.length]!;
    if (path.length === 0) {
      if (m.op === 'set' || m.op === 'field') doc = m.value;
      continue;
    }
    const parent = at(doc, path.slice(0, -1));
    if (!parent || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    const p = parent as Record<string | number, Json>;
    if (m.op === 'set' || m.op === 'field') put(p, key, m.value);
    else if (m.op === 'delete') {
      if (Array.isArray(p)) p.splice(Number(key), 1);
      else delete p[key];
    } else if (m.op === 'duplicate') {
      if (Array.isArray(p)) p.push(JSON.parse(JSON.stringify(p[Number(key)] ?? null)));
    } else {
      const target = at(doc, path);
      if (target && typeof target === 'object' && !Array.isArray(target))
        put(target as Record<string, Json>, m.key, m.value);
    }
  }
  // Through JSON text, as a report file reaches the engine.
  return JSON.parse(JSON.stringify(doc) ?? 'null') as Json;
}

/** The outcome the engine allows: findings with a valid severity, or its own one-line input error. */
function parseOrRefuse(json: Json, file: string): LoadedReport | undefined {
  try {
    const report = parseReport(json, file, paths);
    for (const f of report.findings) {
      expect(isSeverity(f.severity)).toBe(true);
      expect(typeof f.fingerprint).toBe('string');
    }
    for (const w of report.warnings) expect(w).not.toMatch(/\n/);
    return report;
  } catch (error) {
    if (!(error instanceof PipewardenError)) throw error;
    expect(error.message).toMatch(/^pipewarden: [^\n]+$/);
    expect(error.message).toContain(file);
    expect(error.exitCode).toBe(2);
    return undefined;
  }
}

describe('every parser, under arbitrary mutations of its real fixture', () => {
  it.each(FIXTURES)('%s: findings with a valid severity, or a one-line input error', (name) => {
    // The v2 NagReport names its pack in the file name and reads the cloud assembly next to it.
    const file = name.startsWith('cdk-nag/v2/') ? fixture(name) : `${name.replace(/\W/g, '-')}.json`;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        parseOrRefuse(mutate(name, mutations), file);
      }),
      { numRuns: RUNS_PER_FIXTURE },
    );
  });
});

describe('the gate, when a finding is added', () => {
  const reports = FIXTURES.filter((f) => !f.startsWith('cdk-nag/v2/')).map((f) =>
    parseReport(copy(f), f, paths),
  );
  const config = parseRepoConfig({});
  const now = new Date('2026-11-28T12:00:00Z');

  it('never lowers the verdict (any threshold, with or without new-only and a baseline)', () => {
    fc.assert(
      fc.property(
        fc.nat(reports.length - 1),
        fc.nat(reports.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.constantFrom<Severity>(...SEVERITIES),
        fc.boolean(),
        fc.boolean(),
        (baseIndex, extraIndex, mutations, failOn, newOnly, withBaseline) => {
          const base = reports[baseIndex]!;
          const extra = parseOrRefuse(mutate(FIXTURES[extraIndex]!, mutations), 'extra.json');
          fc.pre(extra !== undefined && extra.findings.length > 0);
          const added: Finding = extra!.findings[0]!;
          const options = {
            config,
            context: {},
            gate: { failOn, newOnly },
            now,
            ...(withBaseline ? { baseline: base } : {}),
          };
          const before = buildDocument({ ...options, reports: [base] });
          const after = buildDocument({
            ...options,
            reports: [base, { ...extra!, findings: [{ ...added }] }],
          });
          expect(after.gate!.failing).toBeGreaterThanOrEqual(before.gate!.failing);
          if (!before.gate!.passed) expect(after.gate!.passed).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});
