// Memory of one findings publication by the bot (what a CodePipeline "Gate finished" event runs:
// bot/handlers/publish-security-check.ts): the findings document read from S3, the check completed with its
// annotations and the PR comment written. Not a test: it prints figures used to size the bot's Lambda
// (infra/lib/stacks/bot-stack.ts, memorySize).
//
//   node --expose-gc --import tsx scripts/measure-bot-memory.ts [--findings 100000]
//
// The document is built by the engine (test/bot/helpers/findings.ts), stored as JSON in the local S3 fake
// (test/bot/helpers/fake-aws.ts); GitHub is test/bot/helpers/fake-github.ts (nock), Octokit's retry and
// throttling off. RSS is sampled every 5 ms during the publication; the figure that matters for Lambda is
// the peak, and (beside it) what the harness itself held before the publication started: building the
// document and holding its JSON in the fake S3 are the harness's, not the Lambda's.
import { Buffer } from 'node:buffer';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

const args = process.argv.slice(2);
const i = args.indexOf('--findings');
const COUNT = i >= 0 ? Number(args[i + 1]) : 100_000;
if (!Number.isInteger(COUNT) || COUNT < 0) {
  console.error(`measure-bot-memory: --findings ${args[i + 1]}: not a whole number`);
  process.exit(2);
}
const gc = globalThis.gc;
if (typeof gc !== 'function') {
  console.error('measure-bot-memory: run with node --expose-gc');
  process.exit(2);
}

// Loaded after the checks above (a wrong flag fails at once) and before the first RSS figure.
const { Probot } = await import('probot');
const { FakeGitHub } = await import('../test/bot/helpers/fake-github.js');
const { createFakeAws } = await import('../test/bot/helpers/fake-aws.js');
const { sarifDocument } = await import('../test/bot/helpers/findings.js');
const { APP_ID, PRIVATE_KEY, example, testSettings } = await import('../test/bot/helpers/harness.js');
const { publishSecurityCheck } = await import('../bot/handlers/publish-security-check.js');
const { executionFindingsKey } = await import('../findings/store/store-layout.js');
const { createOctokitClass } = await import('../bot/github/create-octokit.js');
const { createLogger } = await import('../bot/create-logger.js');

gc();
const loaded = process.memoryUsage().rss;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const pr = example<{
  installation: { id: number };
  repository: { full_name: string };
  pull_request: { number: number; head: { ref: string } };
}>('pull_request', 'opened');
const [owner, repo] = pr.repository.full_name.split('/');
const log = createLogger({ level: 'info', destination: { write: () => undefined } });
const Octokit = createOctokitClass().defaults((o: Record<string, object>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { ...o.throttle, enabled: false },
}));

const github = new FakeGitHub(APP_ID);
const aws = await createFakeAws({});
const sha = randomBytes(20).toString('hex');
const pipeline = 'demo-feature';
const executionId = randomUUID();
const body = JSON.stringify(
  sarifDocument(COUNT, {
    repo: `${owner}/${repo}`,
    commit: sha,
    branch: pr.pull_request.head.ref,
    pullRequest: pr.pull_request.number,
    pipeline,
    pipelineExecutionId: executionId,
  }),
);
const bytes = Buffer.byteLength(body);
aws.s3.objects.set(executionFindingsKey(`${owner}/${repo}`, pipeline, executionId), body);
const probot = new Probot({ appId: APP_ID, privateKey: PRIVATE_KEY, secret: 'unused', log, Octokit });
const octokit = await probot.auth(pr.installation.id);

gc();
const before = process.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
const t0 = performance.now();
const result = await publishSecurityCheck(
  { settings: testSettings(), aws: aws.clients, log, appId: APP_ID },
  octokit,
  { ref: { owner, repo }, sha, pipeline, executionId, pullRequests: [pr.pull_request.number] },
);
const ms = performance.now() - t0;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
github.close();
await aws.stop();
console.log(
  [
    `findings document: ${COUNT} findings, ${mb(bytes)} of JSON`,
    `publication: ${result.annotations} annotations, ${result.requests} GitHub requests, ${(ms / 1000).toFixed(1)} s`,
    `RSS with the bot, the engine and the test harness loaded (no document yet): ${mb(loaded)}`,
    `RSS before the publication (harness, fakes, the stored JSON): ${mb(before)}`,
    `RSS peak during the publication: ${mb(peak)} (+${mb(peak - before)})`,
    `process maxRSS (whole run, incl. building the document): ${mb(process.resourceUsage().maxRSS * 1024)}`,
  ].join('\n'),
);
