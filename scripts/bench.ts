// `npm run bench`: CPU time, wall time and peak RSS of the findings engine on a corpus dense in findings (160,000
// in ~100 MB over 4 reports: CodeQL SARIF, Snyk Code SARIF, `snyk test --all-projects` JSON, scan-sbom CycloneDX),
// each run paired with a bare JSON.parse of the same files in a fresh process, A/B alternating, min/median/max.
// Targets (issue 13), median of the rounds: gate ≤ 2.5× and report --format json ≤ 3.5× JSON.parse's CPU time;
// the gate's peak RSS ≤ 1.3× JSON.parse's.
// Usage: npm run bench -- [--runs N] [--findings N] [--formats json,sarif,asff] [--only gate] [--regenerate] [--keep]
// (--only: the cases whose label starts with one of these, comma-separated, e.g. `--only gate` for a short A/B.)
// The corpus and outputs (a few hundred MB) go to bench-out/ and are deleted when done, unless --keep (then
// the next run reuses the corpus; --regenerate after changing --findings).
// Run with tsx: the figures are the child processes' own CPU time (process.resourceUsage() in each probe), so
// the TypeScript loader of this harness costs nothing that is measured.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cliSourceBundle } from './lib/cli-source-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'bench-out');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 3);
const TOTAL = arg('--findings', 160_000);
// Other renderers measured too, against no target: --formats json,sarif,asff
const FORMATS = (() => {
  const i = process.argv.indexOf('--formats');
  return i > 0 ? process.argv[i + 1].split(',') : ['json'];
})();
mkdirSync(dir, { recursive: true });
// What this bench writes into bench-out/ (other benches keep their own subfolders there).
const written: string[] = [];
const output = (name: string): string => {
  const path = join(dir, name);
  written.push(path);
  return path;
};
process.on('exit', () => {
  if (process.argv.includes('--keep')) return;
  for (const f of written) rmSync(f, { force: true });
  try {
    rmdirSync(dir); // only if nothing else is left in it
  } catch {
    // another bench's files are still there
  }
});

// ------------------------------------------------------------------ corpus
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
const words =
  'input validation sanitize attacker request response buffer overflow prototype pollution injection path traversal deserialization token secret header cookie regex denial service memory'.split(
    ' ',
  );
const text = (n: number): string => Array.from({ length: n }, () => pick(words)).join(' ');
const SEV = ['critical', 'high', 'medium', 'low'];
// Four reports, dense in findings as real CodeQL and Snyk output is (shapes from test/fixtures/): per report,
// its share of the findings. ~650 bytes a finding, so the engine's per-finding cost is not hidden behind parsing.
const share: Record<'codeql' | 'snykCode' | 'snyk' | 'sbom', number> = {
  codeql: 0.45,
  snykCode: 0.2,
  snyk: 0.22,
  sbom: 0.13,
};
const n = (k: keyof typeof share): number => Math.round(TOTAL * share[k]);
const hex = (i: number, len: number): string =>
  ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(8).slice(0, len);

/** CodeQL (test/fixtures/sarif-other/codeql-action-valid-sarif.sarif): short results, no codeFlows. */
function codeql() {
  const rules = Array.from({ length: 400 }, (_, r) => ({
    id: `js/rule-${r}`,
    name: `Rule${r}`,
    shortDescription: { text: text(5) },
    fullDescription: { text: text(20) },
    defaultConfiguration: { level: pick(['error', 'warning', 'note']) },
    help: { text: text(80) },
    properties: {
      tags: ['security', `external/cwe/cwe-${r}`],
      precision: 'high',
      'security-severity': String(Math.round(rand() * 100) / 10),
    },
  }));
  const results = Array.from({ length: n('codeql') }, (_, i) => {
    const r = i % 400;
    return {
      ruleId: rules[r].id,
      ruleIndex: r,
      message: { text: text(8) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: {
              uri: `src/mod${i % 500}/file${i % 37}.js`,
              uriBaseId: '%SRCROOT%',
              index: i % 900,
            },
            region: { startLine: 1 + (i % 400), startColumn: 3, endColumn: 30 },
          },
        },
      ],
      partialFingerprints: {
        primaryLocationLineHash: `${hex(i, 16)}:1`,
        primaryLocationStartColumnFingerprint: String(i % 9),
      },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'CodeQL', semanticVersion: '2.20.0', rules } }, results }],
  };
}

