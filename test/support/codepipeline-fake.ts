import * as codepipeline from '@aws-sdk/client-codepipeline';
import type { PipelineDeclaration, StageDeclaration } from '@aws-sdk/client-codepipeline';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../pipeline/contracts.js';
import { modelViolations, type MemberLimit, type StaticSchema } from './aws-model.js';

/*
 * The CodePipeline API model the fakes hold every request to (issue 14): members, required members and
 * types come from the SDK client's own schema (@aws-sdk/client-codepipeline's `<Operation>Input$`, generated
 * from the service model), the limits the model states as constraints from the CodePipeline API Reference
 * (docs.aws.amazon.com/codepipeline/latest/APIReference, the API_<Operation>.html and API_<Shape>.html pages),
 * which the SDK does not carry. A fake answering a request that CodePipeline would refuse would let a bug
 * through: the fakes answer these with CodePipeline's ValidationException instead.
 */

/** Constraints the API Reference states, by the member's path (`Shape.member`). */
const LIMITS: Record<string, MemberLimit> = {
  // API_StartPipelineExecution.html
  'StartPipelineExecutionInput.name': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'StartPipelineExecutionInput.clientRequestToken': { min: 1, max: 128, pattern: /^[a-zA-Z0-9-]+$/ },
  'StartPipelineExecutionInput.variables': { min: 1, max: 50 },
  'StartPipelineExecutionInput.sourceRevisions': { max: 50 },
  // API_PipelineVariable.html
  'PipelineVariable.name': { min: 1, max: 128, pattern: /^[A-Za-z0-9@_-]+$/ },
  'PipelineVariable.value': { min: 1, max: 1000 },
  // API_SourceRevisionOverride.html
  'SourceRevisionOverride.actionName': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'SourceRevisionOverride.revisionType': {
    values: ['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY'],
  },
  'SourceRevisionOverride.revisionValue': { min: 1, max: 1500 },
  // API_StopPipelineExecution.html
  'StopPipelineExecutionInput.pipelineName': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'StopPipelineExecutionInput.pipelineExecutionId': { pattern: /^[0-9a-f-]{36}$/ },
  'StopPipelineExecutionInput.reason': { max: 200 },
  // API_GetPipelineExecution.html, API_ListActionExecutions.html, API_ListPipelineExecutions.html
  'GetPipelineExecutionInput.pipelineExecutionId': { pattern: /^[0-9a-f-]{36}$/ },
  'ListActionExecutionsInput.maxResults': { min: 1, max: 100 },
  'ListPipelineExecutionsInput.maxResults': { min: 1, max: 100 },
  'PutApprovalResultInput.token': { pattern: /^[0-9a-f-]{36}$/ },
  // API_ApprovalResult.html
  'ApprovalResult.summary': { min: 0, max: 512 },
  'ApprovalResult.status': { values: ['Approved', 'Rejected'] },
};

/**
 * Every way `input` breaks the model of `operation`'s request (e.g. `reason: must be at most 200 long`),
 * or [] when CodePipeline would accept it.
 */
export function codePipelineRequestProblems(operation: string, input: unknown): string[] {
  const schema = (codepipeline as unknown as Record<string, StaticSchema | undefined>)[`${operation}Input$`];
  if (!schema) return [`${operation}: not an operation of CodePipeline`];
  return modelViolations(schema, input ?? {}, LIMITS);
}

/*
 * The one CodePipeline fake (issue 14): a local CodePipeline on 127.0.0.1 speaking the service's JSON 1.1
 * protocol (POST /, X-Amz-Target: CodePipeline_20150709.<Operation>, timestamps as epoch seconds, errors as
 * {"__type", "message"}). The action's bundle and the demo reach it through AWS_ENDPOINT_URL_CODEPIPELINE,
 * the bot and the shared pipeline/ helpers through `client()`. Every request is held to the model above
 * first. An execution is live state (status, actions) a test moves with `setStage`/`progress`, or plays a
 * script of frames: each GetPipelineExecution moves it one frame on, so a whole run is followed without
 * depending on timing.
 */

const TARGET_PREFIX = 'CodePipeline_20150709.';
/** Where the fake's clock starts, in epoch seconds. */
const EPOCH = Date.UTC(2025, 5, 2, 9, 30, 0) / 1000;
export const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
/** The GitHub connection the fake pipelines' Source actions read through. */
export const CONNECTION_ARN = `arn:aws:codeconnections:${REGION}:${ACCOUNT}:connection/7d4b1a52-6f0e-4c3a-9b8d-2e1f0a9c8b7d`;

