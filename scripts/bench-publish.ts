// Benchmark (not a test) of `pipewarden publish securityhub` with the real clock: the real token bucket
// (10 requests/s, never more than 30 in any second), the real jittered exponential back-off with its
// queued retries, and a real AWS SDK v3 SecurityHubClient (the one the CLI builds, maxAttempts: 1)
// reaching a local HTTP server on 127.0.0.1 (test/support/fake-aws.ts) through
// AWS_ENDPOINT_URL_SECURITYHUB. The server injects the fault mix of issue 13 (see misbehave() below).
//
// The findings go through the pipeline's own path: a SARIF report and a baseline → `pipewarden report
// --format json` (as `gate --out` writes it in buildspecs/gate.yml) → `pipewarden publish securityhub
// --document <findings.json>`, run in-process through the CLI's main() over the TypeScript sources (tsx).
// Of the published findings, 5 % are fixed since the baseline and must arrive ARCHIVED.
//
// Usage:
//   npm run bench:publish                               # 3 runs of 10,000 findings (about 13 s a run)
//   npm run bench:publish -- --runs 5 --findings 2000
//   npm run bench:publish -- --keep                     # keep the inputs in bench-out/publish/
//
// Checks, per run: every finding imported exactly once (count per Id at the server), the fixed ones
// ARCHIVED, no batch above 100 findings, the CLI's exit code 0 and its summary line agreeing with the
// server, never more than 10 requests a second on average (requests / publish time) nor 30 in any 1 s
// window (at the server). Then the target over the runs: median findings/s ≥ 750 (Security Hub's 10 req/s
// × 100 findings, less the injected failures, is about 820). Exit 1 if a check or the target fails.
import type { IncomingMessage } from 'node:http';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FindingsDocument } from '../findings/model/finding.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench-publish: ${name} ${process.argv[i + 1]}: not a positive whole number`);
    process.exit(2);
  }
  return v;
};
const RUNS = arg('--runs', 3);
const KEEP = process.argv.includes('--keep');
const TARGET_FINDINGS_PER_S = 750;
const TOTAL = arg('--findings', 10_000);
const FIXED = Math.floor(TOTAL / 20); // in the baseline, gone now: published ARCHIVED
const CURRENT = TOTAL - FIXED;
const dir = join(root, 'bench-out', 'publish');
mkdirSync(dir, { recursive: true });
// The inputs are regenerated each time: removed at the end unless --keep.
process.on('exit', () => {
  if (KEEP) return;
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(dir)); // bench-out/ too, if no other bench left files there
  } catch {
    // it holds another bench's files
  }
});

// The CLI in this process, as a user runs it: its exit code and what it printed (the tests' runner).
const { runCli: cli } = await import('../test/findings/cli/run-cli.js');
const { FakeAws } = await import('../test/support/fake-aws.js');

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const REPO = 'acme/shop';
const SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';

