// `npm run simulate:org -- --repos 1000 --prs 20 --pushes 1`: an organisation's pull-request traffic replayed
// through the real bot (bot/app.ts, as test/bot/helpers/harness.ts runs it: signed webhooks through the
// Lambda's door, CodePipeline events through the Lambda's EventBridge path) against the local GitHub
// (test/bot/helpers/fake-github.ts: every request checked against GitHub's OpenAPI description) and the
// local AWS fakes. It counts every GitHub request by kind and by installation, and prints the hourly load
// against an installation's rate limits and the peak Security Hub import rate (docs/limits.md).
//
// A sample, not the whole day: every pull-request update costs the same requests whatever the number of
// repositories (no state is shared between repositories), so a sample of repositories × pull requests is
// run for real and the per-update and per-pull-request costs are extrapolated to the requested volume.
// Two sample sizes are run and must give the same per-update cost, which is what the extrapolation rests on.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errorMessage } from '../findings/errors.js';
import { SECURITY_HUB_LIMITS } from '../findings/publish/publish-security-hub.js';
import { executionFindingsKey } from '../findings/store/store-layout.js';
import type { Execution } from '../test/bot/helpers/fake-aws.js';
import { STAGES } from '../test/bot/helpers/fake-aws.js';
import { realDocument } from '../test/bot/helpers/findings.js';
import { example, PIPELINES, startHarness, type Harness } from '../test/bot/helpers/harness.js';

/** GitHub's documented limits (docs.github.com, "Rate limits for the REST API", "Rate limits for GitHub Apps"). */
export const GITHUB_LIMITS = {
  /** Installation access tokens: 5,000/h, +50/h per repository above 20 and per user above 20, at most 12,500/h. */
  installationBase: 5_000,
  installationMax: 12_500,
  perRepositoryAbove20: 50,
  perUserAbove20: 50,
  /** Secondary limits on content-creating requests. */
  contentPerMinute: 80,
  contentPerHour: 500,
  /** Secondary limit on concurrent requests (shared by REST and GraphQL). */
  concurrent: 100,
} as const;

/** An installation's hourly budget by GitHub's formula (Enterprise Cloud organisations get 15,000 instead). */
export function installationBudget(repositories: number, users = 0): number {
  const { installationBase, installationMax, perRepositoryAbove20, perUserAbove20 } = GITHUB_LIMITS;
  const extra =
    Math.max(0, repositories - 20) * perRepositoryAbove20 + Math.max(0, users - 20) * perUserAbove20;
  return Math.min(installationMax, installationBase + extra);
}

export interface SampleOptions {
  repos: number;
  /** Pull requests per repository. */
  prs: number;
  /** Pushes per pull request: the first opens it, the others are `synchronize` updates. */
  pushes: number;
  /** Bot instances (Lambda execution environments) the events are spread over (default 3). */
  instances?: number;
  /** Virtual minutes between two updates of one repository (default 24: 20 a day over 8 hours). */
  spacingMinutes?: number;
  /** Virtual minutes from a push to its gate's end (default 8). */
  buildMinutes?: number;
  /**
   * The rest of the organisation's traffic (default true): just before each event that reads the config,
   * another repository's pull-request webhook reaches the same instance (not counted), as thousands an hour
   * do at the target; its read of the organisation's `.github` is then in that instance's memory.
   */
  orgTraffic?: boolean;
}

/** The defaults of the instance and time model (docs/limits.md, "The simulation"). */
export const MODEL = { instances: 3, spacingMinutes: 24, buildMinutes: 8 } as const;