export interface FakeAction {
  stage: string;
  action: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
  provider?: string;
  /** Seconds after the execution started. */
  start: number;
  end?: number;
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  summary?: string;
  error?: { code: string; message: string };
  /** Leave the result out of ListActionExecutions (as the service does for running actions). */
  hideResult?: boolean;
  /** A manual approval's token while it waits. */
  token?: string;
}

export type ExecutionStatus =
  'InProgress' | 'Succeeded' | 'Failed' | 'Stopped' | 'Stopping' | 'Superseded' | 'Cancelled';

export interface Frame {
  status: ExecutionStatus;
  statusSummary?: string;
  actions: FakeAction[];
}

export interface FakeExecution {
  id: string;
  pipeline: string;
  status: ExecutionStatus;
  statusSummary?: string;
  actions: FakeAction[];
  /** The commit the Source action read ('' when the request named none), and where from. */
  sha: string;
  owner: string;
  repo: string;
  /** What the Source action reports as BranchName. */
  branch: string;
  variables: Record<string, string>;
  /** Epoch seconds. */
  startedAt: number;
  request: Record<string, unknown>;
  /** The script this execution plays, one frame per GetPipelineExecution; none: moved by the test. */
  frames?: Frame[];
  index: number;
  stopRequest?: Record<string, unknown>;
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
  at: number;
}

export type ErrorAnswer = { status: number; type: string; message: string };

/** An error as CodePipeline answers it; the server sends any thrown error's name as its __type. */
const serviceError = (type: string, message: string) => Object.assign(new Error(message), { name: type });

type ActionSpec = [
  name: string,
  category: string,
  provider: string,
  config?: Record<string, string>,
  runOrder?: number,
];

function stage(name: string, actions: ActionSpec[]): StageDeclaration {
  return {
    name,
    actions: actions.map(([n, category, provider, configuration, runOrder]) => ({
      name: n,
      actionTypeId: { category: category as 'Source', owner: 'AWS' as const, provider, version: '1' },
      runOrder: runOrder ?? 1,
      configuration: configuration ?? {},
    })),
  };
}

/** A V2 pipeline like infra/'s feature pipeline as the action's tests know it: source, build, scans, gate. */
export function featurePipeline(name = 'pipewarden-feature'): PipelineDeclaration {
  return {
    name,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/pipeline`,
    version: 3,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    variables: [{ name: 'PULL_REQUEST', defaultValue: 'none' }],
    stages: [
      stage('Source', [
        [
          'Source',
          'Source',
          'CodeStarSourceConnection',
          { FullRepositoryId: 'acme/shop', BranchName: 'main' },
        ],
      ]),
      stage('Build', [['Compile', 'Build', 'CodeBuild']]),
      stage('Scan', [
        ['Sast', 'Test', 'CodeBuild'],
        ['Sbom', 'Test', 'CodeBuild'],
      ]),
      stage('Gate', [['Gate', 'Test', 'CodeBuild', {}, 2]]),
    ],
  };
}

/** Stages of the CDK app's pipelines (infra/lib/constructs/app-pipeline.ts), by kind. */
export const STAGES: Record<string, { name: string; actions: string[] }[]> = {
  feature: [
    { name: 'Source', actions: ['Source'] },
    { name: 'Build', actions: ['Test', 'Snyk', 'Inspector', 'Image'] },
    { name: 'Gate', actions: ['Gate'] },
  ],
  main: [
    { name: 'Source', actions: ['Source'] },
    { name: 'Build', actions: ['Test', 'Snyk', 'Inspector', 'Image'] },
    { name: 'Gate', actions: ['Gate'] },
    { name: 'Staging', actions: ['Deploy'] },
    { name: 'Approval', actions: ['Approve'] },
    { name: 'Production', actions: ['Deploy'] },
  ],
};

const categoryOf = (stageName: string) =>
  stageName === 'Source' ? 'Source' : stageName === 'Approval' ? 'Approval' : 'Build';
const PROVIDERS: Record<string, string> = {
  Source: 'CodeStarSourceConnection',
  Approval: 'Manual',
  Build: 'CodeBuild',
};

/** A pipeline as the CDK app declares it: its kind's stages, the GitHub source, the bot's variables. */
export function appPipeline(
  name: string,
  kind: keyof typeof STAGES,
  defaultBranch = 'main',
): PipelineDeclaration {
  const source = {
    FullRepositoryId: 'Codertocat/Hello-World',
    BranchName: defaultBranch,
    ConnectionArn: CONNECTION_ARN,
  };
  return {
    name,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/pipeline`,
    version: 1,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    variables: Object.values(PIPELINE_VARIABLES).map((v) => ({ name: v, defaultValue: VARIABLE_NOT_SET })),
    stages: STAGES[kind]!.map((s) =>
      stage(
        s.name,
        s.actions.map((a): ActionSpec => [
          a,
          categoryOf(s.name),
          PROVIDERS[categoryOf(s.name)]!,
          s.name === 'Source' ? source : {},
        ]),
      ),
    ),
  };
}

