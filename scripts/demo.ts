// `npm run demo`: the whole system offline. The findings engine (the same bundle CodeBuild runs) reads the
// bundled real scanner reports of a pull request, compares them with main's baseline, writes every output
// into out/, and prints the gate's verdict; then the bot and the action run against local GitHub and
// CodePipeline services (out/bot/, out/action/), and the CDK app is synthesized (out/cdk.out/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FindingsDocument } from '../findings/model/finding.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'out');
const cli = join(root, 'dist', 'cli', 'index.js');
const f = (p: string) => relative(root, join(root, 'test', 'fixtures', p));
const context = [
  '--repo',
  'acme/shop',
  '--commit',
  '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
  '--branch',
  'feature/checkout',
  '--pull-request',
  '42',
];

function run(args: string[], { allowExit = [0] } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  if (!allowExit.includes(r.status ?? -1)) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`demo: pipewarden ${args[0]} exited ${r.status}`);
  }
  return r;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
console.log('pipewarden demo — offline, from real scanner outputs in test/fixtures/\n');

// 1. main's last scan: the baseline that pull requests into main are compared with.
const mainReports = [
  f('snyk/iac-test-report.json'),
  f('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
  f('snyk/test-report-with-risk-scores.json'),
];
run([
  'report',
  '--format',
  'json',
  '--out',
  join(out, 'baseline.json'),
  '--repo',
  'acme/shop',
  '--branch',
  'main',
  ...mainReports,
]);
console.log(`1. main's baseline: ${mainReports.length} reports → out/baseline.json`);

// 2. The pull request's scans: Snyk open source, code and IaC, Inspector SBOM + Dockerfile checks, CodeQL, CodeGuru (saved).
const prReports = [
  f('snyk/test-report-with-reachability.json'),
  f('snyk/test-code-consistent-ignores.json'),
  f('snyk/iac-test-report.json'),
  f('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
  f('inspector/scan-sbom-output_dockerfile-only.cdx.json'),
  f('inspector/inspector2-eventbridge-lambda-code-vulnerability.json'),
  f('sarif-other/codeql-action-valid-sarif.sarif'),
];
const common = ['--baseline', join(out, 'baseline.json'), '--config', 'examples/pipewarden.yml', ...context];
const help = run(['report', '--help']).stdout;
const choices = /--format <format>.*?\(choices: ([^)]*?)(?:, default: [^)]*)?\)/s.exec(help)?.[1] ?? '"json"';
const formats = [...new Set([...choices.matchAll(/"([a-z]+)"/g)].map((m) => m[1]))];
const ext: Record<string, string> = {
  json: 'findings.json',
  markdown: 'comment.md',
  annotations: 'annotations.json',
  sarif: 'findings.sarif',
  junit: 'junit.xml',
  asff: 'asff.json',
};
console.log(`2. the pull request: ${prReports.length} reports, config examples/pipewarden.yml`);
for (const format of formats) {
  const file = join(out, ext[format] ?? `findings.${format}`);
  run([
    'report',
    '--format',
    format,
    '--out',
    file,
    '--account',
    '123456789012',
    '--region',
    'eu-west-1',
    ...common,
    ...prReports,
  ]);
  console.log(`   ${format.padEnd(12)} → ${relative(root, file)}`);
}
const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')) as FindingsDocument;
console.log(
  `   ${doc.findings.length} findings (${doc.findings.filter((x) => x.status === 'new').length} new), ${doc.fixed.length} fixed since main, ${doc.findings.filter((x) => x.suppression).length} suppressed`,
);

// 3. The gate, as the pipeline's gate action runs it.
console.log('\n3. the gate (exit 0 pass, 1 fail, 2 bad input):\n');
const gate = run(['gate', ...common, ...prReports], { allowExit: [0, 1] });
process.stdout.write(gate.stdout.replace(/^/gm, '   '));

// 4. The bot and the action, each against local services that speak the real protocols (GitHub's REST API
// checked against its OpenAPI description; CodePipeline's JSON 1.1), then the infrastructure synthesized.
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const parts: [title: string, runner: string | null, script: string, ...args: string[]][] = [
  [
    '4. the GitHub App: a real pull_request.opened delivery, then the pipeline events of its run',
    tsx,
    'scripts/lib/demo-bot.ts',
    'out/bot',
  ],
  [
    '5. the GitHub Action: starts and follows a pipeline on a local CodePipeline',
    tsx,
    'scripts/lib/demo-action.ts',
    'out/action',
  ],
  ['', tsx, 'scripts/demo-infra.ts'],
];
for (const [title, runner, script, ...args] of parts) {
  console.log(title ? `\n${title}\n` : '');
  const argv = runner ? [runner, script, ...args] : [script, ...args];
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`demo: ${script} exited ${r.status}`);
}
console.log(
  `\nDone. Open out/ to see every output; the gate said ${gate.status === 0 ? 'PASS' : 'FAIL'} (exit ${gate.status}).`,
);