export interface SampleResult extends SampleOptions {
  updates: number;
  pullRequests: number;
  /** Requests by kind (`METHOD /template`), per pull-request update (webhook + its pipeline run). */
  perUpdate: Map<string, number>;
  /** Requests by kind per pull request for its merge: `pull_request.closed` and the main pipeline's run. */
  perPullRequest: Map<string, number>;
  /** Installation requests per merge by what caused them (main-pipeline events). */
  mergeSources: Map<string, number>;
  /** Installation requests per update by what caused them: the webhook, or a kind of pipeline event. */
  bySource: Map<string, number>;
  /** The bot's AWS calls by command, per update and per merged pull request. */
  awsPerUpdate: Map<string, number>;
  awsPerPullRequest: Map<string, number>;
  /** Requests by who made them: `installation <id>` or `app (JWT)`. */
  byInstallation: Map<string, number>;
  /**
   * Requests made with the App's JWT, by kind: the installation lookup (once per repository per bot
   * instance) and installation tokens (once an hour per installation per instance); not the installation's.
   */
  app: Map<string, number>;
  /** Requests of each phase in total (what the per-unit maps are divided from). */
  totals: { updates: number; close: number };
  /** Requests that broke GitHub's OpenAPI description or that the fake did not know. */
  violations: string[];
  pipelineEvents: number;
  /** Events of the main pipeline's runs (one per merged pull request). */
  mainEvents: number;
  findingsPerRun: number;
  /** Whether every update ended with both checks completed and the PR's comment written. */
  complete: boolean;
}

const CONTENT = new Set([
  'POST /repos/{owner}/{repo}/check-runs',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/code-scanning/sarifs',
]);
/** Requests that create content (GitHub's secondary limit): check runs, comments, SARIF uploads. */
export const isContentCreating = (kind: string) => CONTENT.has(kind);
/** Requests made with the App's JWT (the App's own limit, not the installation's). */
export const isAppRequest = (kind: string) =>
  kind === 'POST /app/installations/{installation_id}/access_tokens' ||
  kind === 'GET /repos/{owner}/{repo}/installation';

const sha = () => randomBytes(20).toString('hex');
const ORG = 'simulated-org';
const INSTALLATION = 1;

/**
 * The AWS calls the bot made so far, by command: CodePipeline's from the fake's request log, ECR's from its
 * aws-sdk-client-mock stub (its `send` records its calls), S3 a real client (counted by a middleware added
 * when the sample starts).
 */
function awsCalls(h: Harness, s3Calls: string[]): Map<string, number> {
  const stubbed = [
    ...h.aws.pipelines.operations(),
    ...(h.aws.clients.ecr.send as unknown as { getCalls(): { args: [{ constructor: { name: string } }] }[] })
      .getCalls()
      .map((call) => call.args[0].constructor.name.replace(/Command$/, '')),
  ];
  const counts = new Map<string, number>();
  count(counts, [...stubbed, ...s3Calls]);
  return counts;
}

/** Adds the calls made since `before` to `into`. */
function addSince(into: Map<string, number>, before: Map<string, number>, now: Map<string, number>): void {
  for (const [k, v] of now) if (v > (before.get(k) ?? 0)) count(into, [k], v - (before.get(k) ?? 0));
}

const kindOf = (r: { method: string; path: string; template?: string }) =>
  `${r.method} ${r.template ?? r.path}`;

function count(into: Map<string, number>, kinds: string[], weight = 1): void {
  for (const k of kinds) into.set(k, (into.get(k) ?? 0) + weight);
}

/**
 * Which bot instance gets each event, and when (virtual time). The events of one push (or merge) go round
 * the instances in turn, starting again at the first for each: the same spread for every push, so two
 * samples give the same cost per update. Action events other than a manual approval's start, which the
 * EventBridge rules do not send, take no turn (they reach the instance of the event before, and cost
 * nothing); the approval's start, which the bot follows, takes one.
 */
class Schedule {
  turn = 0;
  last = 0;
  constructor(
    readonly instances: number,
    readonly clock: { now: number },
  ) {}
  start(at: number): void {
    this.turn = 0;
    this.clock.now = Math.max(this.clock.now, at);
  }
  /** The instance the next event that takes a turn goes to. */
  peek(): number {
    return this.turn % this.instances;
  }
  next(kind: 'webhook' | 'execution' | 'stage' | 'action' | 'approval'): number {
    if (kind !== 'action') this.last = this.turn++ % this.instances;
    return this.last;
  }
  /** Moves virtual time on to `minutes` after `from` (never back). */
  at(from: number, minutes: number): void {
    this.clock.now = Math.max(this.clock.now, from + minutes * 60_000);
  }
}

