// Runs the committed CLI bundle the way CodeBuild does: plain `node`, copied away from node_modules.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const away = mkdtempSync(join(tmpdir(), 'pipewarden-cli-'));
cpSync(join(root, 'dist', 'cli'), away, { recursive: true });
const cli = join(away, 'index.js');
const fixture = (p: string) => join(root, 'test', 'fixtures', p);

execFileSync(process.execPath, [cli, '--help'], { stdio: 'pipe' });
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
console.log('smoke: cli bundle OK (help, report, gate, bad input)');