// ------------------------------------------------------------------ inputs
const LEVELS = ['error', 'warning', 'note'];
const sarif = (count: number) => ({
  version: '2.1.0',
  $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
  runs: [
    {
      tool: {
        driver: {
          name: 'BenchSAST',
          rules: Array.from({ length: 40 }, (_, r) => ({
            id: `BENCH${r}`,
            shortDescription: { text: `Bench rule ${r}: untrusted input reaches a sensitive sink` },
            helpUri: `https://example.com/rules/BENCH${r}`,
          })),
        },
      },
      results: Array.from({ length: count }, (_, i) => ({
        ruleId: `BENCH${i % 40}`,
        level: LEVELS[i % 3],
        message: { text: `Untrusted input reaches a sensitive sink in handler ${i}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: `src/module-${i}/handler.ts` },
              region: { startLine: 10 + (i % 400), endLine: 12 + (i % 400) },
            },
          },
        ],
      })),
    },
  ],
});

// What CodeBuild gives the gate project (buildspecs/gate.yml), pointed at the local server.
const env = (url: string) => ({
  AWS_ENDPOINT_URL_SECURITYHUB: url,
  AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCHBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench-secret',
  AWS_SESSION_TOKEN: 'bench-session',
  AWS_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${REGION}:${ACCOUNT}:build/pipewarden-gate:bench`,
  CODEBUILD_SRC_DIR: root,
  PIPEWARDEN_REPO: REPO,
  PIPEWARDEN_COMMIT: SHA,
  PIPEWARDEN_BRANCH: 'main',
  PIPEWARDEN_BASELINE_BRANCH: 'main',
  PIPEWARDEN_IMAGE_URI: undefined,
});

const fake = await new FakeAws().start();
const vars = env(fake.url);

const currentFile = join(dir, 'bench-sast.sarif');
const baselineFile = join(dir, 'baseline.sarif');
const documentFile = join(dir, 'findings.json');
// The baseline holds results 0..TOTAL-1; the current scan lost the last FIXED of them (fixed).
writeFileSync(baselineFile, JSON.stringify(sarif(TOTAL)));
writeFileSync(currentFile, JSON.stringify(sarif(CURRENT)));
const report = await cli(
  ['report', '--format', 'json', '--baseline', baselineFile, '--out', documentFile, currentFile],
  vars,
);
if (report.code !== 0) {
  console.error(`bench-publish: report failed (exit ${report.code}):\n${report.stderr}${report.stdout}`);
  process.exit(1);
}
const doc = JSON.parse(readFileSync(documentFile, 'utf8')) as FindingsDocument;
if (doc.findings.length !== CURRENT || doc.fixed.length !== FIXED) {
  console.error(
    `bench-publish: the document has ${doc.findings.length} findings and ${doc.fixed.length} fixed, expected ${CURRENT} and ${FIXED}`,
  );
  process.exit(1);
}
const activeIds = new Set(doc.findings.map((f) => `pipewarden/${REPO}/${f.fingerprint}`));
const fixedIds = new Set(doc.fixed.map((f) => `pipewarden/${REPO}/${f.fingerprint}`));

// ------------------------------------------------------------------ the misbehaving service
// The issue's fault mix, drawn from a PRNG seeded the same for every run, so each run meets the same kind
// and amount of trouble: 15 % of requests throttled (429), 3 % failed with a 5xx, and 3 % of the findings
// in the answered requests failed inside the HTTP 200 (FailedFindings: InternalFailure or
// ConcurrentUpdateError, the codes Security Hub documents). Answers take 20–150 ms, one in 20 takes 1 s.
const THROTTLED = 0.15;
const FAILED_5XX = 0.03;
const FAILED_FINDING = 0.03;
function prng(seed: number) {
  // mulberry32: small, fast, and the same sequence on every machine
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
interface FaultStats {
  throttled: number;
  failed5xx: number;
  partial: number;
  partialFindings: number;
}
function misbehave(stats: FaultStats) {
  const random = prng(0x5eed);
  const latency = prng(0x1a7e);
  fake.securityHub.answer = (n, batch) => {
    const r = random();
    if (r < THROTTLED) {
      stats.throttled++;
      return n % 2
        ? { status: 429, errorType: 'TooManyRequestsException', message: 'Too many requests' }
        : { status: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' };
    }
    if (r < THROTTLED + FAILED_5XX) {
      stats.failed5xx++;
      return n % 2
        ? { status: 503, errorType: 'ServiceUnavailableException', message: 'Service unavailable' }
        : { status: 500, errorType: 'InternalException', message: 'Internal error' };
    }
    const fail: Record<string, string> = {};
    for (const f of batch)
      if (random() < FAILED_FINDING)
        fail[f.Id] = random() < 0.5 ? 'InternalFailure' : 'ConcurrentUpdateError';
    const failedHere = Object.keys(fail).length;
    if (failedHere) {
      stats.partial++;
      stats.partialFindings += failedHere;
    }
    return { fail };
  };
  fake.securityHub.delayMs = () => (latency() < 0.05 ? 1000 : 20 + Math.floor(latency() * 130));
}

let arrivals: number[] = [];
fake.server.prependListener('request', (req: IncomingMessage) => {
  if (req.method === 'POST' && req.url?.startsWith('/findings/import')) arrivals.push(performance.now());
});

/** The most requests that arrived within any 1-second window. */
function peakPerSecond(times: number[]) {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

async function run(i: number) {
  fake.reset();
  arrivals = [];
  const stats: FaultStats = { throttled: 0, failed5xx: 0, partial: 0, partialFindings: 0 };
  misbehave(stats);
  const started = performance.now();
  const result = await cli(['publish', 'securityhub', '--document', documentFile], vars);
  const wallMs = performance.now() - started;

  const hub = fake.securityHub;
  const problems: string[] = [];
  if (result.code !== 0) problems.push(`exit code ${result.code}: ${result.stderr.split('\n').at(-2)}`);
  let once = 0;
  for (const id of [...activeIds, ...fixedIds]) {
    const count = hub.imported.get(id) ?? 0;
    if (count === 1) once++;
    else if (problems.length < 5) problems.push(`${id} imported ${count} times`);
  }
  const unexpected = [...hub.imported.keys()].filter((id) => !activeIds.has(id) && !fixedIds.has(id));
  if (unexpected.length) problems.push(`${unexpected.length} Id(s) imported that are not in the document`);
  let archived = 0;
  for (const [id, f] of hub.received) {
    const want = fixedIds.has(id) ? 'ARCHIVED' : 'ACTIVE';
    if (f.RecordState !== want) problems.push(`${id}: RecordState ${f.RecordState}, expected ${want}`);
    else if (want === 'ARCHIVED') archived++;
  }
  const maxBatch = Math.max(...hub.batchSizes);
  if (maxBatch > 100) problems.push(`a batch of ${maxBatch} findings`);
  // pipewarden: Security Hub (acct, region): imported X of Y finding(s) (A archived as fixed) in R request(s), T retried, S s
  const summary =
    /imported (\d+) of (\d+) finding\(s\) \((\d+) archived as fixed\) in (\d+) request\(s\), (\d+) retried, ([\d.]+) s/.exec(
      result.stdout,
    );
  if (!summary) problems.push(`no summary line in: ${result.stdout.trim()}`);
  const [, imported, total, , requests, retried, seconds] = (summary ?? []).map(Number);
  if (summary && (imported !== TOTAL || total !== TOTAL))
    problems.push(`CLI says imported ${imported} of ${total}`);
  if (summary && requests !== hub.requests)
    problems.push(`CLI counted ${requests} requests, the server ${hub.requests}`);
  const retriedAtServer = stats.throttled + stats.failed5xx;
  if (summary && retried !== retriedAtServer)
    problems.push(`CLI counted ${retried} retried requests, the server failed ${retriedAtServer}`);

  const publishS = seconds;
  // Security Hub's quota, seen from the server: the mean over the publish, and the busiest second.
  const meanRate = hub.requests / publishS;
  const peak = peakPerSecond(arrivals);
  if (!(meanRate <= 10)) problems.push(`${meanRate.toFixed(2)} requests/s on average, above 10`);
  if (peak > 30) problems.push(`${peak} requests within one second, above 30`);
  const row = {
    run: i,
    ok: problems.length === 0,
    code: result.code,
    imported,
    problems,
    once,
    archived,
    requests: hub.requests,
    minimum: Math.ceil(TOTAL / 100),
    retriedRequests: retriedAtServer,
    throttled: stats.throttled,
    failed5xx: stats.failed5xx,
    partial: stats.partial,
    retriedFindings: stats.partialFindings,
    findingsSent: hub.batchSizes.reduce((a, b) => a + b, 0),
    publishS,
    wallS: wallMs / 1000,
    reqPerS: meanRate,
    findingsPerS: TOTAL / publishS,
    peak1s: peak,
    fullBatches: hub.batchSizes.filter((size) => size === 100).length,
  };
  return row;
}

const fmt = (x: number, d = 1) => x.toFixed(d);
console.log(
  `pipewarden publish securityhub — ${TOTAL} findings (${CURRENT} ACTIVE + ${FIXED} fixed → ARCHIVED), ${RUNS} run(s), real clock`,
);
console.log(
  `node ${process.version}; local Security Hub (fake-aws.ts): ${THROTTLED * 100} % of requests 429, ${FAILED_5XX * 100} % 5xx,`,
);
console.log(
  `  ${FAILED_FINDING * 100} % of findings failed in 200 answers (InternalFailure / ConcurrentUpdateError); answers 20–150 ms, 5 % 1 s`,
);
const rows: Awaited<ReturnType<typeof run>>[] = [];
for (let i = 1; i <= RUNS; i++) {
  const r = await run(i);
  rows.push(r);
  console.log(
    `run ${i}: ${r.ok ? 'OK' : 'FAILED'} — exit ${r.code}, imported ${r.imported} (exactly once at the server: ${r.once}/${TOTAL}, ARCHIVED ${r.archived}/${FIXED}); ` +
      `${r.requests} requests (minimum ${r.minimum}, ${r.fullBatches} of 100 findings), ${r.retriedRequests} retried (${r.throttled} throttled, ${r.failed5xx} 5xx), ` +
      `${r.retriedFindings} findings failed in ${r.partial} answers and retried; ${r.findingsSent} findings sent; ` +
      `publish ${fmt(r.publishS)} s (CLI wall ${fmt(r.wallS)} s), ${fmt(r.findingsPerS, 0)} findings/s, ` +
      `${fmt(r.reqPerS, 2)} req/s mean, peak ${r.peak1s} requests in 1 s`,
  );
  for (const p of r.problems) console.log(`  problem: ${p}`);
}
await fake.stop();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
type NumericKey = {
  [K in keyof (typeof rows)[number]]: (typeof rows)[number][K] extends number ? K : never;
}[keyof (typeof rows)[number]];
const stat = (key: NumericKey, d = 1) => {
  const xs = rows.map((r) => r[key]).sort((a, b) => a - b);
  return `${fmt(xs[0], d)} / ${fmt(median(xs), d)} / ${fmt(xs[xs.length - 1], d)}`;
};
console.log(`over ${RUNS} run(s), min / median / max:`);
console.log(`  imported             ${stat('imported', 0)}   (of ${TOTAL})`);
console.log(`  exit code            ${stat('code', 0)}`);
console.log(
  `  requests             ${stat('requests', 0)}   (minimum ceil(${TOTAL}/100) = ${Math.ceil(TOTAL / 100)})`,
);
console.log(`  retried requests     ${stat('retriedRequests', 0)}`);
console.log(`  retried findings     ${stat('retriedFindings', 0)}`);
console.log(`  publish time (s)     ${stat('publishS')}`);
console.log(`  CLI wall time (s)    ${stat('wallS')}`);
console.log(`  mean requests/s      ${stat('reqPerS', 2)}   (Security Hub: 10 TPS)`);
console.log(`  peak requests in 1 s ${stat('peak1s', 0)}   (Security Hub: burst 30)`);
console.log(
  `  findings/s           ${stat('findingsPerS', 0)}   (target: median ≥ ${TARGET_FINDINGS_PER_S})`,
);
const bad = rows.filter((r) => !r.ok).length;
// The target is for the issue's 10,000 findings: a small run is mostly its start and its end.
const slow = TOTAL >= 10_000 && median(rows.map((r) => r.findingsPerS)) < TARGET_FINDINGS_PER_S;
if (bad) console.log(`bench-publish: ${bad} run(s) FAILED a check`);
if (slow) console.log(`bench-publish: median findings/s below the target of ${TARGET_FINDINGS_PER_S}`);
if (!bad && !slow)
  console.log(
    `bench-publish: targets met: ${TOTAL}/${TOTAL} imported, exit 0, ${TOTAL >= 10_000 ? `≥ ${TARGET_FINDINGS_PER_S} findings/s median` : 'findings/s not checked below 10,000 findings'}, ≤ 10 req/s mean, ≤ 30 in any second`,
  );
process.exit(bad || slow ? 1 : 0);