/** Virtual minutes after the run's start at which each stage starts (the gate ends at `build`). */
function stageStart(stage: string, build: number): number {
  const times: Record<string, number> = {
    Source: 0.1,
    Build: 0.5,
    Gate: build - 1,
    Staging: build,
    Approval: build + 4,
    // A person approves after a while: the production deploy starts 15 minutes later.
    Production: build + 19,
  };
  return times[stage] ?? 0;
}

/** The CodePipeline events of one pipeline run, in order, as the EventBridge rule sends them. */
async function runPipeline(
  h: Harness,
  e: Execution,
  kind: 'feature' | 'main',
  bySource: Map<string, number>,
  schedule: Schedule,
  from: number,
  build: number,
  neighbour: (instance: number) => Promise<void>,
  counted: (r: Harness['github']['requests'][number]) => boolean,
): Promise<number> {
  let events = 0;
  const send = async (type: 'execution' | 'stage' | 'action', state: string, stage?: string) => {
    events++;
    // The events that may read the config: the execution's, the gate's end.
    if (type === 'execution' || (type === 'stage' && stage === 'Gate' && state !== 'STARTED'))
      await neighbour(schedule.peek());
    const before = h.github.requests.length;
    const approval = type === 'action' && stage === 'Approval' && state === 'STARTED';
    const result = await h.pipelineEvent(type, e, state, stage, schedule.next(approval ? 'approval' : type));
    const made = h.github.requests.slice(before).filter((r) => counted(r) && !isAppRequest(kindOf(r))).length;
    const where = stage === 'Gate' ? ' (Gate)' : approval ? ' (Approval started)' : '';
    count(bySource, [`${kind} ${type} event${where}`], made);
    // The bot passes over events that change nothing the checks show (their change shows at the next
    // event it follows); an execution event skipped means the simulation did not reach the bot's work.
    if (result.outcome === 'skipped' && type === 'execution')
      throw new Error(`simulate-org: event skipped: ${result.reason}`);
  };
  schedule.at(from, 0.05);
  await send('execution', 'STARTED');
  for (const stage of STAGES[kind]!) {
    schedule.at(from, stageStart(stage.name, build));
    if (stage.name !== 'Source') h.aws.pipelines.setStage(e, stage.name, 'InProgress');
    await send('stage', 'STARTED', stage.name);
    for (let i = 0; i < stage.actions.length; i++) await send('action', 'STARTED', stage.name);
    if (stage.name === 'Gate')
      // What the gate writes before it succeeds: the engine's document of real scanner reports.
      h.aws.s3.objects.set(
        executionFindingsKey(`${e.owner}/${e.repo}`, e.pipeline, e.id),
        JSON.stringify(
          realDocument({
            repo: `${e.owner}/${e.repo}`,
            commit: e.sha,
            branch: e.branch,
            pipeline: e.pipeline,
            pipelineExecutionId: e.id,
          }),
        ),
      );
    if (stage.name === 'Gate') schedule.at(from, build);
    if (stage.name !== 'Source') h.aws.pipelines.setStage(e, stage.name, 'Succeeded');
    for (let i = 0; i < stage.actions.length; i++) await send('action', 'SUCCEEDED', stage.name);
    await send('stage', 'SUCCEEDED', stage.name);
  }
  e.status = 'Succeeded';
  await send('execution', 'SUCCEEDED');
  return events;
}

/**
 * Runs `repos × prs` pull requests of `pushes` pushes each through the real bot: per push, the
 * `pull_request` webhook (opened, then synchronize), then the feature pipeline's run as CodePipeline's
 * pull-request trigger starts it (the default: the bot starts nothing), every stage and action event, the
 * gate's findings in the store; per pull request, `pull_request.closed` at the end.
 */