/** Frames of a successful run of featurePipeline(): one transition a frame. */
export function successFrames(): Frame[] {
  const src: FakeAction = {
    stage: 'Source',
    action: 'Source',
    status: 'InProgress',
    provider: 'CodeStarSourceConnection',
    start: 0,
  };
  const build: FakeAction = {
    stage: 'Build',
    action: 'Compile',
    status: 'InProgress',
    provider: 'CodeBuild',
    start: 3,
    externalExecutionId: 'shop-build:1111-2222',
    hideResult: true,
  };
  const done = (a: FakeAction, end: number, extra: Partial<FakeAction> = {}): FakeAction => ({
    ...a,
    status: 'Succeeded',
    end,
    hideResult: false,
    ...extra,
  });
  const scan = (action: string, id: string): FakeAction => ({
    stage: 'Scan',
    action,
    status: 'InProgress',
    provider: 'CodeBuild',
    start: 70,
    externalExecutionId: id,
  });
  const sast = scan('Sast', 'shop-sast:3333');
  const sbom = scan('Sbom', 'shop-sbom:4444');
  const gate: FakeAction = {
    stage: 'Gate',
    action: 'Gate',
    status: 'InProgress',
    provider: 'CodeBuild',
    start: 130,
    externalExecutionId: 'shop-gate:5555',
  };
  const source = done(src, 2, { summary: 'Merge pull request #7' });
  return [
    { status: 'InProgress', actions: [] },
    { status: 'InProgress', actions: [src] },
    { status: 'InProgress', actions: [source, build] },
    { status: 'InProgress', actions: [source, done(build, 65), sast, sbom] },
    { status: 'InProgress', actions: [source, done(build, 65), done(sast, 120), done(sbom, 125), gate] },
    {
      status: 'Succeeded',
      actions: [
        source,
        done(build, 65),
        done(sast, 120),
        done(sbom, 125),
        done(gate, 140, { summary: 'gate passed: 0 new findings' }),
      ],
    },
  ];
}

/** Frames of a run whose SAST scan fails. */
export function failureFrames(
  message = 'gate FAILED: 2 new HIGH findings (CWE-89 in src/db.ts:14)',
): Frame[] {
  const ok = successFrames();
  const before = ok[3]!.actions;
  return [
    ...ok.slice(0, 4),
    {
      status: 'Failed',
      statusSummary: 'Action Sast failed',
      actions: [
        ...before.filter((a) => a.action !== 'Sast' && a.action !== 'Sbom'),
        { ...before.find((a) => a.action === 'Sbom')!, status: 'Succeeded', end: 100 },
        {
          ...before.find((a) => a.action === 'Sast')!,
          status: 'Failed',
          end: 110,
          error: { code: 'JobFailed', message },
        },
      ],
    },
  ];
}

/** An execution that never ends (for cancel and timeout). */
export function endlessFrames(): Frame[] {
  return [
    { status: 'InProgress', actions: [] },
    {
      status: 'InProgress',
      actions: [
        {
          stage: 'Source',
          action: 'Source',
          status: 'InProgress',
          provider: 'CodeStarSourceConnection',
          start: 0,
        },
      ],
    },
  ];
}

export interface FakeCodePipelineOptions {
  /** The pipelines it knows (default: featurePipeline()). */
  pipelines?: PipelineDeclaration[];
  /** The script a started execution plays (default: successFrames); null: it waits for the test. */
  frames?: (() => Frame[]) | null;
}