/** Snyk Code SARIF (test/fixtures/snyk/test-code-consistent-ignores.json): fingerprints, arguments, short flows. */
function snykCode() {
  const rules = Array.from({ length: 120 }, (_, r) => ({
    id: `javascript/R${r}`,
    name: `R${r}`,
    shortDescription: { text: text(3) },
    defaultConfiguration: { level: pick(['error', 'warning', 'note']) },
    help: { markdown: text(150), text: '' },
    properties: { tags: ['javascript', 'security'], cwe: [`CWE-${r}`], precision: 'very-high' },
  }));
  const loc = (i: number, line: number) => ({
    physicalLocation: {
      artifactLocation: { uri: `app/routes/r${i % 300}.ts`, uriBaseId: '%SRCROOT%' },
      region: { startLine: line, endLine: line, startColumn: 5, endColumn: 40 },
    },
  });
  const results = Array.from({ length: n('snykCode') }, (_, i) => ({
    ruleId: rules[i % 120].id,
    ruleIndex: i % 120,
    level: pick(['error', 'warning', 'note']),
    message: {
      text: text(8),
      markdown: `Unsanitized input from {0} {1} into {2}, ${text(6)}`,
      arguments: ['[an HTTP parameter](0)', '[flows](1),(2)', '[res.send](3)'],
    },
    locations: [{ id: 0, ...loc(i, 10 + (i % 200)) }],
    fingerprints: { 0: hex(i, 64), 1: hex(i + 7, 71), identity: `${hex(i, 8)}-1515-479e-b119-${hex(i, 12)}` },
    codeFlows: [
      { threadFlows: [{ locations: [0, 1].map((k) => ({ location: { id: k, ...loc(i, 8 + k) } })) }] },
    ],
    properties: { priorityScore: 300 + (i % 500), isAutofixable: false },
  }));
  return {
    $schema: 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      { tool: { driver: { name: 'SnykCode', semanticVersion: '1.0.0', version: '1.0.0', rules } }, results },
    ],
  };
}

/** `snyk test --all-projects --json` (test/fixtures/variants/snyk-test-all-projects.json): one entry per project. */
function snyk() {
  const projects = [];
  for (let p = 0; p < 40; p++) {
    const vulnerabilities = Array.from({ length: n('snyk') / 40 }, (_, i) => {
      const pkg = `pkg-${p}-${i % 900}`;
      return {
        id: `SNYK-JS-PKG${p}-${i}`,
        title: text(3),
        severity: pick(SEV),
        packageName: pkg,
        name: pkg,
        version: `1.${i % 9}.0`,
        from: ['app@1.0.0', `mid-${i % 13}@2.0.0`, `${pkg}@1.${i % 9}.0`],
        upgradePath: [false, `mid-${i % 13}@2.1.0`],
        isUpgradable: true,
        isPatchable: false,
        fixedIn: [`1.${i % 9}.1`],
        identifiers: { CVE: [`CVE-2024-${10000 + i}`], CWE: [`CWE-${i % 900}`], GHSA: [] },
        cvssScore: Math.round(rand() * 100) / 10,
        CVSSv3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        description: `## Overview\n${text(15)}`,
        packageManager: 'npm',
        language: 'js',
        semver: { vulnerable: [`<1.${i % 9}.1`] },
      };
    });
    projects.push({
      ok: false,
      vulnerabilities,
      dependencyCount: 900,
      packageManager: 'npm',
      displayTargetFile: `svc-${p}/package-lock.json`,
      targetFile: `svc-${p}/package-lock.json`,
      projectName: `svc-${p}`,
      path: '/src',
    });
  }
  return projects;
}

