import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type {
  Finding,
  FindingLocation,
  FindingPackage,
  FindingSource,
  FindingsDocument,
  GateResult,
  AppliedPolicy,
  InputSummary,
  PolicyChange,
  RejectedSuppression,
  ScanContext,
  Suppression,
} from '../../../findings/model/finding.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../helpers.js';
import { ALL_FIXTURES, BASELINE_FIXTURES, PR_FIXTURES, fixtureDocument } from '../render/render-helpers.js';
import { errorsOf, schemaValidator } from '../render/validate-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
type Schema = {
  properties: Record<string, Schema>;
  required?: string[];
  definitions: Record<string, Schema>;
  $ref?: string;
};
const schema = JSON.parse(
  readFileSync(join(root, 'findings', 'document', 'findings-document.schema.json'), 'utf8'),
) as Schema;
const validate = schemaValidator(schema);

function expectValid(doc: unknown) {
  const ok = validate(doc);
  expect(errorsOf(validate)).toEqual([]);
  expect(ok).toBe(true);
}

const dir = mkdtempSync(join(tmpdir(), 'pw-schema-'));
const env = {
  GITHUB_REPOSITORY: undefined,
  GITHUB_SHA: undefined,
  GITHUB_REF_NAME: undefined,
  GITHUB_HEAD_REF: undefined,
  CODEBUILD_SRC_DIR: undefined,
  CODEBUILD_BUILD_ID: undefined,
  PIPEWARDEN_DEBUG: undefined,
};

describe('the findings document JSON Schema', () => {
  it('accepts what `report --format json` writes: every fixture, a baseline, a config, the full context', async () => {
    const baseline = join(dir, 'baseline.json');
    const first = await runCli(
      ['report', '--format', 'json', '--out', baseline, ...BASELINE_FIXTURES.map(fixture)],
      env,
    );
    expect(first.code).toBe(0);
    expectValid(JSON.parse(readFileSync(baseline, 'utf8')));

    const config = join(dir, 'pipewarden.yml');
    writeFileSync(
      config,
      'gate:\n  failOn: medium\nsuppressions:\n  - rule: SNYK-CC-TF-136\n    reason: logging is central\n    expires: 2099-01-01\n    approvedBy: sec-team\n  - rule: SNYK-CC-TF-244\n    reason: old exception\n    expires: 2020-01-01\n',
    );
    const out = join(dir, 'findings.json');
    const r = await runCli(
      [
        'report',
        '--format',
        'json',
        '--out',
        out,
        '--baseline',
        baseline,
        '--config',
        config,
        '--repo',
        'acme/shop',
        '--commit',
        '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
        '--branch',
        'feature/checkout',
        '--pull-request',
        '42',
        '--execution',
        'b59c0d4e-0000-4000-8000-000000000001',
        ...PR_FIXTURES.map(fixture),
      ],
      { ...env, CODEBUILD_BUILD_ID: 'app-ci:0b1c2d3e', GITHUB_SERVER_URL: 'https://github.example.com' },
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as FindingsDocument;
    expectValid(doc);
    // The document exercises what the schema describes: optional parts are there to be checked.
    expect(doc.baseline).toBeDefined();
    expect(doc.fixed.length).toBeGreaterThan(0);
    expect(doc.findings.some((f) => f.suppression?.source === 'config')).toBe(true);
    expect(doc.findings.some((f) => f.suppression?.source === 'scanner')).toBe(true);
    expect(doc.findings.some((f) => f.package?.dependencyPaths)).toBe(true);
    expect(doc.findings.some((f) => f.cvss)).toBe(true);
    expect(doc.findings.some((f) => f.location?.startColumn)).toBe(true);
    expect(doc.warnings.length).toBeGreaterThan(0);
    expect(Object.keys(doc.context).sort()).toEqual(
      ['branch', 'buildId', 'commit', 'pipelineExecutionId', 'pullRequest', 'repo', 'serverUrl'].sort(),
    );
  });

  it('accepts the engine documents of every fixture, with and without baseline, gate options and findings', () => {
    for (const doc of [
      fixtureDocument(),
      fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES, newOnly: true }),
      fixtureDocument({ files: [], context: {} }),
      ...ALL_FIXTURES.map((f) => fixtureDocument({ files: [f] })),
    ])
      expectValid(JSON.parse(JSON.stringify(doc)));
  });

  it('refuses documents that break the contract', () => {
    const good = JSON.parse(JSON.stringify(fixtureDocument())) as FindingsDocument;
    const f = good.findings.find((x) => x.location)!;
    const broken: [string, (d: FindingsDocument) => void][] = [
      ['absolute path', (d) => (d.findings[0]!.location = { path: '/etc/passwd' })],
      ['path escaping the repository', (d) => (d.findings[0]!.location = { path: 'src/../../x' })],
      ['Windows path', (d) => (d.findings[0]!.location = { path: 'C:\\src\\x.ts' })],
      ['unknown severity', (d) => ((d.findings[0] as { severity: string }).severity = 'SEVERE')],
      ['line 0', (d) => (d.findings[0]!.location = { path: 'a.ts', startLine: 0 })],
      ['no sources', (d) => (d.findings[0]!.sources = [])],
      ['extra field', (d) => Object.assign(d.findings[0]!, { extra: 1 })],
      [
        'unknown suppression source',
        (d) => Object.assign(d.findings[0]!, { suppression: { source: 'me', reason: 'x' } }),
      ],
      [
        'suppression without reason',
        (d) => Object.assign(d.findings[0]!, { suppression: { source: 'config' } }),
      ],
      ['another schema version', (d) => ((d as { schemaVersion: string }).schemaVersion = '2.0')],
      ['generatedAt not a date', (d) => (d.generatedAt = 'yesterday')],
      ['gate without verdict', (d) => delete (d.gate as Partial<GateResult>).passed],
    ];
    expect(f).toBeDefined();
    for (const [what, breakIt] of broken) {
      const doc = JSON.parse(JSON.stringify(good)) as FindingsDocument;
      breakIt(doc);
      expect([what, validate(doc)]).toEqual([what, false]);
    }
  });
});

