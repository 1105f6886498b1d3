// Benchmark of the GitHub App (bot/) — not a test: it prints figures, and exits 1 only when a run does not do
// what the bot is meant to do (a check not completed, a comment missing, a webhook not answered 200).
//
//   (a) GitHub requests per findings publication: the "pipewarden / security" check completed and the one
//       PR comment written, by bot/handlers/publish-security-check.ts (what a CodePipeline "Gate finished"
//       event runs), at 0, 1, 50, 51 and 5,000 findings, against the minimum: ceil(annotations / 50) check
//       requests (at least 1) + 1 comment lookup + 1 comment write. GitHub is test/bot/helpers/fake-github.ts
//       (nock at the HTTP boundary, GitHub's limits enforced, every request checked against the OpenAPI
//       description); S3 is test/bot/helpers/fake-aws.ts's local server; the documents are built by the
//       engine (test/bot/helpers/findings.ts). Timed twice: with Octokit's retry/throttling off (the bot's
//       own cost) and with the production Octokit (bot/github/create-octokit.ts: the throttling plugin spaces
//       writes of one installation ≥ 1 s apart).
//   (b) Signed webhooks handled per second on loopback: the app behind a real node:http server on 127.0.0.1,
//       once through Probot's createNodeMiddleware (what `npm start` serves) and once through the Lambda's
//       door (bot/receive-webhook.ts, fed Function URL-shaped events), real pull_request.opened payloads from
//       @octokit/webhooks-examples (each with its own head sha, so each creates two check runs) signed with
//       @octokit/webhooks-methods, GitHub answered by a small local HTTP server. Also bad signatures (400).
//   (c) The Lambda bundle (dist/bot/, as committed): its size, and cold start: a fresh `node` that imports
//       dist/bot/index.js with AWS_LAMBDA_FUNCTION_NAME set (so the bot starts as on Lambda) and calls the
//       handler once with a signed Function URL event (pull_request.opened; GitHub = the local server through
//       GHE_HOST / GHE_PROTOCOL=http), beside `node -e 0` on the same machine.
//
// Usage:
//   npm run bench:bot                            # everything (about 4 minutes on 2 cores)
//   npm run bench:bot -- --part b --runs 3       # one part: a, b or c
//   npm run bench:bot -- --webhooks 500 --concurrency 10 --runs 5
// Each part runs in its own child process (nock, loaded for (a), patches Node's HTTP stack for the whole
// process). TypeScript sources are loaded through tsx (a devDependency); nothing is written to the repository.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
function arg(name: string, fallback: number): number;
function arg(name: string, fallback: undefined): string | undefined;
function arg(name: string, fallback: number | undefined): number | string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (typeof fallback === 'number') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`bench-bot: --${name} ${v}: not a positive whole number`);
      process.exit(2);
    }
    return n;
  }
  return v;
}
const RUNS = arg('runs', 5);
const WEBHOOKS = arg('webhooks', 500);
const CONCURRENCY = arg('concurrency', 10);
const PART = arg('part', undefined);

// ------------------------------------------------------------------ helpers
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mmm = (xs: number[], digits = 0) =>
  `${fmt(Math.min(...xs), digits)} / ${fmt(median(xs), digits)} / ${fmt(Math.max(...xs), digits)}`;
function table(headers: string[], rows: string[][]) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}
let failed = false;
const fail = (message: string) => {
  failed = true;
  console.log(`FAILED: ${message}`);
};
const require = createRequire(import.meta.url);
/** A real payload from @octokit/webhooks-examples (one with an installation), deep-copied. */
/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads are JSON this bench adapts freely */
type Payload = Record<string, any>;
function example(name: string, action?: string): Payload {
  const all = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string;
    examples: Payload[];
  }[];
  const found = all
    .find((e) => e.name === name)
    ?.examples.find((p) => (action === undefined || p.action === action) && p.installation);
  if (!found) throw new Error(`no ${name}.${action} example with an installation`);
  return structuredClone(found);
}
/* eslint-enable @typescript-eslint/no-explicit-any */
const sha40 = () => randomBytes(20).toString('hex');
const silentLog = { write: () => undefined };