export async function runSample(options: SampleOptions): Promise<SampleResult> {
  const instances = options.instances ?? MODEL.instances;
  const spacing = options.spacingMinutes ?? MODEL.spacingMinutes;
  const build = options.buildMinutes ?? MODEL.buildMinutes;
  const clock = { now: Date.UTC(2026, 0, 5, 8) };
  const h = await startHarness({ instances, now: () => clock.now });
  const schedule = new Schedule(instances, clock);
  // Another repository of the organisation: its webhooks stand for the rest of the organisation's traffic.
  const others = new Set<Harness['github']['requests'][number]>();
  const counted = (r: Harness['github']['requests'][number]) => !others.has(r);
  /** The kinds of the installation's counted requests since `from` (the App's own JWT requests left out). */
  const installationKinds = (from: number) =>
    h.github.requests
      .slice(from)
      .filter(counted)
      .map(kindOf)
      .filter((k) => !isAppRequest(k));
  let neighbourPushes = 0;
  const neighbour = async (instance: number) => {
    if (options.orgTraffic === false) return;
    const from = h.github.requests.length;
    const full = `${ORG}/neighbour`;
    h.github.installations.set(full, INSTALLATION);
    const payload = example('pull_request', 'synchronize', (pr) => {
      pr.installation.id = INSTALLATION;
      pr.repository.name = 'neighbour';
      pr.repository.full_name = full;
      pr.repository.owner.login = ORG;
      pr.pull_request.head.sha = sha();
      pr.pull_request.number = ++neighbourPushes;
      pr.pull_request.head.repo = pr.repository;
      pr.pull_request.base.repo = pr.repository;
    });
    const answer = await h.send('pull_request', payload, { instance });
    if (answer.status !== 200) throw new Error(`simulate-org: webhook answered ${answer.status}`);
    for (const r of h.github.requests.slice(from)) if (!isAppRequest(kindOf(r))) others.add(r);
  };
  // Each update of a repository `spacing` minutes after the one before; the repositories one after another.
  let slot = clock.now;
  const nextSlot = () => {
    const at = Math.max(slot, clock.now);
    slot = at + spacing * 60_000;
    schedule.start(at);
    return at;
  };
  const s3Calls: string[] = [];
  h.aws.clients.s3.middlewareStack.add(
    (next, context) => (args) => {
      s3Calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'simulateOrgCount' },
  );
  const awsUpdate = new Map<string, number>();
  const awsMerge = new Map<string, number>();
  const updateKinds: string[] = [];
  const closeKinds: string[] = [];
  const byInstallation = new Map<string, number>();
  const bySource = new Map<string, number>();
  const tokenOwner = new Map<string, string>();
  let pipelineEvents = 0;
  let mainEvents = 0;
  const mergeSources = new Map<string, number>();
  let complete = true;
  const findingsPerRun = realDocument({ repo: `${ORG}/r`, commit: sha() }).findings.length;
  try {
    for (let r = 0; r < options.repos; r++) {
      const repo = `service-${r}`;
      const full = `${ORG}/${repo}`;
      h.github.installations.set(full, INSTALLATION);
      for (let p = 1; p <= options.prs; p++) {
        const branch = `feature/change-${p}`;
        for (let k = 0; k < options.pushes; k++) {
          const head = sha();
          h.github.pulls.set(head, [{ number: p, state: 'open', head: { sha: head, ref: branch } }]);
          const before = h.github.requests.length;
          const awsBefore = awsCalls(h, s3Calls);
          const payload = example('pull_request', k === 0 ? 'opened' : 'synchronize', (pr) => {
            pr.installation.id = INSTALLATION;
            pr.repository.name = repo;
            pr.repository.full_name = full;
            pr.repository.owner.login = ORG;
            pr.pull_request.number = p;
            pr.number = p;
            pr.pull_request.head.sha = head;
            pr.pull_request.head.ref = branch;
            pr.pull_request.head.repo = pr.repository;
            pr.pull_request.base.repo = pr.repository;
          });
          const pushedAt = nextSlot();
          await neighbour(schedule.peek());
          const answer = await h.send('pull_request', payload, { instance: schedule.next('webhook') });
          if (answer.status !== 200)
            throw new Error(`simulate-org: webhook answered ${answer.status}: ${answer.body}`);
          // CodePipeline's pull-request trigger starts the repository's feature pipeline at the head.
          const e = h.aws.pipelines.execute(PIPELINES.feature, { sha: head, owner: ORG, repo, branch });
          count(bySource, ['pull_request webhook'], installationKinds(before).length);
          pipelineEvents += await runPipeline(
            h,
            e,
            'feature',
            bySource,
            schedule,
            pushedAt,
            build,
            neighbour,
            counted,
          );
          updateKinds.push(...installationKinds(before));
          addSince(awsUpdate, awsBefore, awsCalls(h, s3Calls));
          const runs = h.github.runs(undefined, head);
          const commented = h.github.comments.some((c) => c.repo === full && c.issue === p);
          if (runs.length !== 2 || runs.some((x) => x.status !== 'completed') || !commented) complete = false;
        }
        const before = h.github.requests.length;
        const awsBefore = awsCalls(h, s3Calls);
        const mergeCommit = sha();
        const closed = example('pull_request', 'closed', (pr) => {
          pr.pull_request.merged = true;
          pr.pull_request.merge_commit_sha = mergeCommit;
          pr.installation.id = INSTALLATION;
          pr.repository.name = repo;
          pr.repository.full_name = full;
          pr.repository.owner.login = ORG;
          pr.pull_request.number = p;
          pr.number = p;
          pr.pull_request.head.ref = branch;
          pr.pull_request.head.repo = pr.repository;
        });
        const mergedAt = nextSlot();
        const answer = await h.send('pull_request', closed, { instance: schedule.next('webhook') });
        if (answer.status !== 200)
          throw new Error(`simulate-org: webhook answered ${answer.status}: ${answer.body}`);
        // The merge: the main pipeline runs at the merge commit, whose pull request is now closed.
        h.github.pulls.set(mergeCommit, [{ number: p, state: 'closed', head: { sha: sha(), ref: branch } }]);
        const main = h.aws.pipelines.execute(PIPELINES.main, { sha: mergeCommit, owner: ORG, repo });
        mainEvents += await runPipeline(
          h,
          main,
          'main',
          mergeSources,
          schedule,
          mergedAt,
          build,
          neighbour,
          counted,
        );
        if (h.github.runs(undefined, mergeCommit).some((x) => x.status !== 'completed')) complete = false;
        closeKinds.push(...installationKinds(before));
        addSince(awsMerge, awsBefore, awsCalls(h, s3Calls));
      }
    }
    // Who made each request: an installation token names its installation; the App's JWT is the App's.
    let tokens = 0;
    for (const r of h.github.requests) {
      const kind = kindOf(r);
      if (!counted(r)) continue;
      const auth = (r.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
      let who = 'app (JWT)';
      if (!isAppRequest(kind)) who = tokenOwner.get(auth) ?? `unknown token`;
      count(byInstallation, [who]);
      if (kind === 'POST /app/installations/{installation_id}/access_tokens')
        tokenOwner.set(`ghs_faketoken${++tokens}`, `installation ${r.path.split('/')[3]}`);
    }
    const app = new Map<string, number>();
    count(app, h.github.requests.map(kindOf).filter(isAppRequest));
    const updates = options.repos * options.prs * options.pushes;
    const pullRequests = options.repos * options.prs;
    const perUpdate = new Map<string, number>();
    count(perUpdate, updateKinds, 1 / updates);
    for (const [k, v] of bySource) bySource.set(k, v / updates);
    for (const [k, v] of mergeSources) mergeSources.set(k, v / pullRequests);
    const perPullRequest = new Map<string, number>();
    count(perPullRequest, closeKinds, 1 / pullRequests);
    const awsPerUpdate = new Map([...awsUpdate].map(([k, v]) => [k, v / updates]));
    const awsPerPullRequest = new Map([...awsMerge].map(([k, v]) => [k, v / pullRequests]));
    return {
      ...options,
      instances,
      spacingMinutes: spacing,
      buildMinutes: build,
      updates,
      pullRequests,
      perUpdate,
      perPullRequest,
      byInstallation,
      bySource,
      mergeSources,
      awsPerUpdate,
      awsPerPullRequest,
      app,
      totals: { updates: updateKinds.length, close: closeKinds.length },
      violations: [...h.github.violations],
      pipelineEvents,
      mainEvents,
      findingsPerRun,
      complete,
    };
  } finally {
    await h.close();
  }
}

const sum = (m: Map<string, number>, keep: (k: string) => boolean = () => true) =>
  [...m].filter(([k]) => keep(k)).reduce((a, [, v]) => a + v, 0);

export interface Projection {
  updatesPerDay: number;
  pullRequestsPerDay: number;
  /** Installation requests per update and per pull request (App JWT requests excluded). */
  perUpdate: number;
  perPullRequest: number;
  perDay: number;
  /** Requests per hour when the day's traffic falls in `hours` hours. */
  perHour: (hours: number) => number;
  contentPerDay: number;
  budget: number;
  /**
   * Security Hub: BatchImportFindings requests per main-branch run (the gate publishes the baseline branch
   * only, buildspecs/gate.yml) and per second when the day's merges fall in `hours` hours.
   */
  importsPerRun: number;
  importTps: (hours: number) => number;
}

/** The day's load from a sample's per-unit costs. */
export function project(
  s: SampleResult,
  org: { repos: number; prs: number; pushes: number; users?: number },
): Projection {
  const updatesPerDay = org.repos * org.prs * org.pushes;
  const pullRequestsPerDay = org.repos * org.prs;
  const installation = (k: string) => !isAppRequest(k);
  const perUpdate = sum(s.perUpdate, installation);
  const perPullRequest = sum(s.perPullRequest, installation);
  const perDay = perUpdate * updatesPerDay + perPullRequest * pullRequestsPerDay;
  const contentPerDay =
    sum(s.perUpdate, isContentCreating) * updatesPerDay +
    sum(s.perPullRequest, isContentCreating) * pullRequestsPerDay;
  const importsPerRun = Math.ceil(s.findingsPerRun / SECURITY_HUB_LIMITS.findingsPerBatch);
  return {
    updatesPerDay,
    pullRequestsPerDay,
    perUpdate,
    perPullRequest,
    perDay,
    perHour: (hours) => perDay / hours,
    contentPerDay,
    budget: installationBudget(org.repos, org.users),
    importsPerRun,
    importTps: (hours) => (pullRequestsPerDay / hours / 3600) * importsPerRun,
  };
}

const listed = (m: Map<string, number>) =>
  [...m]
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${fmt(n, 2)}`)
    .join(', ');
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(headers: string[], rows: (string | number)[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const HELP = `Usage: npm run simulate:org -- [options]

Replays an organisation's pull-request traffic through the bot against the local GitHub and AWS fakes,
and prints GitHub requests per hour against one installation's budget and the peak Security Hub rate.

  --repos N        repositories in the organisation (default 1000)
  --prs M          pull requests per repository per day (default 20)
  --pushes K       pushes per pull request, each a pull-request update and a feature-pipeline run
                   (default 1); every pull request is then merged: closed, and the main pipeline runs
  --users U        organisation members, for GitHub's installation budget (default 0)
  --working-hours H  hours the day's traffic falls in at the busy end (default 8)
  --sample R,P     the smaller sample run for real: R repositories × P pull requests (default 5,2);
                   the larger sample doubles both
  --instances N    bot instances (Lambda environments, each with its own memory) the events of each push
                   go round (default ${MODEL.instances}); the larger sample is also run with 1 for comparison
  --build-minutes B  virtual minutes from a push to its gate's end (default ${MODEL.buildMinutes}); updates of one
                   repository are spread evenly over the working hours
  --isolated       no other repository's events reach the instances: the organisation's .github config is
                   read afresh (by default another repository's webhook reaches an instance just before each
                   event that reads the config, as the rest of an organisation's traffic does)
  --help`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`simulate-org: --${name} ${value}: not a positive whole number; e.g. --${name} 10`);
  return n;
}

/** `run` runs one sample (runSample; a test passes one that also keeps the samples it ran). */
export async function main(argv: string[], run: typeof runSample = runSample): Promise<number> {
  const parse = () =>
    parseArgs({
      args: argv,
      options: {
        repos: { type: 'string' },
        prs: { type: 'string' },
        pushes: { type: 'string' },
        users: { type: 'string' },
        'working-hours': { type: 'string' },
        sample: { type: 'string' },
        instances: { type: 'string' },
        'build-minutes': { type: 'string' },
        isolated: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse());
  } catch (error) {
    // node:util's error (from another realm under jest, so read its message, not instanceof Error).
    const message = String((error as { message?: unknown }).message ?? error);
    throw new Error(`simulate-org: ${message}; see --help`, { cause: error });
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const org = {
    repos: positive('repos', values.repos, 1000),
    prs: positive('prs', values.prs, 20),
    pushes: positive('pushes', values.pushes, 1),
    users: values.users === undefined ? 0 : positive('users', values.users, 0),
  };
  const hours = positive('working-hours', values['working-hours'], 8);
  if (hours > 24) throw new Error(`simulate-org: --working-hours ${hours}: at most 24`);
  const [sr, sp, extra] = (values.sample ?? '5,2').split(',').map(Number);
  if (extra !== undefined || !Number.isInteger(sr) || !Number.isInteger(sp) || sr! < 1 || sp! < 1)
    throw new Error(
      `simulate-org: --sample ${values.sample}: expected repositories,pull requests as positive whole numbers, e.g. --sample 5,2`,
    );
  const model = {
    instances: positive('instances', values.instances, MODEL.instances),
    buildMinutes: positive('build-minutes', values['build-minutes'], MODEL.buildMinutes),
    // A repository's updates and merges, evenly over the working hours.
    spacingMinutes: (hours * 60) / (org.prs * (org.pushes + 1)),
    orgTraffic: !values.isolated,
  };
  const small = { repos: sr!, prs: sp!, pushes: org.pushes, ...model };
  const large = { ...small, repos: small.repos * 2, prs: small.prs * 2 };

  const samples: SampleResult[] = [];
  for (const size of [small, large]) {
    const started = Date.now();
    const s = await run(size);
    console.log(
      `sample ${s.repos} repositories × ${s.prs} pull requests × ${s.pushes} pushes: ${fmt(s.updates)} updates, ` +
        `${fmt(s.pipelineEvents)} + ${fmt(s.mainEvents)} (main) pipeline events, ${fmt(s.totals.updates + s.totals.close)} installation and ${fmt(sum(s.app))} App requests ` +
        `(${fmt((Date.now() - started) / 1000, 1)} s)`,
    );
    samples.push(s);
  }
  const [a, b] = samples as [SampleResult, SampleResult];
  const single = model.instances === 1 ? b : await run({ ...large, instances: 1 });
  const problems = [
    ...a.violations,
    ...b.violations,
    ...samples
      .filter((s) => !s.complete)
      .map((s) => `sample ${s.repos}×${s.prs}: an update was left unfinished`),
  ];
  const same = (x: Map<string, number>, y: Map<string, number>) =>
    x.size === y.size && [...x].every(([k, v]) => Math.abs((y.get(k) ?? NaN) - v) < 1e-9);
  const constant = same(a.perUpdate, b.perUpdate) && same(a.perPullRequest, b.perPullRequest);
  if (!constant)
    problems.push('the per-update cost differs between the two samples: the extrapolation does not hold');

  const kinds = [...new Set([...b.perUpdate.keys(), ...b.perPullRequest.keys()])].sort(
    (x, y) => (b.perUpdate.get(y) ?? 0) - (b.perUpdate.get(x) ?? 0),
  );
  console.log('\nGitHub requests (every one checked against GitHub’s OpenAPI description):');
  console.log(
    table(
      ['request', 'per update', 'per merged PR', 'limit'],
      kinds.map((k) => [
        k,
        fmt(b.perUpdate.get(k) ?? 0, 2),
        fmt(b.perPullRequest.get(k) ?? 0, 2),
        isContentCreating(k) ? 'installation, content-creating' : 'installation',
      ]),
    ),
  );
  console.log(
    `instances: ${model.instances} (events of each push round them in turn), ${fmt(model.spacingMinutes, 1)} min between a repository's updates, ` +
      `${model.buildMinutes} min to the gate's end, ${model.orgTraffic ? 'the rest of the organisation’s traffic' : 'no other repository’s traffic'}; with 1 instance: ${fmt(sum(single.perUpdate), 2)} per update, ${fmt(sum(single.perPullRequest), 2)} per merged PR`,
  );
  console.log(`per update, by cause: ${[...b.bySource].map(([k, n]) => `${k} ${fmt(n, 2)}`).join(', ')}`);
  console.log(
    `per merged PR, by cause: ${[...b.mergeSources].map(([k, n]) => `${k} ${fmt(n, 2)}`).join(', ')}`,
  );
  console.log(
    `the bot's AWS calls per update: ${listed(b.awsPerUpdate)}; per merged PR: ${listed(b.awsPerPullRequest)}`,
  );
  console.log(
    `by who (larger sample): ${[...b.byInstallation].map(([who, n]) => `${who} ${fmt(n)}`).join(', ')}; ` +
      `App (JWT), against the App's own limit: ${[...b.app].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')} ` +
      `for ${b.repos} repositories (a lookup per repository and a token per installation, per bot instance)`,
  );

  const p = project(b, org);
  const awsPerDay = sum(b.awsPerUpdate) * p.updatesPerDay + sum(b.awsPerPullRequest) * p.pullRequestsPerDay;
  const at = (h: number) => p.perHour(h);
  const verdict = (n: number, limit: number) =>
    n <= limit ? `fits (${fmt((100 * n) / limit)}%)` : `over by ${fmt(n - limit)} (${fmt(n / limit, 1)}×)`;
  console.log(
    `\n${fmt(org.repos)} repositories × ${org.prs} pull requests/day × ${org.pushes} pushes = ` +
      `${fmt(p.updatesPerDay)} updates/day (extrapolated from the samples: ${constant ? 'same' : 'DIFFERENT'} cost per update in both)`,
  );
  console.log(
    table(
      ['figure', `over ${hours} h`, 'over 24 h', 'limit', `verdict (${hours} h)`],
      [
        ['installation requests/h', fmt(at(hours)), fmt(at(24)), fmt(p.budget), verdict(at(hours), p.budget)],
        [
          'content-creating requests/h',
          fmt(p.contentPerDay / hours),
          fmt(p.contentPerDay / 24),
          fmt(GITHUB_LIMITS.contentPerHour),
          verdict(p.contentPerDay / hours, GITHUB_LIMITS.contentPerHour),
        ],
        [
          'content-creating requests/min',
          fmt(p.contentPerDay / hours / 60, 1),
          fmt(p.contentPerDay / 24 / 60, 1),
          fmt(GITHUB_LIMITS.contentPerMinute),
          verdict(p.contentPerDay / hours / 60, GITHUB_LIMITS.contentPerMinute),
        ],
        [
          'Security Hub imports/s',
          fmt(p.importTps(hours), 2),
          fmt(p.importTps(24), 2),
          fmt(SECURITY_HUB_LIMITS.requestsPerSecond),
          verdict(p.importTps(hours), SECURITY_HUB_LIMITS.requestsPerSecond),
        ],
      ],
    ),
  );
  console.log(
    `per update: ${fmt(p.perUpdate, 2)} installation requests; per merged pull request (closing, main pipeline): ${fmt(p.perPullRequest, 2)}; ` +
      `installation budget ${fmt(p.budget)}/h = min(12,500, 5,000 + 50 × (repositories − 20) + 50 × (users − 20))`,
  );
  console.log(
    `Security Hub: ${fmt(b.findingsPerRun)} findings per run (test/fixtures reports) → ${p.importsPerRun} ` +
      `BatchImportFindings of ≤ ${SECURITY_HUB_LIMITS.findingsPerBatch} per main-branch run (every pull request merged; feature runs publish nothing); ` +
      `${fmt(p.pullRequestsPerDay / hours, 0)} main runs/h at the busy end`,
  );
  console.log(
    `the bot's AWS calls: ${fmt(awsPerDay / hours / 3600, 1)}/s over ${hours} h, ${fmt(awsPerDay / 86400, 1)}/s over 24 h ` +
      `(CodePipeline reads and S3 GetObject, one account and region: compare with its Service Quotas)`,
  );
  const target = project(b, { repos: 1000, prs: 20, pushes: 1 });
  console.log(
    `target (1,000 repositories × 20 updates/day, one installation): ${fmt(target.perHour(hours))}/h over ${hours} h, ` +
      `${fmt(target.perHour(24))}/h over 24 h, budget ${fmt(target.budget)}/h: ${verdict(target.perHour(hours), target.budget)}`,
  );
  for (const problem of problems) console.error(`simulate-org: ${problem}`);
  return problems.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(errorMessage(error));
      process.exit(2);
    },
  );