// ---- The schema names exactly the fields of the TypeScript model (a field added to one but not the other fails here).

/** Keys that are not optional in T. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** Every key of T, each listed once: the compiler rejects a missing or an unknown one. */
type AllKeys<T> = Record<keyof T, true>;
type RequiredOnly<T> = Record<RequiredKeys<T>, true>;

const model: [string, Record<string, true>, Record<string, true>][] = [
  [
    '#',
    {
      schemaVersion: true,
      generatedAt: true,
      generator: true,
      context: true,
      inputs: true,
      findings: true,
      fixed: true,
      baseline: true,
      gate: true,
      policy: true,
      policyChange: true,
      warnings: true,
    } satisfies AllKeys<FindingsDocument>,
    {
      schemaVersion: true,
      generatedAt: true,
      generator: true,
      context: true,
      inputs: true,
      findings: true,
      fixed: true,
      warnings: true,
    } satisfies RequiredOnly<FindingsDocument>,
  ],
  [
    'finding',
    {
      fingerprint: true,
      tool: true,
      kind: true,
      ruleId: true,
      title: true,
      description: true,
      severity: true,
      originalSeverity: true,
      location: true,
      package: true,
      vulnerabilityIds: true,
      cvss: true,
      helpUri: true,
      remediation: true,
      sources: true,
      status: true,
      suppression: true,
      rejectedSuppression: true,
    } satisfies AllKeys<Finding>,
    {
      fingerprint: true,
      tool: true,
      kind: true,
      ruleId: true,
      title: true,
      severity: true,
      originalSeverity: true,
      vulnerabilityIds: true,
      sources: true,
    } satisfies RequiredOnly<Finding>,
  ],
  [
    'location',
    {
      path: true,
      startLine: true,
      endLine: true,
      startColumn: true,
      endColumn: true,
      snippet: true,
    } satisfies AllKeys<FindingLocation>,
    { path: true } satisfies RequiredOnly<FindingLocation>,
  ],
  [
    'package',
    {
      name: true,
      version: true,
      fixedVersion: true,
      ecosystem: true,
      purl: true,
      dependencyPaths: true,
    } satisfies AllKeys<FindingPackage>,
    { name: true } satisfies RequiredOnly<FindingPackage>,
  ],
  [
    'source',
    { tool: true, ruleId: true, originalSeverity: true, file: true } satisfies AllKeys<FindingSource>,
    { tool: true, ruleId: true, originalSeverity: true } satisfies RequiredOnly<FindingSource>,
  ],
  [
    'suppression',
    {
      source: true,
      reason: true,
      expires: true,
      approvedBy: true,
      matchedBy: true,
      inRepository: true,
    } satisfies AllKeys<Suppression>,
    { source: true, reason: true } satisfies RequiredOnly<Suppression>,
  ],
  [
    'rejectedSuppression',
    { source: true, reason: true, because: true } satisfies AllKeys<RejectedSuppression>,
    { source: true, because: true } satisfies RequiredOnly<RejectedSuppression>,
  ],
  [
    'appliedPolicy',
    { origin: true, file: true, branch: true, commit: true, text: true } satisfies AllKeys<AppliedPolicy>,
    { origin: true, text: true } satisfies RequiredOnly<AppliedPolicy>,
  ],
  [
    'policyChange',
    {
      file: true,
      valid: true,
      error: true,
      gate: true,
      wouldSuppress: true,
      wouldUnsuppress: true,
      wouldLetThrough: true,
      wouldFail: true,
      wouldPass: true,
      summary: true,
    } satisfies AllKeys<PolicyChange>,
    {
      file: true,
      valid: true,
      wouldSuppress: true,
      wouldUnsuppress: true,
      wouldLetThrough: true,
      wouldFail: true,
      wouldPass: true,
      summary: true,
    } satisfies RequiredOnly<PolicyChange>,
  ],
  [
    'scanContext',
    {
      repo: true,
      commit: true,
      commitTime: true,
      branch: true,
      pullRequest: true,
      pipeline: true,
      pipelineExecutionId: true,
      pipelineKind: true,
      buildId: true,
      serverUrl: true,
    } satisfies AllKeys<ScanContext>,
    {} satisfies RequiredOnly<ScanContext>,
  ],
  [
    'inputSummary',
    { file: true, format: true, findings: true } satisfies AllKeys<InputSummary>,
    { file: true, format: true, findings: true } satisfies RequiredOnly<InputSummary>,
  ],
  [
    'gateResult',
    { passed: true, failOn: true, newOnly: true, failing: true, reasons: true } satisfies AllKeys<GateResult>,
    {
      passed: true,
      failOn: true,
      newOnly: true,
      failing: true,
      reasons: true,
    } satisfies RequiredOnly<GateResult>,
  ],
];

describe('the schema matches findings/model/finding.ts', () => {
  it.each(model)('%s: the same properties, the same required ones', (name, all, required) => {
    const node = name === '#' ? schema : schema.definitions[name]!;
    expect(Object.keys(node.properties).sort()).toEqual(Object.keys(all).sort());
    expect([...(node.required ?? [])].sort()).toEqual(Object.keys(required).sort());
  });
});