/**
 * GitHub's REST API as a local HTTP server, for (b) and (c): installation tokens, check runs (listed and
 * created per commit), the config file (404), anything else 404 and counted as unexpected.
 * Strips GHE's /api/v3 prefix.
 */
interface LocalRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  title: string | null;
  summary: string | null;
}
async function startLocalGitHub(appId: number) {
  const runs = new Map<string, LocalRun[]>(); // `${repo}@${sha}` → check runs
  const stats = { requests: 0, writes: 0, kinds: {} as Record<string, number>, unexpected: [] as string[] };
  let nextId = 1;
  const send = (res: ServerResponse, status: number, body?: object) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-remaining': '4999',
    });
    res.end(text);
  };
  const view = (r: LocalRun) => ({
    id: r.id,
    name: r.name,
    head_sha: r.head_sha,
    status: r.status,
    conclusion: null,
    external_id: '',
    details_url: null,
    app: { id: appId },
    output: { title: r.title, summary: r.summary, text: null, annotations_count: 0 },
    pull_requests: [],
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/api\/v3/, '');
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Payload)
        : ({} as Payload);
      if (req.method !== 'GET') stats.writes++;
      const kind = /access_tokens$/.test(path)
        ? 'installation token'
        : /check-runs$/.test(path)
          ? req.method === 'GET'
            ? 'check lookup'
            : 'check create'
          : /\/contents\//.test(path)
            ? 'config read'
            : 'other';
      stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
      let m;
      if (req.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
        return send(res, 201, {
          token: `ghs_${randomUUID().replace(/-/g, '')}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { checks: 'write' },
          repository_selection: 'all',
        });
      if (
        req.method === 'GET' &&
        (m = /^\/repos\/([^/]+\/[^/]+)\/commits\/([^/]+)\/check-runs$/.exec(path))
      ) {
        let list = runs.get(`${m[1]}@${m[2]}`) ?? [];
        const name = url.searchParams.get('check_name');
        if (name) list = list.filter((r) => r.name === name);
        return send(res, 200, { total_count: list.length, check_runs: list.slice(-1).map(view) });
      }
      if (req.method === 'POST' && (m = /^\/repos\/([^/]+\/[^/]+)\/check-runs$/.exec(path))) {
        const key = `${m[1]}@${body.head_sha}`;
        const run = {
          id: nextId++,
          name: body.name,
          head_sha: body.head_sha,
          status: body.status ?? 'queued',
          title: body.output?.title ?? null,
          summary: body.output?.summary ?? null,
        };
        runs.set(key, [...(runs.get(key) ?? []), run]);
        return send(res, 201, view(run));
      }
      if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/contents\//.test(path))
        return send(res, 404, { message: 'Not Found' });
      stats.unexpected.push(`${req.method} ${path}`);
      return send(res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stats,
    runs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ------------------------------------------------------------------ (a) requests per publication
async function partA() {
  // Loaded here, not at the top: nock (in the fake GitHub) patches Node's HTTP stack for the whole process.
  const { Probot } = await import('probot');
  const { FakeGitHub } = await import('../test/bot/helpers/fake-github.js');
  const { createFakeAws } = await import('../test/bot/helpers/fake-aws.js');
  const { sarifDocument } = await import('../test/bot/helpers/findings.js');
  const { APP_ID, PRIVATE_KEY, testSettings } = await import('../test/bot/helpers/harness.js');
  const { publishSecurityCheck } = await import('../bot/handlers/publish-security-check.js');
  const { executionFindingsKey } = await import('../findings/store/store-layout.js');
  const { createOctokitClass } = await import('../bot/github/create-octokit.js');
  const { createLogger } = await import('../bot/create-logger.js');
  const { CHECK_NAMES } = await import('../bot/github/repo-ref.js');
  const { COMMENT_MARKER } = await import('../findings/render/render-markdown.js');

  const pr = example('pull_request', 'opened');
  const [owner, repo] = pr.repository.full_name.split('/');
  const number = pr.pull_request.number;
  const installation = pr.installation.id;
  const log = createLogger({ level: 'info', destination: silentLog });
  const octokitClass = (throttled: boolean) =>
    throttled
      ? createOctokitClass()
      : createOctokitClass().defaults((o: Record<string, object>) => ({
          ...o,
          retry: { enabled: false },
          throttle: { ...o.throttle, enabled: false },
        }));

  /** One publication on a fresh commit whose security check is queued (as createChecks leaves it). */
  async function publish(count: number, configText: string | undefined, throttled: boolean) {
    const github = new FakeGitHub(APP_ID);
    const aws = await createFakeAws({});
    try {
      const probot = new Probot({
        appId: APP_ID,
        privateKey: PRIVATE_KEY,
        secret: 'unused',
        log,
        Octokit: octokitClass(throttled),
      });
      const sha = sha40();
      const ref = { owner, repo };
      if (configText !== undefined) github.configs.set(`${owner}/${repo}`, configText);
      const pipeline = 'demo-feature';
      const executionId = randomUUID();
      const doc = sarifDocument(count, {
        repo: `${owner}/${repo}`,
        commit: sha,
        branch: pr.pull_request.head.ref,
        pullRequest: number,
        pipeline,
        pipelineExecutionId: executionId,
      });
      aws.s3.objects.set(
        executionFindingsKey(`${owner}/${repo}`, pipeline, executionId),
        JSON.stringify(doc),
      );
      const octokit = await probot.auth(installation);
      // The queued check is written by another client: a throttled write here would delay the first one timed.
      const setup = new Probot({
        appId: APP_ID,
        privateKey: PRIVATE_KEY,
        secret: 'unused',
        log,
        Octokit: octokitClass(false),
      });
      await (
        await setup.auth(installation)
      ).rest.checks.create({
        ...ref,
        name: CHECK_NAMES.security,
        head_sha: sha,
        status: 'queued',
        output: { title: 'Waiting for the security gate', summary: 'queued' },
      });
      const before = github.apiRequests().length;
      const deps = { settings: testSettings(), aws: aws.clients, log, appId: APP_ID };
      const t0 = performance.now();
      const result = await publishSecurityCheck(deps, octokit, {
        ref,
        sha,
        pipeline,
        executionId,
        pullRequests: [number],
      });
      const ms = performance.now() - t0;
      const requests = github.apiRequests().slice(before);
      const [run] = github.runs(CHECK_NAMES.security, sha);
      const comments = github.comments.filter((c) => c.body.startsWith(COMMENT_MARKER));
      if (github.violations.length) fail(`${count} findings: ${github.violations.join('; ')}`);
      if (run?.status !== 'completed' || run.annotations.length !== result.annotations)
        fail(`${count} findings: the check is ${run?.status} with ${run?.annotations.length} annotations`);
      if (comments.length !== 1) fail(`${count} findings: ${comments.length} PR comments`);
      const kind = (r: { template?: string; method: string; path?: string }) =>
        r.template?.includes('check-runs')
          ? r.method === 'GET'
            ? 'check lookup'
            : 'check write'
          : r.template?.includes('/comments')
            ? r.method === 'GET'
              ? 'comment lookup'
              : 'comment write'
            : r.template?.includes('/contents/')
              ? 'config'
              : `${r.method} ${r.template ?? r.path}`;
      const by: Record<string, number> = {};
      for (const r of requests) by[kind(r)] = (by[kind(r)] ?? 0) + 1;
      return {
        ms,
        requests: requests.length,
        counted: result.requests,
        by,
        annotations: result.annotations,
        omitted: result.omitted,
      };
    } finally {
      github.close();
      await aws.stop();
    }
  }

  const DEFAULT_CAP = 'comment:\n  mode: always\n'; // the defaults: annotations.max 500, minSeverity LOW
  const cases: [number, string | undefined, string][] = [
    [0, DEFAULT_CAP, 'default'],
    [1, DEFAULT_CAP, 'default'],
    [50, DEFAULT_CAP, 'default'],
    [51, DEFAULT_CAP, 'default'],
    [5000, DEFAULT_CAP, 'default (500)'],
    [5000, 'annotations:\n  max: 5000\n', 'max: 5000'],
    [51, undefined, 'default, no config file'],
  ];
  console.log(
    `\n(a) GitHub requests per findings publication (security check completed + the PR comment); ${RUNS} runs each`,
  );
  console.log(
    '    minimum = max(1, ceil(annotations/50)) check requests + 1 comment lookup + 1 comment write; installation tokens not counted',
  );
  const rows: string[][] = [];
  for (const [count, config, cap] of cases) {
    const fast: number[] = [];
    let first: Awaited<ReturnType<typeof publish>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      const r = await publish(count, config, false);
      first ??= r;
      if (r.requests !== first.requests)
        fail(`${count} findings: ${r.requests} requests, then ${first.requests}`);
      fast.push(r.ms);
    }
    // As deployed: one run per case (the throttling plugin makes these seconds long); three below 5,000.
    const slowRuns = count >= 5000 ? 1 : Math.min(RUNS, 3);
    if (!first) continue; // RUNS ≥ 1: never
    const slow: number[] = [];
    for (let i = 0; i < slowRuns; i++) {
      // The write spacing is per installation and per process: let the previous run's last write age out.
      await sleep(1100);
      slow.push((await publish(count, config, true)).ms / 1000);
    }
    const minimum = Math.max(1, Math.ceil(first.annotations / 50)) + 2;
    const b = first.by;
    rows.push([
      fmt(count),
      cap,
      `${fmt(first.annotations)}${first.omitted ? ` (+${fmt(first.omitted)} left out)` : ''}`,
      String(minimum),
      String(first.requests),
      String(first.counted),
      `${b['config'] ?? 0} + ${b['check lookup'] ?? 0} + ${b['check write'] ?? 0} + ${b['comment lookup'] ?? 0} + ${b['comment write'] ?? 0}`,
      mmm(fast, 0),
      slowRuns > 1 ? mmm(slow, 1) : `${fmt(slow[0], 1)} (1 run)`,
    ]);
  }
  table(
    [
      'findings',
      'annotations.max',
      'annotations',
      'minimum',
      'bot',
      "bot's own count",
      'config+lookup+check writes+comment lookup+write',
      'ms, throttling off (min/med/max)',
      's, production Octokit',
    ],
    rows,
  );
  console.log(
    '    bot − minimum = the config read (.github/pipewarden.yml) and the existing-check lookup (idempotency) = 2; without a config',
  );
  console.log(
    "    file in the repository the config read is 2 requests (the owner's .github repository is tried next), 3 in all.",
  );
  console.log(
    "    bot's own count = PublishResult.requests, the figure the handler reports for the same publication.",
  );
  console.log(
    '    The default cap (annotations.max 500) turns 5,000 findings into 500 annotations (10 check requests) and says how many were left out;',
  );
  console.log(
    '    the schema allows at most 10,000. "production Octokit": writes of one installation ≥ 1 s apart.',
  );
}

// ------------------------------------------------------------------ (b) webhooks per second
async function partB() {
  const { Probot, createNodeMiddleware } = await import('probot');
  const { sign } = await import('@octokit/webhooks-methods');
  const { createApp } = await import('../bot/app.js');
  const { createLogger } = await import('../bot/create-logger.js');
  const { createOctokitClass } = await import('../bot/github/create-octokit.js');
  const { createAwsClients } = await import('../bot/aws/create-aws-clients.js');
  const { readSettings } = await import('../bot/settings.js');
  const { functionUrlDoor } = await import('../test/bot/helpers/function-url-door.js');

  const APP_ID = 4242;
  const SECRET = `whsec-${randomUUID()}`;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const github = await startLocalGitHub(APP_ID);
  const settings = readSettings({
    AWS_REGION: 'eu-west-1',
    PIPEWARDEN_PIPELINES: 'demo-main,demo-feature',
    PIPEWARDEN_FINDINGS_BUCKET: 'pipewarden-findings',
  });
  const options = { settings, aws: createAwsClients('eu-west-1'), appId: APP_ID };
  const log = createLogger({ level: 'info', destination: silentLog });

  async function startBot(door: 'probot' | 'lambda', throttled: boolean) {
    const Octokit = throttled
      ? createOctokitClass()
      : createOctokitClass().defaults((o: Record<string, object>) => ({
          ...o,
          retry: { enabled: false },
          throttle: { ...o.throttle, enabled: false },
        }));
    const probot = new Probot({
      appId: APP_ID,
      privateKey,
      secret: SECRET,
      log,
      Octokit,
      baseUrl: github.url,
    });
    let handle: (req: IncomingMessage, res: ServerResponse) => void;
    if (door === 'probot') {
      const middleware = await createNodeMiddleware(createApp(options), { probot, webhooksPath: '/' });
      handle = (req, res) => void middleware(req, res, () => res.writeHead(404).end());
    } else {
      await probot.load(createApp(options));
      handle = functionUrlDoor(probot);
    }
    const server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** Signed deliveries prepared before the clock starts: each pull_request.opened on its own commit. */
  async function deliveries(n: number, badSignature = false) {
    const out: { body: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < n; i++) {
      const payload = example('pull_request', 'opened');
      payload.pull_request.head.sha = sha40();
      const body = JSON.stringify(payload);
      out.push({
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': badSignature ? `sha256=${'0'.repeat(64)}` : await sign(SECRET, body),
        },
      });
    }
    return out;
  }

  async function fire(
    url: string,
    list: Awaited<ReturnType<typeof deliveries>>,
    concurrency: number,
    expect: number,
  ) {
    const statuses: Record<number, number> = {};
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, list.length) }, async () => {
        while (next < list.length) {
          const d = list[next++];
          const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (statuses[expect] !== list.length)
      fail(`expected ${list.length} × ${expect}, got ${JSON.stringify(statuses)}`);
    return list.length / seconds;
  }

  console.log(
    `\n(b) signed webhooks handled per second on 127.0.0.1: pull_request.opened (each on a new commit), ${WEBHOOKS} per run at concurrency ${CONCURRENCY}, ${RUNS} runs after a warm-up`,
  );
  console.log(
    '    load generator, bot and fake GitHub share one Node process (2 cores); the answer is sent once the handler has finished',
  );
  const rows: string[][] = [];
  let breakdown = '';
  for (const door of ['probot', 'lambda'] as const) {
    const bot = await startBot(door, false);
    await fire(bot.url, await deliveries(50), CONCURRENCY, 200); // warm-up: JIT, installation token
    const before = {
      requests: github.stats.requests,
      writes: github.stats.writes,
      kinds: { ...github.stats.kinds },
    };
    const good: number[] = [];
    for (let i = 0; i < RUNS; i++)
      good.push(await fire(bot.url, await deliveries(WEBHOOKS), CONCURRENCY, 200));
    const perHook = (github.stats.requests - before.requests) / (WEBHOOKS * RUNS);
    const writesPerHook = (github.stats.writes - before.writes) / (WEBHOOKS * RUNS);
    breakdown = Object.entries(github.stats.kinds)
      .map(([k, n]) => [k, (n - (before.kinds[k] ?? 0)) / (WEBHOOKS * RUNS)] as const)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${fmt(n, 2)} ${k}`)
      .join(' + ');
    const bad: number[] = [];
    for (let i = 0; i < RUNS; i++)
      bad.push(await fire(bot.url, await deliveries(WEBHOOKS, true), CONCURRENCY, 400));
    const after = github.stats.requests;
    await bot.close();
    if (github.stats.requests !== after) fail('a bad signature reached GitHub');
    const name = door === 'probot' ? 'createNodeMiddleware (npm start)' : 'receiveWebhook (Lambda door)';
    rows.push([
      name,
      'off',
      `${fmt(perHook, 1)} (${fmt(writesPerHook, 1)} writes)`,
      mmm(good, 0),
      mmm(bad, 0),
    ]);
  }
  // As deployed: the throttling plugin spaces one installation's writes ≥ 1 s apart, and every delivery
  // here is from the same installation, so a handful is enough to see the ceiling.
  {
    const n = 4;
    const bot = await startBot('probot', true);
    const rates: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 3); i++) rates.push(await fire(bot.url, await deliveries(n), n, 200));
    await bot.close();
    rows.push([
      `createNodeMiddleware, ${n} deliveries at once, one installation`,
      'on (production)',
      '',
      mmm(rates, 2),
      '',
    ]);
  }
  table(
    [
      'server',
      'Octokit throttling',
      'GitHub requests / webhook',
      'webhooks/s (min/med/max)',
      'bad signature → 400, /s',
    ],
    rows,
  );
  console.log(
    `    GitHub requests per webhook: ${breakdown} (the config: the repository, then the owner's .github).`,
  );
  if (github.stats.unexpected.length)
    console.log(`    requests the fake did not model: ${[...new Set(github.stats.unexpected)].join(', ')}`);
  await github.close();
}