export class FakeCodePipeline {
  readonly server: Server;
  url = '';
  readonly requests: RecordedRequest[] = [];
  readonly pipelines = new Map<string, PipelineDeclaration>();
  readonly executions = new Map<string, FakeExecution>();
  /** StartPipelineExecution requests, stops and approval results the service accepted. */
  readonly started: Record<string, unknown>[] = [];
  readonly stopped: { pipeline: string; executionId: string; reason?: string }[] = [];
  readonly approvals: { token: string; status: string; summary: string }[] = [];
  /** Requests refused for breaking the model: `Operation: problem`. */
  readonly rejected: string[] = [];
  /** ListActionExecutions / ListPipelineExecutions page size (small ones test paging). */
  pageSize = 100;
  /** The script a new execution plays; null: it waits for the test's setStage/progress. */
  frames: (() => Frame[]) | null;
  /** Answer request n (1-based, per operation) with an error instead. */
  failWith: (operation: string, n: number, body: Record<string, unknown>) => ErrorAnswer | undefined = () =>
    undefined;
  private readonly counts = new Map<string, number>();
  private readonly tokens = new Map<string, string>();
  private clock = EPOCH;

  constructor(options: FakeCodePipelineOptions = {}) {
    for (const p of options.pipelines ?? [featurePipeline()]) this.pipelines.set(p.name!, p);
    this.frames = options.frames === undefined ? successFrames : options.frames;
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) =>
        this.send(res, 500, { __type: 'InternalFailure', message: String(error) }),
      );
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A real SDK client reaching this fake (one attempt: a test injects a failure once). */
  client(): codepipeline.CodePipelineClient {
    return new codepipeline.CodePipelineClient({
      region: REGION,
      endpoint: this.url,
      credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' },
      maxAttempts: 1,
    });
  }

  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  calls(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  /** Resolves once `operation` has been called `count` times. */
  async waitFor(operation: string, count = 1, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.calls(operation).length < count) {
      if (Date.now() > until)
        throw new Error(
          `fake CodePipeline: ${operation} not called ${count}× (got ${this.operations().join(', ')})`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private tick(): number {
    return this.clock++;
  }

  private declaration(name: unknown): PipelineDeclaration {
    const p = this.pipelines.get(String(name));
    if (!p)
      throw serviceError(
        'PipelineNotFoundException',
        `Account '${ACCOUNT}' does not have a pipeline with name '${String(name)}'`,
      );
    return p;
  }

  /**
   * A new execution of `pipeline` at `run.sha`: scripted by `run.frames`, or (none) waiting for the test
   * with its source done.
   */
  execute(
    pipeline: string,
    run: {
      sha: string;
      owner?: string;
      repo?: string;
      branch?: string;
      variables?: Record<string, string>;
      frames?: Frame[];
      id?: string;
      request?: Record<string, unknown>;
    },
  ): FakeExecution {
    const p = this.declaration(pipeline);
    const config = p.stages?.[0]?.actions?.[0]?.configuration ?? {};
    const [owner, repo] = (config.FullRepositoryId ?? 'Codertocat/Hello-World').split('/') as [
      string,
      string,
    ];
    const e: FakeExecution = {
      id: run.id ?? randomUUID(),
      pipeline,
      status: 'InProgress',
      actions: [],
      sha: run.sha,
      owner: run.owner ?? owner,
      repo: run.repo ?? repo,
      branch: run.branch ?? config.BranchName ?? 'main',
      variables: {
        ...Object.fromEntries((p.variables ?? []).map((v) => [v.name!, v.defaultValue ?? ''])),
        ...run.variables,
      },
      startedAt: this.tick(),
      request: run.request ?? {},
      index: 0,
      ...(run.frames ? { frames: run.frames } : {}),
    };
    this.executions.set(e.id, e);
    if (e.frames) this.play(e, 0);
    else this.setStage(e, 'Source', 'Succeeded');
    return e;
  }

  /**
   * An execution of a declared pipeline playing `frames` from the first, started at the fake's epoch
   * (2025-06-02T09:30Z): its actions' `start` are seconds after that.
   */
  addExecution(run: { id: string; pipeline: string; frames: Frame[]; sha?: string }): FakeExecution {
    const e = this.execute(run.pipeline, { sha: run.sha ?? '', id: run.id, frames: run.frames });
    e.startedAt = EPOCH;
    return e;
  }

  byId(id: string): FakeExecution | undefined {
    return this.executions.get(id);
  }

  /** Moves a scripted execution to frame `index`. */
  private play(e: FakeExecution, index: number): void {
    const frame = e.frames![index]!;
    e.index = index;
    e.status = frame.status;
    if (frame.statusSummary === undefined) delete e.statusSummary;
    else e.statusSummary = frame.statusSummary;
    e.actions = frame.actions;
  }

  /** Puts every action of a stage in `status` (an approval in progress gets a token). */
  setStage(e: FakeExecution, stageName: string, status: FakeAction['status'], summary?: string): void {
    const def = this.declaration(e.pipeline).stages?.find((s) => s.name === stageName);
    if (!def) throw new Error(`fake CodePipeline: ${e.pipeline} has no stage ${stageName}`);
    for (const { name, actionTypeId } of def.actions ?? []) {
      e.actions = e.actions.filter((a) => !(a.stage === stageName && a.action === name));
      const run: FakeAction = {
        stage: stageName,
        action: name!,
        status,
        provider: actionTypeId?.provider,
        start: this.tick() - e.startedAt,
      };
      if (summary) run.summary = summary;
      if (categoryOf(stageName) === 'Build')
        run.externalExecutionUrl = `https://console.aws.amazon.com/codebuild/${name}`;
      if (stageName === 'Approval' && status === 'InProgress') {
        run.token = randomUUID();
        this.tokens.set(run.token, e.id);
      }
      e.actions.push(run);
    }
  }

  /** Runs the stages in order up to and including `until`, which ends in `status`. */
  progress(e: FakeExecution, until: string, status: FakeAction['status'] = 'Succeeded'): void {
    for (const s of this.declaration(e.pipeline).stages ?? []) {
      if (s.name === 'Source') continue;
      this.setStage(e, s.name!, s.name === until ? status : 'Succeeded');
      if (s.name === until) break;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX))
      return this.send(res, 400, { __type: 'UnknownOperationException', message: `bad target ${target}` });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return this.send(res, 400, { __type: 'SerializationException', message: 'content-type' });
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential='))
      return this.send(res, 403, { __type: 'MissingAuthenticationTokenException', message: 'not signed' });
    const operation = target.slice(TARGET_PREFIX.length);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.requests.push({ operation, body, at: Date.now() });
    const n = (this.counts.get(operation) ?? 0) + 1;
    this.counts.set(operation, n);
    // The model first: what CodePipeline would refuse is never answered.
    const problems = codePipelineRequestProblems(operation, body);
    if (problems.length) {
      this.rejected.push(...problems.map((p) => `${operation}: ${p}`));
      return this.send(res, 400, {
        __type: 'ValidationException',
        message: `${problems.length} validation error(s): ${problems.join('; ')}`,
      });
    }
    const injected = this.failWith(operation, n, body);
    if (injected)
      return this.send(res, injected.status, { __type: injected.type, message: injected.message });
    try {
      this.send(res, 200, this.answer(operation, body));
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      this.send(res, e.$metadata?.httpStatusCode ?? 400, { __type: e.name, message: e.message });
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private answer(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'GetPipeline':
        return {
          pipeline: this.declaration(body.name),
          metadata: { pipelineArn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${String(body.name)}` },
        };
      case 'StartPipelineExecution':
        return this.startExecution(body);
      case 'GetPipelineExecution':
        return this.getExecution(body);
      case 'ListActionExecutions':
        return this.listActions(body);
      case 'ListPipelineExecutions':
        return this.listExecutions(body);
      case 'GetPipelineState':
        return this.getState(body);
      case 'StopPipelineExecution':
        return this.stopExecution(body);
      case 'PutApprovalResult':
        return this.approve(body);
      default:
        throw serviceError('UnknownOperationException', operation);
    }
  }

  private execution(id: unknown): FakeExecution {
    const e = this.executions.get(String(id ?? ''));
    if (!e) throw serviceError('PipelineExecutionNotFoundException', `Execution '${String(id)}' not found`);
    return e;
  }

  startExecution(body: Record<string, unknown>): Record<string, unknown> {
    this.declaration(body.name);
    const token =
      typeof body.clientRequestToken === 'string' ? `start:${body.clientRequestToken}` : undefined;
    const known = token && this.tokens.get(token);
    this.started.push(body);
    if (known) return { pipelineExecutionId: known };
    const revisions = (body.sourceRevisions ?? []) as { revisionValue?: string }[];
    const variables = (body.variables ?? []) as { name: string; value: string }[];
    const previous = [...this.executions.values()].find((e) => e.pipeline === body.name);
    const frames = this.frames?.();
    const e = this.execute(String(body.name), {
      sha: revisions[0]?.revisionValue ?? '',
      ...(previous ? { owner: previous.owner, repo: previous.repo } : {}),
      variables: Object.fromEntries(variables.map((v) => [v.name, v.value])),
      request: body,
      ...(frames ? { frames } : {}),
    });
    if (token) this.tokens.set(token, e.id);
    return { pipelineExecutionId: e.id };
  }

  private getExecution(body: Record<string, unknown>): Record<string, unknown> {
    const e = this.execution(body.pipelineExecutionId);
    if (e.pipeline !== body.pipelineName)
      throw serviceError('PipelineExecutionNotFoundException', `Execution '${e.id}' not found`);
    if (e.frames) this.play(e, Math.min(e.index + 1, e.frames.length - 1));
    return {
      pipelineExecution: {
        pipelineName: e.pipeline,
        pipelineVersion: this.declaration(e.pipeline).version,
        pipelineExecutionId: e.id,
        status: e.status,
        statusSummary: e.statusSummary,
        executionMode: 'QUEUED',
        artifactRevisions: e.sha
          ? [
              {
                name: 'Source',
                revisionId: e.sha,
                revisionUrl: `https://github.com/${e.owner}/${e.repo}/commit/${e.sha}`,
              },
            ]
          : [],
        variables: Object.entries(e.variables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
      },
    };
  }

  private page<T>(all: T[], nextToken: unknown, key: string): Record<string, unknown> {
    const from = Number(nextToken ?? 0);
    const slice = all.slice(from, from + this.pageSize);
    return {
      [key]: slice,
      ...(from + this.pageSize < all.length ? { nextToken: String(from + this.pageSize) } : {}),
    };
  }

  private listActions(body: Record<string, unknown>): Record<string, unknown> {
    this.declaration(body.pipelineName);
    const filter = body.filter as { pipelineExecutionId?: string } | undefined;
    const executions = filter?.pipelineExecutionId
      ? [this.execution(filter.pipelineExecutionId)]
      : [...this.executions.values()].filter((e) => e.pipeline === body.pipelineName);
    // Newest first, as the service lists them.
    const all = executions.flatMap((e) => e.actions.map((a) => this.detail(e, a))).reverse();
    return this.page(all, body.nextToken, 'actionExecutionDetails');
  }

  private listExecutions(body: Record<string, unknown>): Record<string, unknown> {
    this.declaration(body.pipelineName);
    const all = [...this.executions.values()]
      .filter((e) => e.pipeline === body.pipelineName)
      .sort((a, b) => b.startedAt - a.startedAt)
      .map((e) => ({
        pipelineExecutionId: e.id,
        status: e.status,
        startTime: e.startedAt,
        ...(e.sha ? { sourceRevisions: [{ actionName: 'Source', revisionId: e.sha }] } : {}),
      }));
    return this.page(all, body.nextToken, 'pipelineExecutionSummaries');
  }

  private getState(body: Record<string, unknown>): Record<string, unknown> {
    const p = this.declaration(body.name);
    return {
      pipelineName: body.name,
      pipelineVersion: p.version,
      stageStates: (p.stages ?? []).map((s) => {
        // Each stage shows the latest execution that reached it.
        const latest = [...this.executions.values()]
          .filter((e) => e.pipeline === body.name && e.actions.some((a) => a.stage === s.name))
          .sort((a, b) => b.startedAt - a.startedAt)[0];
        const runs = latest?.actions.filter((a) => a.stage === s.name) ?? [];
        const status = runs.some((a) => a.status === 'InProgress')
          ? 'InProgress'
          : runs.some((a) => a.status === 'Failed')
            ? 'Failed'
            : 'Succeeded';
        return {
          stageName: s.name,
          ...(latest ? { latestExecution: { pipelineExecutionId: latest.id, status } } : {}),
          actionStates: (s.actions ?? []).map(({ name }) => {
            const run = runs.find((a) => a.action === name);
            return {
              actionName: name,
              ...(run && latest
                ? {
                    latestExecution: {
                      actionExecutionId: this.actionId(latest, run),
                      status: run.status,
                      summary: run.summary,
                      externalExecutionId: run.externalExecutionId,
                      externalExecutionUrl:
                        run.externalExecutionUrl ??
                        (run.externalExecutionId
                          ? `https://console.example/build/${run.externalExecutionId}`
                          : undefined),
                      errorDetails: run.error,
                      lastStatusChange: latest.startedAt + (run.end ?? run.start),
                      ...(run.token && run.status === 'InProgress' ? { token: run.token } : {}),
                    },
                  }
                : {}),
            };
          }),
        };
      }),
    };
  }

  private stopExecution(body: Record<string, unknown>): Record<string, unknown> {
    const e = this.execution(body.pipelineExecutionId);
    if (e.stopRequest) throw serviceError('DuplicatedStopRequestException', 'already stopping');
    if (e.status !== 'InProgress')
      throw serviceError('PipelineExecutionNotStoppableException', `execution is ${e.status}`);
    e.stopRequest = body;
    const reason = typeof body.reason === 'string' ? body.reason : undefined;
    this.stopped.push({ pipeline: e.pipeline, executionId: e.id, ...(reason ? { reason } : {}) });
    const stopped = e.actions.map((a) =>
      a.status === 'InProgress' ? { ...a, status: 'Abandoned' as const, end: a.start + 1 } : a,
    );
    const final: Frame = { status: 'Stopped', statusSummary: reason ?? '', actions: stopped };
    // A scripted run passes through Stopping on its next poll; one the test moves stops at once.
    if (e.frames)
      e.frames = [...e.frames.slice(0, e.index + 1), { status: 'Stopping', actions: e.actions }, final];
    else Object.assign(e, final);
    return { pipelineExecutionId: e.id };
  }

  private approve(body: Record<string, unknown>): Record<string, unknown> {
    const token = String(body.token ?? '');
    const id = this.tokens.get(token);
    const run = id ? this.executions.get(id)?.actions.find((a) => a.token === token) : undefined;
    if (!run) throw serviceError('InvalidApprovalTokenException', 'invalid token');
    if (run.status !== 'InProgress')
      throw serviceError('ApprovalAlreadyCompletedException', 'already completed');
    const result = body.result as { status: string; summary: string };
    run.status = result.status === 'Approved' ? 'Succeeded' : 'Failed';
    run.summary = result.summary;
    this.approvals.push({ token, status: result.status, summary: result.summary });
    return { approvedAt: this.tick() };
  }

  private actionId(e: FakeExecution, a: FakeAction): string {
    return `${e.id.slice(0, 8)}-${a.stage}-${a.action}`;
  }

  private detail(e: FakeExecution, a: FakeAction): Record<string, unknown> {
    const declared = this.declaration(e.pipeline)
      .stages?.find((s) => s.name === a.stage)
      ?.actions?.find((x) => x.name === a.action);
    const source = a.stage === 'Source';
    return {
      pipelineExecutionId: e.id,
      actionExecutionId: this.actionId(e, a),
      pipelineVersion: this.declaration(e.pipeline).version,
      stageName: a.stage,
      actionName: a.action,
      startTime: e.startedAt + a.start,
      lastUpdateTime: e.startedAt + (a.end ?? a.start),
      status: a.status,
      input: {
        actionTypeId: declared?.actionTypeId ?? {
          category: source ? 'Source' : 'Build',
          owner: 'AWS',
          provider: a.provider ?? 'CodeBuild',
          version: '1',
        },
        configuration: source
          ? { ...declared?.configuration, FullRepositoryId: `${e.owner}/${e.repo}` }
          : (declared?.configuration ?? {}),
      },
      output: a.hideResult
        ? undefined
        : {
            ...(source && e.sha && a.status === 'Succeeded'
              ? { outputVariables: { CommitId: e.sha, BranchName: e.branch } }
              : {}),
            executionResult: {
              externalExecutionId: a.externalExecutionId,
              externalExecutionSummary: a.summary,
              externalExecutionUrl: a.externalExecutionUrl,
              errorDetails: a.error,
            },
          },
    };
  }
}
