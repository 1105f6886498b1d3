#!/usr/bin/env node
// `npm run bench`: speed and memory of the findings engine on a synthetic corpus of ≥ 100,000 findings over every
// input kind (≥ 100 MB), against a bare JSON.parse of the same files, over several runs (min / median / max).
// Targets (issue 2): report ≤ 3× JSON.parse time, each renderer ≤ 3×, peak RSS ≤ 4× the input bytes.
// Usage: node scripts/bench.mjs [--runs N] [--findings N] [--regenerate] [--keep]
// The corpus and outputs (several hundred MB) go to bench-out/ and are deleted when done, unless --keep (then
// the next run reuses the corpus).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'bench-out');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 3);
const TOTAL = arg('--findings', 100_000);
mkdirSync(dir, { recursive: true });
// What this bench writes into bench-out/ (other benches keep their own subfolders there).
const written = [];
const output = (name) => {
  written.push(join(dir, name));
  return written.at(-1);
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
const pick = (a) => a[Math.floor(rand() * a.length)];
const words =
  'input validation sanitize attacker request response buffer overflow prototype pollution injection path traversal deserialization token secret header cookie regex denial service memory'.split(
    ' ',
  );
const text = (n) => Array.from({ length: n }, () => pick(words)).join(' ');
const SEV = ['critical', 'high', 'medium', 'low'];
const share = { snyk: 0.3, sarif: 0.3, iac: 0.1, sbom: 0.15, inspector2: 0.1, codeguru: 0.05 };
const n = (k) => Math.round(TOTAL * share[k]);

function snyk() {
  const projects = [];
  for (let p = 0; p < 30; p++) {
    const vulnerabilities = [];
    for (let i = 0; i < n('snyk') / 30; i++) {
      const pkg = `pkg-${p}-${i % 700}`;
      vulnerabilities.push({
        id: `SNYK-JS-PKG-${p}${i}`,
        title: text(4),
        severity: pick(SEV),
        packageName: pkg,
        name: pkg,
        version: `1.${i % 9}.0`,
        from: ['app@1.0.0', `mid-${i % 13}@2.0.0`, `${pkg}@1.${i % 9}.0`],
        upgradePath: [false, `mid-${i % 13}@2.1.0`],
        fixedIn: [`1.${i % 9}.1`],
        identifiers: { CVE: [`CVE-2024-${10000 + i}`], CWE: [`CWE-${i % 900}`], GHSA: [] },
        cvssScore: Math.round(rand() * 100) / 10,
        CVSSv3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        description: `## Overview\n${text(260)}\n## Remediation\n${text(40)}`,
        packageManager: 'npm',
        language: 'js',
      });
    }
    projects.push({
      ok: false,
      vulnerabilities,
      dependencyCount: 900,
      packageManager: 'npm',
      displayTargetFile: `svc-${p}/package-lock.json`,
      projectName: `svc-${p}`,
    });
  }
  return projects;
}

function sarif() {
  const rules = Array.from({ length: 300 }, (_, r) => ({
    id: `js/rule-${r}`,
    shortDescription: { text: text(5) },
    help: { text: text(120) },
    defaultConfiguration: { level: pick(['error', 'warning', 'note']) },
    properties: {
      tags: ['security', `external/cwe/cwe-${r}`],
      'security-severity': String(Math.round(rand() * 100) / 10),
    },
  }));
  const results = [];
  for (let i = 0; i < n('sarif'); i++) {
    const r = i % 300;
    results.push({
      ruleId: rules[r].id,
      ruleIndex: r,
      message: { text: text(60) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: `src/mod${i % 500}/file${i % 37}.js`, uriBaseId: '%SRCROOT%' },
            region: { startLine: 1 + (i % 400), startColumn: 3, endColumn: 30, snippet: { text: text(12) } },
          },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: `${(i * 2654435761) >>> 0}:1` },
    });
  }
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{ tool: { driver: { name: 'CodeQL', rules } }, results }],
  };
}

function iac() {
  return Array.from({ length: 100 }, (_, f) => ({
    targetFile: `infra/stack-${f}.tf`,
    projectType: 'terraformconfig',
    vulnerabilities: [],
    infrastructureAsCodeIssues: Array.from({ length: n('iac') / 100 }, (_, i) => ({
      id: `SNYK-CC-TF-${i % 300}`,
      publicId: `SNYK-CC-TF-${i % 300}`,
      title: text(5),
      severity: pick(SEV),
      msg: `resource.aws_s3_bucket[b${i}].acl`,
      path: ['resource', `aws_s3_bucket[b${i}]`, 'acl'],
      lineNumber: i % 7 === 0 ? -1 : 1 + i,
      isIgnored: false,
      iacDescription: { issue: text(25), impact: text(25), resolve: text(15) },
      documentation: `https://security.snyk.io/rules/cloud/SNYK-CC-TF-${i % 300}`,
    })),
  }));
}

