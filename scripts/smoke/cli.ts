// Runs the committed CLI bundle the way CodeBuild does: plain `node`, index.js ALONE copied away from
// node_modules (the pipelines fetch and sha256-check that one file: a split chunk would be missing there).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const away = mkdtempSync(join(tmpdir(), 'pipewarden-cli-'));
// The name CodeBuild gives it (CLI_INSTALL_PATH in infra/lib/constructs/platform.ts): no package.json beside it.
const cli = join(away, 'pipewarden.mjs');
copyFileSync(join(root, 'dist', 'cli', 'index.js'), cli);
const fixture = (p: string) => join(root, 'test', 'fixtures', p);

execFileSync(process.execPath, [cli, '--help'], { stdio: 'pipe' });
// The commands loaded on demand (publish, fetch, doctor) must be inside the one file too.
for (const command of ['publish', 'fetch', 'doctor'])
  execFileSync(process.execPath, [cli, command, '--help'], { stdio: 'pipe' });
const out = join(away, 'findings.json');
execFileSync(
  process.execPath,
  [
    cli,
    'report',
    '--out',
    out,
    fixture('snyk/test-report-with-reachability.json'),
    fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
  ],
  {
    stdio: 'inherit',
  },
);
const doc = JSON.parse(readFileSync(out, 'utf8')) as { findings: unknown[] };
if (doc.findings.length !== 15) throw new Error(`smoke: expected 15 findings, got ${doc.findings.length}`);
const gate = spawnSync(process.execPath, [cli, 'gate', fixture('snyk/test-report-with-reachability.json')], {
  encoding: 'utf8',
});
if (gate.status !== 1 || !/gate FAILED/.test(gate.stdout))
  throw new Error(`smoke: gate should fail with 1, got ${gate.status}: ${gate.stdout}${gate.stderr}`);
const bad = spawnSync(process.execPath, [cli, 'report', join(away, 'missing.json')], { encoding: 'utf8' });
if (bad.status !== 2 || bad.stderr.split('\n').filter(Boolean).length !== 1)
  throw new Error(`smoke: bad input should be one line and exit 2: ${bad.stderr}`);
console.log('smoke: cli bundle OK (one file: help, publish/fetch/doctor help, report, gate, bad input)');
