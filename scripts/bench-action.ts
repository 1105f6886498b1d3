// Benchmark of the action bundle (not a test): bundle size, time from process start to the first API
// request, and time from the execution's state change to the action noticing it, each over several runs,
// beside moia-oss/aws-codepipeline-trigger's committed dist/ run the same way against the same local endpoint.
//
// Usage: npm run bench:action -- [--runs 5] [--moia <git dir or checkout of moia-oss/aws-codepipeline-trigger>]
// (or PIPEWARDEN_BENCH_MOIA=<dir>). It prints no path of this machine: temporary copies are named by what they hold.
// The moia repository is read from its git directory (never copied into this repository); without it, only
// pipewarden is measured. Both run with their default poll intervals.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { root, runNode, runnerEnv, startLocalCodePipeline } from './smoke/action.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Math.max(3, Number(arg('runs', '5')));
// Copies of the bundles and each run's runner directories, removed when done unless --keep.
const made: string[] = [];
const temporary = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
process.on('exit', () => {
  if (!args.includes('--keep')) for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
// No default: a path on one machine means nothing on another.
const moiaSource = arg('moia', process.env.PIPEWARDEN_BENCH_MOIA);

/** Where the execution turns Succeeded, after its start: spread over more than one poll period of either action. */
const changeAt = (i: number) => 5000 + Math.round((i * 13_333) / (runs - 1));

/** One action bundle as measured: pipewarden's (with its post step) or moia's (with its commit). */
interface Tool {
  name: string;
  dir: string;
  script: string;
  size: number;
  postSize?: number;
  files?: number;
  commit?: string;
}

function sizeOf(dir: string, files: string[]) {
  return files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function prepareMoia() {
  if (!moiaSource || !existsSync(moiaSource)) return undefined;
  const away = temporary('bench-moia-');
  if (existsSync(join(moiaSource, 'dist', 'index.js')))
    cpSync(join(moiaSource, 'dist'), join(away, 'dist'), { recursive: true });
  else {
    // A bare mirror: take dist/ of its HEAD commit.
    const tar = execFileSync('git', ['--git-dir', moiaSource, 'archive', 'HEAD', 'dist'], {
      maxBuffer: 64 << 20,
    });
    execFileSync('tar', ['-x', '-C', away], { input: tar });
  }
  const commit = existsSync(join(moiaSource, 'HEAD'))
    ? execFileSync('git', ['--git-dir', moiaSource, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
    : 'checkout';
  const files = readdirSync(join(away, 'dist')).filter((f) => f.endsWith('.js'));
  return {
    dir: away,
    script: join(away, 'dist', 'index.js'),
    size: sizeOf(join(away, 'dist'), files),
    files: files.length,
    commit,
  };
}

function preparePipewarden() {
  const away = temporary('bench-pipewarden-');
  cpSync(join(root, 'dist', 'action'), join(away, 'dist', 'action'), { recursive: true });
  return {
    dir: away,
    script: join(away, 'dist', 'action', 'index.js'),
    size: statSync(join(away, 'dist', 'action', 'index.js')).size,
    postSize: statSync(join(away, 'dist', 'action', 'post', 'index.js')).size,
  };
}

async function once(tool: Tool, i: number) {
  const local = await startLocalCodePipeline({ finishAfterMs: changeAt(i) });
  try {
    const inputs: Record<string, string> =
      tool.name === 'pipewarden'
        ? { 'INPUT_PIPELINE-NAME': local.pipelineName }
        : { INPUT_PIPELINE: local.pipelineName, INPUT_WAIT: 'true', 'INPUT_FOLLOW-CODEBUILD': 'false' };
    const env = runnerEnv(temporary('bench-run-'), local.url, inputs);
    const t0 = local.clock();
    const result = await runNode(tool.script, env, 120_000);
    const ended = local.clock();
    const [execution] = local.executions.values();
    if (result.code !== 0 || !execution)
      throw new Error(`${tool.name} run ${i} failed (${result.code}): ${result.stdout}${result.stderr}`);
    const seen = execution.polls.find((p) => p.status === 'Succeeded');
    if (!seen) throw new Error(`${tool.name} run ${i} exited before any poll saw Succeeded`);
    return {
      firstRequest: local.requests[0].at - t0,
      noticed: seen.at - execution.finishesAt,
      exited: ended - execution.finishesAt,
      polls: execution.polls.length,
      requests: local.requests.length,
    };
  } finally {
    await local.close();
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median, max: s[s.length - 1] };
};
const ms = (x: number) => `${Math.round(x)} ms`;
const line = (label: string, xs: number[], fmt: (x: number) => string = ms) => {
  const { min, median, max } = stats(xs);
  return `  ${label.padEnd(38)} ${fmt(min).padStart(9)} ${fmt(median).padStart(9)} ${fmt(max).padStart(9)}`;
};

const tools: Tool[] = [{ name: 'pipewarden', ...preparePipewarden() }];
const moia = prepareMoia();
if (moia) tools.push({ name: 'moia-oss/aws-codepipeline-trigger', ...moia });
else
  console.log(
    moiaSource
      ? '(moia-oss/aws-codepipeline-trigger not measured: the --moia directory does not exist)'
      : '(moia-oss/aws-codepipeline-trigger not measured: pass --moia <its git directory or checkout>)',
  );

// The machine's own floor: an empty node process, started and ended the same way.
const empty: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  execFileSync(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH ?? '' } });
  empty.push(performance.now() - t0);
}
console.log(
  `node ${process.version}, ${runs} runs each, state change at ${Array.from({ length: runs }, (_, i) => (changeAt(i) / 1000).toFixed(1)).join(', ')} s after the start\n`,
);
console.log(line('baseline: empty node process, start → exit', empty));
console.log('');
for (const tool of tools) {
  const results: Awaited<ReturnType<typeof once>>[] = [];
  for (let i = 0; i < runs; i++) results.push(await once(tool, i));
  const extra = tool.postSize
    ? ` (post step: ${(tool.postSize / 1e6).toFixed(2)} MB)`
    : ` (${tool.files} files, commit ${tool.commit?.slice(0, 12)})`;
  console.log(`${tool.name}: bundle ${(tool.size / 1e6).toFixed(2)} MB${extra}`);
  console.log(`  ${''.padEnd(38)} ${'min'.padStart(9)} ${'median'.padStart(9)} ${'max'.padStart(9)}`);
  console.log(
    line(
      'process start → first API request',
      results.map((r) => r.firstRequest),
    ),
  );
  console.log(
    line(
      'state change → first poll that sees it',
      results.map((r) => r.noticed),
    ),
  );
  console.log(
    line(
      'state change → process exit',
      results.map((r) => r.exited),
    ),
  );
  console.log(
    line(
      'API requests per run',
      results.map((r) => r.requests),
      (x) => String(x),
    ),
  );
  console.log('');
}
