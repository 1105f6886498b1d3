import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// infra/bin/app.ts is what `npm run synth` and `cdk synth` run: these cases fail before any synthesis.
const root = join(import.meta.dirname, '..', '..');
function runApp(env: Record<string, string>) {
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'infra/bin/app.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env, CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'pw-app-')) },
      encoding: 'utf8',
    },
  );
  return { status: result.status, stderr: result.stderr.trim() };
}

describe('infra/bin/app.ts', () => {
  it('stops on a wrong config with one line naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfg-'));
    const file = join(dir, 'bad.json');
    const config = JSON.parse(readFileSync(join(root, 'pipewarden.config.example.json'), 'utf8'));
    config.vpc.publicSubnetCidrs = ['10.40.0.0/24', '10.40.0.0/25'];
    writeFileSync(file, JSON.stringify(config));
    const { status, stderr } = runApp({ PIPEWARDEN_CONFIG: file });
    expect(status).toBe(1);
    expect(stderr).toBe(
      `pipewarden: ${file}: invalid field "vpc.publicSubnetCidrs[1]": 10.40.0.0/25 overlaps 10.40.0.0/24 (vpc.publicSubnetCidrs[0])`,
    );
  });

  it('refuses to deploy without the bot bundle and says how to build it', () => {
    const { status, stderr } = runApp({ CDK_CONTEXT_JSON: JSON.stringify({ botCode: 'no/such/dir' }) });
    expect(status).toBe(1);
    expect(stderr).toBe(
      'pipewarden: bot bundle no/such/dir/index.js not found: run npm run bundle first (with the cdk CLI, -c botCode=<dir> points elsewhere)',
    );
  });

  it('refuses to deploy without the CLI bundle the security builds pin, and says how to build it', () => {
    const { status, stderr } = runApp({ CDK_CONTEXT_JSON: JSON.stringify({ cli: 'no/such/cli.js' }) });
    expect(status).toBe(1);
    expect(stderr).toBe(
      'pipewarden: CLI bundle no/such/cli.js not found: run npm run bundle first (with the cdk CLI, -c cli=<file> points elsewhere)',
    );
  });

  it('reads the cdk CLI context from the overflow file too, as aws-cdk-lib does when it is too long for the environment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pw-ctx-')), 'context.json');
    writeFileSync(file, JSON.stringify({ cli: 'no/such/cli.js' }));
    const { status, stderr } = runApp({ CONTEXT_OVERFLOW_LOCATION_ENV: file });
    expect(status).toBe(1);
    expect(stderr).toBe(
      'pipewarden: CLI bundle no/such/cli.js not found: run npm run bundle first (with the cdk CLI, -c cli=<file> points elsewhere)',
    );
  });
});