function sbom() {
  const components = Array.from({ length: 2000 }, (_, c) => ({
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
    description: text(90),
    advisories: [{ url: 'https://example.com/advisory' }],
    affects: [{ ref: `comp-${i % 2000}` }],
    properties: [{ name: `amazon:inspector:sbom_scanner:fixed_version:comp-${i % 2000}`, value: '9.9.9' }],
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

function inspector2() {
  return {
    findings: Array.from({ length: n('inspector2') }, (_, i) => ({
      findingArn: `arn:aws:inspector2:eu-west-1:123456789012:finding/${i}`,
      awsAccountId: '123456789012',
      type: i % 2 ? 'CODE_VULNERABILITY' : 'PACKAGE_VULNERABILITY',
      severity: pick(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']),
      status: 'ACTIVE',
      title: text(6),
      description: text(70),
      remediation: { recommendation: { text: text(20) } },
      resources: [
        { type: 'CODE_REPOSITORY', id: 'repo', details: { codeRepository: { projectName: 'shop' } } },
      ],
      codeVulnerabilityDetails: {
        filePath: { filePath: `src/c${i % 300}.py`, startLine: 1 + (i % 50), endLine: 2 + (i % 50) },
        detectorId: `python/d${i % 80}@v1.0`,
        ruleId: `python-rule-${i % 80}`,
        cwes: [`CWE-${i % 800}`],
      },
      packageVulnerabilityDetails: {
        vulnerabilityId: `CVE-2022-${30000 + i}`,
        source: 'NVD',
        vulnerablePackages: [
          {
            name: `py${i % 400}`,
            version: '1.0',
            fixedInVersion: '1.1',
            packageManager: 'PIP',
            filePath: 'requirements.txt',
          },
        ],
      },
    })),
  };
}

function codeguru() {
  return {
    findings: Array.from({ length: n('codeguru') }, (_, i) => ({
      title: text(5),
      description: text(60),
      severity: pick(['Critical', 'High', 'Medium', 'Low', 'Info']),
      ruleId: `java-rule-${i % 90}`,
      detectorId: `java/d${i % 90}@v1.0`,
      status: 'Open',
      createdAt: 1700000000 + i,
      remediation: { recommendation: { text: text(20), url: 'https://docs.aws.amazon.com/codeguru/' } },
      vulnerability: {
        filePath: {
          path: `src/main/java/C${i % 300}.java`,
          startLine: 1 + (i % 90),
          endLine: 3 + (i % 90),
          codeSnippet: [{ number: 1, content: text(8) }],
        },
        relatedVulnerabilities: [`CWE-${i % 700}`],
      },
    })),
    nextToken: null,
  };
}

const makers = {
  'snyk-test.json': snyk,
  'codeql.sarif': sarif,
  'snyk-iac.json': iac,
  'scan-sbom.cdx.json': sbom,
  'inspector2.json': inspector2,
  'codeguru.json': codeguru,
};
const files = Object.keys(makers).map(output);
if (!files.every((f) => existsSync(f)) || process.argv.includes('--regenerate')) {
  for (const [name, make] of Object.entries(makers)) writeFileSync(join(dir, name), JSON.stringify(make()));
}
const bytes = files.reduce((s, f) => s + statSync(f).size, 0);

// ------------------------------------------------------------------ measurements (each in a fresh process)
const probe = output('probe.mjs');
writeFileSync(
  probe,
  `import { readFileSync, writeSync } from 'node:fs';
const [mode, ...rest] = process.argv.slice(2);
const t0 = performance.now();
process.on('exit', () => writeSync(3, JSON.stringify({ ms: performance.now() - t0, rssMB: process.resourceUsage().maxRSS / 1024 })));
if (mode === 'parse') { const kept = []; for (const f of rest) kept.push(JSON.parse(readFileSync(f, 'utf8'))); }
else { process.argv = [process.argv[0], 'pipewarden', mode, ...rest]; await import(${JSON.stringify(join(root, 'dist', 'cli', 'index.js'))}); }
`,
);
function measure(args) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', probe, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`bench: ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.output[3]);
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const fmt = (s, unit) => `${s.min.toFixed(0)} / ${s.median.toFixed(0)} / ${s.max.toFixed(0)} ${unit}`;

const formats = [
  'json',
  ...['markdown', 'annotations', 'sarif', 'junit', 'asff'].filter((f) =>
    spawnSync(process.execPath, [join(root, 'dist', 'cli', 'index.js'), 'report', '--help'], {
      encoding: 'utf8',
    }).stdout.includes(`"${f}"`),
  ),
];
const cases = [
  ['JSON.parse (baseline)', ['parse', ...files]],
  ...formats.map((f) => [
    `report --format ${f}`,
    [
      'report',
      '--format',
      f,
      '--out',
      output(`out.${f}`),
      '--account',
      '123456789012',
      '--region',
      'eu-west-1',
      '--source-root',
      '/src',
      ...files,
    ],
  ]),
  ['gate', ['gate', ...files]],
];

console.log(
  `corpus: ${TOTAL.toLocaleString()} findings in ${files.length} files (${Object.keys(makers).join(', ')}), ${(bytes / 1e6).toFixed(1)} MB; ${RUNS} runs each, fresh process per run; node ${process.version}`,
);
console.log('(baseline: read + JSON.parse of every file, all kept in memory, in one process)\n');
const rows = [];
let parseMedian = 0;
for (const [label, args] of cases) {
  const runs = Array.from({ length: RUNS }, () => measure(args));
  const t = stats(runs.map((r) => r.ms));
  const m = stats(runs.map((r) => r.rssMB));
  if (label.startsWith('JSON.parse')) parseMedian = t.median;
  const ratio = t.median / parseMedian;
  const rssRatio = (m.max * 1024 * 1024) / bytes;
  rows.push({ label, t, m, ratio, rssRatio });
  console.log(
    `${label.padEnd(28)} time min/median/max ${fmt(t, 'ms').padEnd(26)} ×${ratio.toFixed(2)} parse   peak RSS ${fmt(m, 'MB').padEnd(22)} ${rssRatio.toFixed(2)}× input`,
  );
}
const over = rows.filter((r) => !r.label.startsWith('JSON.parse') && (r.ratio > 3 || r.rssRatio > 4));
console.log(
  over.length
    ? `\nover target: ${over.map((r) => r.label).join(', ')}`
    : '\nall within targets (time ≤ 3× JSON.parse, peak RSS ≤ 4× input)',
);
