import { PIPELINE_EVENT_SOURCE, PIPELINE_EVENT_TYPES } from '../../../pipeline/contracts.js';
import { sign } from '@octokit/webhooks-methods';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, Probot } from 'probot';
import { createApp, createPipelineEventHandler, type BotOptions } from '../../../bot/app.js';
import { createLogger } from '../../../bot/create-logger.js';
import { createOctokitClass } from '../../../bot/github/create-octokit.js';
import type { SyncResult } from '../../../bot/handlers/sync-pipeline-check.js';
import type { BotSettings } from '../../../bot/settings.js';
import { createFakeAws, REGION, STAGES, type Execution, type FakeAws } from './fake-aws.js';
import { FakeGitHub } from './fake-github.js';
import { functionUrlDoor } from './function-url-door.js';
import { testKeyPair } from '../../support/test-keys.js';

export const APP_ID = 4242;
export const WEBHOOK_SECRET = `whsec-${randomUUID()}`;
// A real key: Probot signs its JWT with it, so the App authentication path runs as in production.
export const PRIVATE_KEY = testKeyPair('app').privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

const require = createRequire(import.meta.url);
type Example = { name: string; examples: Record<string, unknown>[] };
let examples: Example[] | undefined;

/**
 * A real webhook payload from @octokit/webhooks-examples (one with an installation), deep-copied;
 * `change` adapts it where the examples lack a case (a branch deletion, our own check run).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- payloads are JSON that tests adapt freely */
export function example<T = Record<string, any>>(
  name: string,
  action?: string,
  change?: (p: any) => void,
): T {
  examples ??= require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
  const found = examples
    .find((e) => e.name === name)
    ?.examples.find((p) => (action === undefined || p.action === action) && p.installation);
  if (!found) throw new Error(`no ${name}.${action} example with an installation`);
  const copy = structuredClone(found);
  change?.(copy);
  return copy as T;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const PIPELINES = { main: 'demo-main', feature: 'demo-feature' } as const;

export function testSettings(overrides: Partial<BotSettings> = {}): BotSettings {
  return {
    region: REGION,
    findingsBucket: 'pipewarden-findings',
    pipelines: [PIPELINES.main, PIPELINES.feature],
    featurePipeline: PIPELINES.feature,
    ecrRepository: 'demo/app',
    sourceAction: 'Source',
    gateStage: 'Gate',
    problems: [],
    ...overrides,
  };
}

export interface Harness {
  probot: Probot;
  github: FakeGitHub;
  aws: FakeAws;
  /** Every log line, as written (JSON). */
  logs: string[];
  /** The webhook URL on 127.0.0.1. */
  url: string;
  options: BotOptions;
  /**
   * POSTs a signed delivery over HTTP; `signature: null` sends none, a string sends that one; `instance`:
   * which bot instance receives it (see `instances`).
   */
  send(
    name: string,
    payload: object,
    opts?: { id?: string; signature?: string | null; secret?: string; instance?: number },
  ): Promise<{ status: number; body: string }>;
  /** Hands a delivery to Probot directly (no HTTP, no signature). */
  receive(name: string, payload: object, id?: string): Promise<void>;
  /** A CodePipeline EventBridge event for this execution, through the Lambda's pipeline-event path. */
  pipelineEvent(
    kind: 'execution' | 'stage' | 'action',
    execution: Execution,
    state: string,
    stage?: string,
    instance?: number,
  ): Promise<SyncResult>;
  /** How many bot instances (Lambda execution environments) there are, each with its own memory. */
  instances: number;
  /** Moves the clock of the bot's caches on (unless `now` was given): a config change shows after its TTL. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * An action event's action and type: the stage's first action, with the category the fake's pipelines
 * declare (test/support/codepipeline-fake.ts: Source, Approval, else Build), as CodePipeline sends them.
 */
function actionOf(stage: string): { action: string; type: { owner: string; category: string } } {
  const action = Object.values(STAGES)
    .flat()
    .find((s) => s.name === stage)?.actions[0];
  const category = stage === 'Source' ? 'Source' : stage === 'Approval' ? 'Approval' : 'Build';
  return { action: action ?? stage, type: { owner: 'AWS', category } };
}

/** Probot with the app's Octokit, its retries and throttling off (tests are fast). */
function newProbot(log: ReturnType<typeof createLogger>): Probot {
  return new Probot({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    secret: WEBHOOK_SECRET,
    log,
    // A function, not an object: Probot merges its own throttle options over object defaults.
    Octokit: createOctokitClass().defaults((o: Record<string, object>) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...o.throttle, enabled: false },
    })),
  });
}

