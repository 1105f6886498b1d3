import { parseRepoConfig, type RepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { FindingsDocument, ScanContext } from '../../../findings/model/finding.js';
import type { LoadedReport } from '../../../findings/parse/parse-report.js';
import { parseJson, readFixture } from '../helpers.js';

/** Every real scanner report in test/fixtures that is a scan result (the sbomgen input is refused by design). */
export const ALL_FIXTURES = [
  'codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json',
  'inspector/inspector2-eventbridge-ec2-package-vulnerability.json',
  'inspector/inspector2-eventbridge-lambda-code-vulnerability.json',
  'inspector/scan-sbom-output_alpine-3.18.2.cdx.json',
  'inspector/scan-sbom-output_dockerfile-only.cdx.json',
  'sarif-other/codeql-action-valid-sarif.sarif',
  'snyk/iac-test-report.json',
  'snyk/test-code-consistent-ignores.json',
  'snyk/test-report-container-with-app-vulns.json',
  'snyk/test-report-with-reachability.json',
  'snyk/test-report-with-risk-scores.json',
  'variants/snyk-iac-sarif.json',
  'variants/snyk-test-all-projects.json',
  'variants/snyk-test-sarif.json',
];

/** The pull request's reports: all of them but one that main's baseline has, whose findings are then fixed. */
export const PR_FIXTURES = ALL_FIXTURES.filter((f) => f !== 'snyk/test-report-with-risk-scores.json');

/**
 * What main's last scan saw: the baseline of the pull request. It includes the Snyk Code report with its
 * justified ignore: a pull request's scanner ignore is honoured only when main's run has it too (an ignore
 * added on the branch alone is not; test/findings/triage/scanner-suppressions.test.ts covers that case).
 */
export const BASELINE_FIXTURES = [
  'snyk/iac-test-report.json',
  'inspector/scan-sbom-output_alpine-3.18.2.cdx.json',
  'snyk/test-report-with-risk-scores.json',
  'snyk/test-code-consistent-ignores.json',
];

export const CONTEXT: ScanContext = {
  repo: 'acme/shop',
  commit: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
  branch: 'feature/checkout',
  pullRequest: 42,
  serverUrl: 'https://github.com',
};

export const NOW = new Date('2026-11-28T12:00:00Z');

export function fixtureReport(rel: string): LoadedReport {
  return parseJson(readFixture(rel), rel);
}

/** The config of the demo: a gate at HIGH, a few suppressions (one expired, so a warning appears). */
export const CONFIG: RepoConfig = parseRepoConfig({
  gate: { failOn: 'high' },
  suppressions: [
    { rule: 'SNYK-CC-TF-136', reason: 'logging is central', expires: '2027-01-01', approvedBy: 'sec-team' },
    { rule: 'SNYK-CC-TF-244', reason: 'old exception', expires: '2026-01-01' },
  ],
});

/** A findings document built by the engine from real reports, optionally against a baseline of real reports. */
export function fixtureDocument(
  options: {
    files?: string[];
    baseline?: string[];
    config?: RepoConfig;
    context?: ScanContext;
    newOnly?: boolean;
  } = {},
): FindingsDocument {
  const reports = (options.files ?? ALL_FIXTURES).map(fixtureReport);
  let baseline: LoadedReport | undefined;
  if (options.baseline) {
    const base = buildDocument({
      reports: options.baseline.map(fixtureReport),
      config: parseRepoConfig({}),
      context: {},
      now: NOW,
    });
    baseline = parseJson(JSON.parse(JSON.stringify(base)), 'main.json');
  }
  return buildDocument({
    reports,
    config: options.config ?? CONFIG,
    context: options.context ?? CONTEXT,
    now: NOW,
    ...(options.newOnly !== undefined ? { gate: { newOnly: options.newOnly } } : {}),
    ...(baseline ? { baseline } : {}),
  });
}

/** A deterministic pseudo-random generator (mulberry32), so shuffles and synthetic data repeat exactly. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: T[], seed: number): T[] {
  const rnd = random(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same document with its findings (and fixed findings) in another order. */
export function reordered(doc: FindingsDocument, seed: number): FindingsDocument {
  return { ...doc, findings: shuffled(doc.findings, seed), fixed: shuffled(doc.fixed, seed + 1) };
}

const LEVELS = ['error', 'warning', 'note', 'none'] as const;
const SCORES = ['9.8', '7.5', '5.0', '2.0', '0.0'];

/**
 * A SARIF log from `tools` tools with `count` results between them, spread over severities, files and
 * rules, with scanner text as given: the engine parses it like any scanner's report.
 */
export function syntheticSarif(
  count: number,
  options: { tools?: number; seed?: number; text?: (i: number) => string; rules?: number } = {},
): unknown {
  const tools = options.tools ?? 3;
  const rnd = random(options.seed ?? 1);
  const rulesPerTool = options.rules ?? 50;
  const runs = Array.from({ length: tools }, (_, t) => ({
    tool: {
      driver: {
        name: `synthetic-scanner-${t}`,
        rules: Array.from({ length: rulesPerTool }, (_, r) => ({
          id: `RULE-${t}-${r}`,
          shortDescription: { text: `Rule ${r} of scanner ${t}` },
          helpUri: `https://scanner.example/rules/${r}`,
          properties: {
            'security-severity': SCORES[r % SCORES.length],
            tags: ['security', `CWE-${100 + r}`],
          },
        })),
      },
    },
    results: [] as unknown[],
  }));
  for (let i = 0; i < count; i++) {
    const t = i % tools;
    const r = Math.floor(rnd() * rulesPerTool);
    const line = 1 + Math.floor(rnd() * 500);
    runs[t]!.results.push({
      ruleId: `RULE-${t}-${r}`,
      ruleIndex: r,
      level: LEVELS[r % LEVELS.length],
      message: { text: options.text ? options.text(i) : `Finding ${i}: tainted data reaches a sink.` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: `src/module-${i % 97}/file-${i % 13}.ts` },
            region: { startLine: line, endLine: line + (i % 3), startColumn: 1 + (i % 7), endColumn: 20 },
          },
        },
      ],
      partialFingerprints: { 'synthetic/v1': `fp-${i}` },
    });
  }
  return { version: '2.1.0', $schema: 'https://json.schemastore.org/sarif-2.1.0.json', runs };
}

/** A document of `count` synthetic findings, through the engine. */
export function syntheticDocument(
  count: number,
  options: Parameters<typeof syntheticSarif>[1] & { context?: ScanContext } = {},
): FindingsDocument {
  return buildDocument({
    reports: [parseJson(syntheticSarif(count, options), 'synthetic.sarif')],
    config: parseRepoConfig({}),
    context: options.context ?? CONTEXT,
    now: NOW,
  });
}
