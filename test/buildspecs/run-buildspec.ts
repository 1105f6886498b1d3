import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

import { REPO } from '../support/repo.js';

export { REPO };

export type PhaseName = 'install' | 'pre_build' | 'build' | 'post_build';
export const PHASES: PhaseName[] = ['install', 'pre_build', 'build', 'post_build'];

export interface Phase {
  'run-as'?: string;
  'on-failure'?: string;
  'runtime-versions'?: Record<string, string | number>;
  commands?: string[];
  finally?: string[];
}

export interface Buildspec {
  version: string | number;
  env?: { shell?: string; variables?: Record<string, string>; 'secrets-manager'?: Record<string, string> };
  phases?: Partial<Record<PhaseName, Phase>>;
  reports?: Record<string, { files: string[]; 'base-directory'?: string; 'file-format'?: string }>;
  artifacts?: { files: string[]; 'base-directory'?: string };
  cache?: { paths?: string[] };
}

export function loadBuildspec(name: string): Buildspec {
  return parse(readFileSync(join(REPO, 'buildspecs', name), 'utf8')) as Buildspec;
}

export interface BuildResult {
  status: 'SUCCEEDED' | 'FAILED';
  phases: Partial<Record<PhaseName, 'SUCCEEDED' | 'FAILED' | 'SKIPPED'>>;
  /** stdout and stderr of every phase, in order. */
  log: string;
}

/**
 * Runs a buildspec's commands the way CodeBuild does, as far as a test can: each phase in one bash
 * (the buildspec's shell), commands in order until one fails, then its `finally` commands; a failed
 * install or pre_build ends the build, a failed build still runs post_build; `on-failure: CONTINUE` goes
 * on. Variables: the buildspec's env.variables, overridden by the project's (`env` here), as in CodeBuild.
 */
export async function runBuildspec(
  spec: Buildspec,
  options: { cwd: string; env: Record<string, string | undefined>; only?: PhaseName[]; timeoutMs?: number },
): Promise<BuildResult> {
  const phases: BuildResult['phases'] = {};
  let log = '';
  let succeeding = true;
  let stop = false;
  const scripts = mkdtempSync(join(tmpdir(), 'pipewarden-buildspec-'));
  try {
    for (const name of PHASES) {
      const phase = spec.phases?.[name];
      if (!phase || (options.only && !options.only.includes(name))) continue;
      if (stop) {
        phases[name] = 'SKIPPED';
        continue;
      }
      const dir = join(scripts, name);
      mkdirSync(dir);
      const files = (phase.commands ?? []).map((c, i) => writeScript(dir, `c${i}.sh`, c));
      const finals = (phase.finally ?? []).map((c, i) => writeScript(dir, `f${i}.sh`, c));
      const runner = [
        '__status=0',
        `for __c in ${files.map((f) => `'${f}'`).join(' ')}; do`,
        '  source "$__c"; __rc=$?',
        '  if [ $__rc -ne 0 ]; then echo "[Container] Command did not exit successfully ($(basename "$__c")) exit status $__rc"; __status=$__rc; break; fi',
        'done',
        `for __f in ${finals.map((f) => `'${f}'`).join(' ')}; do source "$__f" || __status=1; done`,
        'exit $__status',
      ].join('\n');
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, ...spec.env?.variables, ...options.env }))
        if (v !== undefined) env[k] = v;
      env.CODEBUILD_BUILD_SUCCEEDING = succeeding ? '1' : '0';
      // Asynchronous on purpose: the fake AWS services answer from this same process.
      const run = await runBash(runner, options.cwd, env, options.timeoutMs ?? 180_000);
      log += `--- ${name}\n${run.output}`;
      const ok = run.status === 0;
      phases[name] = ok ? 'SUCCEEDED' : 'FAILED';
      if (!ok) {
        succeeding = false;
        const continueOn = phase['on-failure'] === 'CONTINUE';
        if ((name === 'install' || name === 'pre_build') && !continueOn) stop = true;
      }
    }
  } finally {
    rmSync(scripts, { recursive: true, force: true });
  }
  return { status: succeeding ? 'SUCCEEDED' : 'FAILED', phases, log };
}

function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function writeScript(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${text}\n`);
  return file;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The deployment's pinned CLI, as a project sees it: the bundle stored as an object of a stand-in asset
 * bucket (a directory the fake `aws s3 cp` of fakeAwsS3 reads), and the three project variables infra/
 * sets (PlatformCli.environment): the object's URL, the bundle's sha256, where install puts it.
 */
export function pinCli(root: string, cliBundle: string, installTo: string) {
  const sha256 = sha256File(cliBundle);
  const bucket = join(root, 's3', 'cdk-assets-bucket');
  mkdirSync(bucket, { recursive: true });
  copyFileSync(cliBundle, join(bucket, `${sha256}.js`));
  return {
    PIPEWARDEN_CLI_URL: `s3://cdk-assets-bucket/${sha256}.js`,
    PIPEWARDEN_CLI_SHA256: sha256,
    PIPEWARDEN_CLI: installTo,
    FAKE_S3_ROOT: join(root, 's3'),
  };
}

/** `aws s3 cp s3://bucket/key dest` from $FAKE_S3_ROOT/bucket/key; other aws calls exit 9. */
export const FAKE_AWS_S3_CP = `if [ "$1 $2" = "s3 cp" ]; then
  shift 2; paths=()
  for a in "$@"; do case "$a" in --*) ;; *) paths+=("$a") ;; esac; done
  from="$FAKE_S3_ROOT/\${paths[0]#s3://}"
  [ -f "$from" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 1; }
  cp "$from" "\${paths[1]}"; exit $?
fi
echo "aws $*: not faked" >&2; exit 9`;

/**
 * A source checkout for a buildspec run. It holds a hostile dist/cli/index.js that passes every gate and
 * says so: the platform buildspecs must never run it (they run $PIPEWARDEN_CLI).
 */
export function makeSourceDir(root: string): string {
  const src = join(root, 'src');
  mkdirSync(join(src, 'dist', 'cli'), { recursive: true });
  writeFileSync(
    join(src, 'dist', 'cli', 'index.js'),
    "console.log('FORGED CLI FROM THE CHECKOUT: gate PASSED'); process.exit(0);\n",
  );
  return src;
}

/** A directory of stand-in executables (snyk, docker, aws…) to put first on PATH. */
export function fakeTools(root: string, tools: Record<string, string>): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(tools)) {
    const file = join(bin, name);
    writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return bin;
}