/** `inspector-scan scan-sbom` (test/fixtures/inspector/scan-sbom-output_alpine-3.18.2.cdx.json). */
function sbom() {
  const components = Array.from({ length: 3000 }, (_, c) => ({
    'bom-ref': `comp-${c}`,
    type: 'library',
    name: `lib${c}`,
    version: `2.${c % 5}.0`,
    purl: `pkg:npm/lib${c}@2.${c % 5}.0`,
  }));
  const vulnerabilities = Array.from({ length: n('sbom') }, (_, i) => ({
    'bom-ref': `vuln-${i}`,
    id: `CVE-2023-${20000 + i}`,
    source: { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/CVE-2023-${20000 + i}` },
    ratings: [
      { source: { name: 'NVD' }, severity: pick(SEV), score: 7.5, method: 'CVSSv31' },
      { source: { name: 'EPSS' }, severity: 'none', score: 0.001, method: 'other' },
    ],
    cwes: [i % 900],
    description: text(18),
    advisories: [{ url: `https://www.cve.org/CVERecord?id=CVE-2023-${20000 + i}` }],
    created: '2024-04-25T07:15:45Z',
    affects: [{ ref: `comp-${i % 3000}` }],
    properties: [{ name: `amazon:inspector:sbom_scanner:fixed_version:comp-${i % 3000}`, value: '9.9.9' }],
  }));
  return {
    sbom: {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: { tools: { services: [{ name: 'Amazon Inspector Scan SBOM API' }] } },
      components,
      vulnerabilities,
    },
  };
}

const makers: Record<string, () => unknown> = {
  'codeql.sarif': codeql,
  'snyk-code.sarif': snykCode,
  'snyk-test-all-projects.json': snyk,
  'scan-sbom.cdx.json': sbom,
};
const files = Object.keys(makers).map(output);
if (!files.every((f) => existsSync(f)) || process.argv.includes('--regenerate')) {
  for (const [name, make] of Object.entries(makers)) writeFileSync(join(dir, name), JSON.stringify(make()));
}
const bytes = files.reduce((s, f) => s + statSync(f).size, 0);

// ------------------------------------------------------------------ measurements (each in a fresh process)
// The engine is bundled from the working tree's sources (not dist/, which is only rebuilt for releases), so
// the figures are those of the code being changed; bundled whole, dependencies too, as dist/cli is (start-up
// from node_modules costs twice the CPU of a bundle).
const cli = output('pipewarden-cli.mjs');
await build(cliSourceBundle(root, cli));
const probe = output('probe.mjs');
writeFileSync(
  probe,
  `import { readFileSync, writeSync } from 'node:fs';
const [mode, ...rest] = process.argv.slice(2);
const t0 = performance.now();
process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(3, JSON.stringify({ ms: performance.now() - t0, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMB: u.maxRSS / 1024 }));
});
if (mode === 'parse') { const kept = []; for (const f of rest) kept.push(JSON.parse(readFileSync(f).toString('utf8'))); }
else { process.argv = [process.argv[0], 'pipewarden', mode, ...rest]; await import(${JSON.stringify(cli)}); }
`,
);
interface Sample {
  ms: number;
  cpuMs: number;
  rssMB: number;
}
function measure(args: string[]): Sample {
  const r = spawnSync(process.execPath, [probe, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`bench: ${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(String(r.output[3])) as Sample;
}
interface Stats {
  min: number;
  median: number;
  max: number;
}
const stats = (xs: number[]): Stats => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const fmt = (s: Stats, unit: string, digits = 0): string =>
  `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}${unit}`;

const report = (format: string): string[] => [
  'report',
  '--format',
  format,
  '--out',
  output(`out.${format}`),
  '--account',
  '123456789012',
  '--region',
  'eu-west-1',
  '--source-root',
  '/src',
  ...files,
];
// Issue 13's targets, against the bare JSON.parse of the same files in the same round: CPU time (user + sys,
// stable on a shared machine, and counting the garbage collector's helper threads) and the gate's peak RSS.
interface Case {
  label: string;
  args: string[];
  cpu?: number;
  rss?: number;
  runs: (Sample & { floor: Sample })[];
}
const cases: Case[] = [
  { label: 'gate', args: ['gate', '--source-root', '/src', ...files], cpu: 2.5, rss: 1.3, runs: [] },
  { label: 'report --format json', args: report('json'), cpu: 3.5, runs: [] },
  ...FORMATS.filter((f) => f !== 'json').map((f) => ({
    label: `report --format ${f}`,
    args: report(f),
    runs: [],
  })),
];
{
  const i = process.argv.indexOf('--only');
  const only = i > 0 ? process.argv[i + 1].split(',') : undefined;
  if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.some((o) => c.label.startsWith(o))));
}
const base: { label: string; args: string[]; runs: Sample[] } = {
  label: 'JSON.parse (floor)',
  args: ['parse', ...files],
  runs: [],
};

console.log(
  `corpus: ${TOTAL.toLocaleString()} findings in ${files.length} files (${Object.keys(makers).join(', ')}), ${(bytes / 1e6).toFixed(1)} MB; ${RUNS} rounds, fresh process per run, each case paired with a JSON.parse run of the same round (alternating); node ${process.version}`,
);
console.log('(floor: read + JSON.parse of every file, all kept in memory, in one process)\n');
for (let round = 0; round < RUNS; round++)
  for (const c of cases) {
    // A/B alternating: the floor is measured right before each case, under the same machine load.
    const floor = measure(base.args);
    base.runs.push(floor);
    c.runs.push({ ...measure(c.args), floor });
  }

const line = (label: string, runs: Sample[], ratios: string): string =>
  `${label.padEnd(26)} CPU ${fmt(stats(runs.map((r) => r.cpuMs)), ' ms').padEnd(25)} wall ${fmt(stats(runs.map((r) => r.ms)), ' ms').padEnd(25)} peak RSS ${fmt(stats(runs.map((r) => r.rssMB)), ' MB').padEnd(20)}${ratios}`;
console.log(line(base.label, base.runs, ''));
const over: string[] = [];
for (const c of cases) {
  const cpu = stats(c.runs.map((r) => r.cpuMs / r.floor.cpuMs));
  const rss = stats(c.runs.map((r) => r.rssMB / r.floor.rssMB));
  const verdict = (s: Stats, limit?: number) =>
    limit ? (s.median <= limit ? ` ≤ ${limit} ok` : ` > ${limit} OVER`) : '';
  if (c.cpu && cpu.median > c.cpu) over.push(`${c.label} CPU`);
  if (c.rss && rss.median > c.rss) over.push(`${c.label} peak RSS`);
  console.log(line(c.label, c.runs, ''));
  console.log(
    `${''.padEnd(26)} ×JSON.parse  CPU ${fmt(cpu, '×', 2)}${verdict(cpu, c.cpu)}   peak RSS ${fmt(rss, '×', 2)}${verdict(rss, c.rss)}`,
  );
}
console.log(
  over.length
    ? `\nover target (median of ${RUNS}): ${over.join(', ')}`
    : `\nall within targets (median of ${RUNS}: gate ≤ 2.5× and report --format json ≤ 3.5× JSON.parse's CPU time, gate peak RSS ≤ 1.3× JSON.parse's)`,
);
