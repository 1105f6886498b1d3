import { spawn, execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  createReadStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { bundledCli } from '../../support/bundled-cli.js';
import { runCli } from './run-cli.js';
import { fixture } from '../helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pw-unix-io-'));
const env = { PIPEWARDEN_DEBUG: undefined, GITHUB_REPOSITORY: undefined, CODEBUILD_SRC_DIR: undefined };
const snyk = fixture('snyk/test-report-with-reachability.json');

/**
 * The CLI bundled from this checkout's findings/cli/index.ts (bundled once for every test file): a process
 * starts in a third of the time tsx takes to compile the sources.
 */
let cliBundle: string;
beforeAll(async () => {
  cliBundle = await bundledCli();
}, 120_000);

/** The CLI as a real process (stdin, pipes, signals are what these tests are about). */
function spawnCli(args: string[], stdin?: string, cwd = root) {
  const child = spawn(process.execPath, [cliBundle, ...args], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', PIPEWARDEN_DEBUG: '', NODE_NO_WARNINGS: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** One line, naming the file, no stack, no raw control byte. */
function expectOneLine(stderr: string) {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f]/); // eslint-disable-line no-control-regex
  expect(stderr).not.toMatch(/Maximum call stack|\n +at /);
}

describe('--out as Unix tools do it', () => {
  it('`--out -` is stdout, never a file named -', async () => {
    const r = await runCli(['report', '--format', 'json', '--out', '-', snyk], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toHaveLength(3);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
  });

  it('`gate --out -` puts the document on stdout and the summary on stderr', async () => {
    const r = await runCli(['gate', '--out', '-', snyk], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).gate.passed).toBe(false);
    expect(r.stderr).toMatch(/gate FAILED/);
  });

  it('writes through a symbolic link: the link stays, its target gets the output', async () => {
    const target = join(dir, 'target.json');
    writeFileSync(target, 'old');
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    const r = await runCli(['report', '--out', link, snyk], env);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(JSON.parse(readFileSync(target, 'utf8')).findings).toHaveLength(3);
  });

  it('writes into a FIFO instead of replacing it with a regular file', async () => {
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const read = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(fifo)
        .on('data', (c) => (text += c.toString()))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    const r = await runCli(['report', '--out', fifo, snyk], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(await read).findings).toHaveLength(3);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('writes into a character device (/dev/null) and leaves it one', async () => {
    const r = await runCli(['report', '--out', '/dev/null', snyk], env);
    expect(r.code).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a path through a file is one line with the cause and the fix, never a .tmp name', async () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const r = await runCli(['report', '--out', join(file, 'x.json'), snyk], env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /--out .*plain\/x\.json: cannot write the output \(ENOTDIR: .*\); give a writable file path, or - for stdout/,
    );
    expect(r.stderr).not.toContain('.tmp');
  });
});

describe('stdin and stdout in a pipeline', () => {
  it('`-` reads the report from stdin', async () => {
    const r = await spawnCli(['report', '--format', 'json', '-'], readFileSync(snyk, 'utf8'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs).toEqual([{ file: '-', format: 'snyk-test', findings: 3 }]);
  });

  it('a cdk-nag report on stdin is placed only in the assembly --cdk-out names, never in the working directory', async () => {
    const assembly = dirname(fixture('cdk-nag/v2/manifest.json'));
    // The fixture's stack traces carry the root it was synthesized in (test/fixtures/cdk-nag/SOURCES.txt), not
    // this checkout's: that is its source root, wherever the tests run.
    const traceRoot = '/work/main';
    const report = readFileSync(join(assembly, 'AwsSolutions-NagFixture-NagReport.json'), 'utf8');
    const locations = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { findings: { location?: { path: string } }[] }).findings.map(
        (f) => f.location?.path,
      );
    // Run inside the assembly's folder: stdin has no folder of its own, so that one is not guessed.
    const piped = await spawnCli(
      ['report', '--format', 'json', '--source-root', traceRoot, '-'],
      report,
      assembly,
    );
    expect(piped.code).toBe(0);
    expect(locations(piped)).toEqual([undefined, undefined, undefined, undefined]);
    const named = await spawnCli(
      ['report', '--format', 'json', '--source-root', traceRoot, '--cdk-out', assembly, '-'],
      report,
      assembly,
    );
    expect(named.code).toBe(0);
    expect(locations(named)).toEqual([
      'test/fixtures/cdk-nag/app/orders-queue.ts',
      'test/fixtures/cdk-nag/app/orders-queue.ts',
      'test/fixtures/cdk-nag/app/main.ts',
      'test/fixtures/cdk-nag/app/main.ts',
    ]);
  });

  it('a reader that leaves (`report … | head`) ends the output quietly with exit 0', async () => {
    const reports = ['snyk/iac-test-report.json', 'inspector/scan-sbom-output_alpine-3.18.2.cdx.json'].map(
      fixture,
    );
    // A real shell pipe whose reader (`true`) is gone before pipewarden (slower to start) writes a byte.
    const cli = [process.execPath, cliBundle, 'report', '--format', 'sarif', ...reports];
    const quoted = cli.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('bash', ['-c', `set -o pipefail; ${quoted} | true`], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', PIPEWARDEN_DEBUG: '', NODE_NO_WARNINGS: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('hostile inputs: one line naming the file', () => {
  it('JSON nested deeper than the engine reads (invalid, and a valid CycloneDX with nested metadata.tools)', async () => {
    const invalid = join(dir, 'deep-invalid.json');
    writeFileSync(invalid, '['.repeat(100_000));
    const depth = 20_000;
    const cdx = join(dir, 'deep.cdx.json');
    writeFileSync(
      cdx,
      `{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":${'{"components":['.repeat(depth)}{}${']}'.repeat(depth)}},"components":[],"vulnerabilities":[]}`,
    );
    for (const file of [invalid, cdx]) {
      const r = await runCli(['report', file], env);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(`${file}: nested too deeply`);
    }
  });

  it('a file name with a newline and control bytes is shown escaped, on one line', async () => {
    const file = join(dir, 'bad\nname\u001b[31m.json');
    writeFileSync(file, '{"runs": [');
    const r = await runCli(['report', file], env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain('bad\\nname\\u001b[31m.json: not valid JSON');
  });

  it('a symbolic link loop says ELOOP, not "no such file"', async () => {
    const a = join(dir, 'loop-a.json');
    const b = join(dir, 'loop-b.json');
    symlinkSync(b, a);
    symlinkSync(a, b);
    for (const command of ['report', 'gate']) {
      const r = await runCli([command, a], env);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(`${a}: cannot read the report (ELOOP: a symbolic link loop)`);
    }
  });

  it('a binary file’s message holds no raw control byte', async () => {
    const file = join(dir, 'binary.json');
    writeFileSync(file, Buffer.from([0x00, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xff, 0xfe]));
    const r = await runCli(['report', file], env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(`${file}: not valid JSON`);
  });

  it('the unknown-format message is short and lists the formats briefly', async () => {
    const file = join(dir, 'u.json');
    writeFileSync(file, '{"hello": "world"}');
    const r = await runCli(['report', file], env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.replace(file, '').length).toBeLessThanOrEqual(200);
    expect(r.stderr).toMatch(/SARIF.*snyk.*scan-sbom.*CodeGuru/);
  });

  it('exit 3 names the fix: a missing region says to set AWS_REGION', async () => {
    const r = await runCli(
      [
        'fetch',
        'baseline',
        '--bucket',
        'b',
        '--branch',
        'main',
        '--repo',
        'o/r',
        '--out',
        join(dir, 'b.json'),
      ],
      {
        ...env,
        AWS_REGION: undefined,
        AWS_DEFAULT_REGION: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    );
    expect(r.code).toBe(3);
    // The SDK's own Node-version notice aside (process.emitWarning), pipewarden says one line.
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('pipewarden'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/the AWS region is missing; set AWS_REGION/);
  });
});