/**
 * The bot as deployed, minus the outside world: a Probot with the app loaded (real App auth with a
 * generated key, Octokit with retries and throttling off so tests are fast), an HTTP server on 127.0.0.1
 * that is either the Lambda's webhook door (Function URL events → receiveWebhook) or Probot's own Node
 * middleware (what `npm start` serves), GitHub faked at the HTTP boundary, AWS faked by the SDK mocks.
 */
export async function startHarness(
  opts: {
    settings?: Partial<BotSettings>;
    server?: 'lambda' | 'probot';
    pipelines?: Record<string, keyof typeof STAGES>;
    /**
     * Bot instances, each a Probot with the app loaded, its own server and pipeline-event handler and its
     * own memory (installation tokens, check runs, config), as separate Lambda environments have (default 1).
     */
    instances?: number;
    /** The clock of the bot's caches (the simulation's virtual time). */
    now?: () => number;
  } = {},
): Promise<Harness> {
  const github = new FakeGitHub(APP_ID);
  const aws = await createFakeAws(
    opts.pipelines ?? { [PIPELINES.main]: 'main', [PIPELINES.feature]: 'feature' },
  );
  const logs: string[] = [];
  const log = createLogger({
    level: 'trace',
    destination: { write: (line: string) => void logs.push(line) },
  });
  const probot = newProbot(log);
  let offset = 0;
  const options: BotOptions = {
    settings: testSettings(opts.settings),
    aws: aws.clients,
    appId: APP_ID,
    now: opts.now ?? (() => Date.now() + offset),
  };
  let server: Server;
  if (opts.server === 'probot') {
    const middleware = await createNodeMiddleware(createApp(options), {
      probot,
      webhooksPath: '/api/github/webhooks',
    });
    server = createServer((req, res) => {
      void middleware(req, res, () => res.writeHead(404).end());
    });
  } else {
    await probot.load(createApp(options));
    server = createServer(functionUrlDoor(probot));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.server === 'probot' ? '/api/github/webhooks' : '/'}`;
  const onPipelineEvent = createPipelineEventHandler(probot, options);
  // Further instances: the Lambda's door each, their own options object (so their own caches).
  const others: { server: Server; url: string; onPipelineEvent: typeof onPipelineEvent }[] = [];
  for (let i = 1; i < (opts.instances ?? 1); i++) {
    const p = newProbot(log);
    const o = { ...options };
    await p.load(createApp(o));
    const s = createServer(functionUrlDoor(p));
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    others.push({
      server: s,
      url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`,
      onPipelineEvent: createPipelineEventHandler(p, o),
    });
  }
  const at = (instance = 0) => {
    if (instance === 0) return { url, onPipelineEvent };
    const other = others[instance - 1];
    if (!other) throw new Error(`harness: no bot instance ${instance} (instances: ${others.length + 1})`);
    return other;
  };

  return {
    probot,
    github,
    aws,
    logs,
    url,
    options,
    async send(name, payload, o = {}) {
      const body = JSON.stringify(payload);
      const signature =
        o.signature === null ? undefined : (o.signature ?? (await sign(o.secret ?? WEBHOOK_SECRET, body)));
      const response = await fetch(at(o.instance).url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': name,
          'x-github-delivery': o.id ?? randomUUID(),
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });
      return { status: response.status, body: await response.text() };
    },
    receive: (name, payload, id) =>
      probot.receive({ id: id ?? randomUUID(), name: name as never, payload: payload as never }),
    instances: others.length + 1,
    advance: (ms) => void (offset += ms),
    pipelineEvent: (kind, execution, state, stage, instance) =>
      at(instance).onPipelineEvent({
        version: '0',
        id: randomUUID(),
        'detail-type': PIPELINE_EVENT_TYPES[kind],
        source: PIPELINE_EVENT_SOURCE,
        account: '123456789012',
        time: new Date().toISOString(),
        region: REGION,
        resources: [`arn:aws:codepipeline:${REGION}:123456789012:${execution.pipeline}`],
        detail: {
          pipeline: execution.pipeline,
          'execution-id': execution.id,
          state,
          version: 1,
          ...(stage ? { stage } : {}),
          ...(kind === 'action' && stage ? actionOf(stage) : {}),
        },
      }),
    async close() {
      for (const s of [server, ...others.map((o) => o.server)])
        await new Promise<void>((resolve) => s.close(() => resolve()));
      github.close();
      await aws.stop();
    },
  };
}