// ------------------------------------------------------------------ (c) bundle size and cold start
async function partC() {
  const { sign } = await import('@octokit/webhooks-methods');
  const dir = join(root, 'dist', 'bot');
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  const total = files.reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  const index = readFileSync(join(dir, 'index.js'));
  const js = files.filter((f) => f.endsWith('.js')).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  console.log('\n(c) the Lambda bundle dist/bot/ (as committed) and its cold start');
  table(
    ['what', 'bytes'],
    [
      [`dist/bot/* (${files.length} files: ${files.join(', ')})`, fmt(total)],
      ['  of which .js', fmt(js)],
      ['  index.js', fmt(index.length)],
      ['  index.js gzip -9', fmt(gzipSync(index, { level: 9 }).length)],
    ],
  );

  const APP_ID = 4242;
  const SECRET = `whsec-${randomUUID()}`;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const github = await startLocalGitHub(APP_ID);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-bot-'));
  const payload = example('pull_request', 'opened');
  // A tag deleted: the bot has nothing to clean up, so it answers without calling GitHub or AWS.
  const tag = example('delete');
  if (tag.ref_type !== 'tag') throw new Error('the delete example is not a tag deletion');
  /** A Lambda Function URL event (payload 2.0, base64 body), signed as GitHub signs deliveries. */
  const functionUrlEvent = async (name: string, value: Payload) => {
    const body = JSON.stringify(value);
    return {
      version: '2.0',
      rawPath: '/',
      requestContext: { http: { method: 'POST', path: '/' } },
      headers: {
        'content-type': 'application/json',
        'x-github-event': name,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(SECRET, body),
      },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    };
  };
  const child = `
    const t0 = performance.now();
    const { readFileSync } = await import('node:fs');
    const events = JSON.parse(readFileSync(process.env.BENCH_EVENT, 'utf8'));
    const mod = await import(process.env.BENCH_BUNDLE);
    const t1 = performance.now();
    if (typeof mod.handler !== 'function') throw new Error('no handler exported');
    const first = await mod.handler(events[0]);
    const t2 = performance.now();
    const second = await mod.handler(events[1]);
    const t3 = performance.now();
    process.stdout.write('\\nBENCH ' + JSON.stringify({ boot: t0, imported: t1, first: t2 - t1, second: t3 - t2, status: [first.statusCode, second.statusCode], body: [first.body, second.body] }) + '\\n');
    process.exit(0);
  `;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_LAMBDA_FUNCTION_NAME: 'pipewarden-bot',
    AWS_REGION: 'eu-west-1',
    APP_ID: String(APP_ID),
    PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: `127.0.0.1:${github.port}`,
    GHE_PROTOCOL: 'http',
    PIPEWARDEN_PIPELINES: 'demo-main,demo-feature',
    LOG_LEVEL: 'info',
    BENCH_BUNDLE: pathToFileURL(join(dir, 'index.js')).href,
  };
  const run = (argv: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number | null; wall: number; out: string; err: string }>((resolve, reject) => {
      const t0 = performance.now();
      const p = spawn(process.execPath, argv, {
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c));
      p.stderr.on('data', (c: Buffer) => (err += c));
      p.on('error', reject);
      p.on('close', (code: number | null) => resolve({ code, wall: performance.now() - t0, out, err }));
    });
  const baseline: number[] = [];
  const cold = {
    wall: [] as number[],
    boot: [] as number[],
    imported: [] as number[],
    first: [] as number[],
    second: [] as number[],
  };
  const before = github.stats.requests;
  for (let i = 0; i < RUNS; i++) {
    baseline.push((await run(['-e', '0'])).wall);
    const opened = structuredClone(payload);
    opened.pull_request.head.sha = sha40();
    const eventFile = join(tmp, `events-${i}.json`);
    writeFileSync(
      eventFile,
      JSON.stringify([await functionUrlEvent('delete', tag), await functionUrlEvent('pull_request', opened)]),
    );
    const r = await run(['--input-type=module', '-e', child], { BENCH_EVENT: eventFile });
    const line = r.out.split('\n').find((l) => l.startsWith('BENCH '));
    if (r.code !== 0 || !line) {
      fail(`cold start ${i}: exit ${r.code}: ${r.err.slice(0, 500)}`);
      continue;
    }
    const m = JSON.parse(line.slice(6)) as {
      boot: number;
      imported: number;
      first: number;
      second: number;
      status: number[];
      body: string[];
    };
    if (m.status.some((x) => x !== 200)) fail(`cold start ${i}: the handler answered ${m.status}: ${m.body}`);
    cold.wall.push(r.wall);
    cold.boot.push(m.boot);
    cold.imported.push(m.imported);
    cold.first.push(m.first);
    cold.second.push(m.second);
  }
  const requests = (github.stats.requests - before) / RUNS;
  rmSync(tmp, { recursive: true, force: true });
  await github.close();
  console.log(
    `\n    cold start, ${RUNS} fresh processes each (ms, min / median / max; node ${process.version})`,
  );
  table(
    ['what', 'ms'],
    [
      ['`node -e 0`, spawn to exit', mmm(baseline, 0)],
      ['process start → user code (Node bootstrap)', mmm(cold.boot, 0)],
      ['process start → dist/bot/index.js imported, handler exported', mmm(cold.imported, 0)],
      ['1st invocation: signed `delete` of a tag (the bot starts; no GitHub request)', mmm(cold.first, 0)],
      [
        `2nd invocation: signed pull_request.opened, ${fmt(requests, 0)} GitHub requests`,
        mmm(cold.second, 0),
      ],
      ['spawn → exit, whole cold run', mmm(cold.wall, 0)],
    ],
  );
  console.log(
    "    1st: awaits the bot's start (begun during import: credentials from the environment, Probot, the app loaded), verifies, handles.",
  );
  console.log(
    "    2nd: the JWT, the installation token, two check lookups, the config (repository, then the owner's .github), two check runs",
  );
  console.log(
    "    created; the bundle's Octokit spaces the two writes ≥ 1 s apart (throttling plugin), which is most of this time.",
  );
}

// ------------------------------------------------------------------ main
if (PART) {
  const parts: Record<string, () => Promise<void>> = { a: partA, b: partB, c: partC };
  if (!Object.hasOwn(parts, PART)) {
    console.error(`bench-bot: --part ${PART}: one of a, b, c`);
    process.exit(2);
  }
  await parts[PART]();
  process.exit(failed ? 1 : 0);
} else {
  console.log(
    `pipewarden bot benchmark — node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, ${new Date().toISOString()}`,
  );
  let code = 0;
  for (const p of ['a', 'b', 'c']) {
    // NODE_NO_WARNINGS: the AWS SDK's notice about Node < 22 would interleave with the tables.
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--part', p, ...args], {
      stdio: 'inherit',
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    if (r.status !== 0) code = 1;
  }
  process.exit(code);
}
