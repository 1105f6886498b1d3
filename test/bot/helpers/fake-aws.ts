import {
  ApprovalAlreadyCompletedException,
  CodePipelineClient,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  PipelineExecutionNotStoppableException,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type ActionExecutionDetail,
  type StageState,
} from '@aws-sdk/client-codepipeline';
import {
  BatchDeleteImageCommand,
  ECRClient,
  ListImagesCommand,
  type ImageFailure,
} from '@aws-sdk/client-ecr';
import {
  CodeStarConnectionsClient,
  GetConnectionCommand,
  ResourceNotFoundException,
  type ConnectionStatus,
} from '@aws-sdk/client-codestar-connections';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsClients } from '../../../bot/aws/create-aws-clients.js';
import { PIPELINE_VARIABLES, VARIABLE_NOT_SET } from '../../../pipeline/contracts.js';
import { assertCodePipelineRequest } from '../../support/codepipeline-fake.js';

/**
 * AWS for the bot's tests: CodePipeline and ECR through aws-sdk-client-mock backed by a small stateful
 * model (executions, stages, approvals with tokens, idempotent starts, paging), and S3 as a real client
 * against a local HTTP server (so NoSuchKey and error mapping are the SDK's own).
 */

export const REGION = 'eu-west-1';
/** The GitHub connection the fake pipelines' Source actions read through. */
export const CONNECTION_ARN = `arn:aws:codeconnections:${REGION}:123456789012:connection/7d4b1a52-6f0e-4c3a-9b8d-2e1f0a9c8b7d`;
const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' };

interface ActionRun {
  stage: string;
  action: string;
  status: string;
  start: Date;
  summary?: string;
  token?: string;
  url?: string;
}

export interface Execution {
  id: string;
  pipeline: string;
  status: string;
  sha: string;
  owner: string;
  repo: string;
  /** What the source action reports as BranchName. */
  branch: string;
  variables: Record<string, string>;
  start: Date;
  actions: ActionRun[];
}

/** Stages as the CDK app builds them (infra/lib/constructs/app-pipeline.ts). */
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

const category = (stage: string) =>
  stage === 'Source' ? 'Source' : stage === 'Approval' ? 'Approval' : 'Build';
let clock = Date.parse('2026-11-28T10:00:00Z');
const tick = () => new Date((clock += 1000));

export class FakePipelines {
  readonly executions: Execution[] = [];
  readonly started: Record<string, unknown>[] = [];
  readonly stopped: { pipeline: string; executionId: string; reason?: string }[] = [];
  readonly approvals: { token: string; status: string; summary: string }[] = [];
  /** ListActionExecutions / ListPipelineExecutions page size (small ones test paging). */
  pageSize = 100;
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly pipelines: Record<string, keyof typeof STAGES>,
    readonly defaultBranch = 'main',
  ) {}

  kind(pipeline: string) {
    const kind = this.pipelines[pipeline];
    if (!kind)
      throw Object.assign(new Error(`pipeline ${pipeline} not found`), { name: 'PipelineNotFoundException' });
    return STAGES[kind]!;
  }

  /** A new execution at `sha`, its source done. */
  execute(
    pipeline: string,
    run: { sha: string; owner: string; repo: string; branch?: string; variables?: Record<string, string> },
  ): Execution {
    this.kind(pipeline);
    const e: Execution = {
      id: randomUUID(),
      pipeline,
      status: 'InProgress',
      sha: run.sha,
      owner: run.owner,
      repo: run.repo,
      branch: run.branch ?? this.defaultBranch,
      variables: {
        ...Object.fromEntries(Object.values(PIPELINE_VARIABLES).map((name) => [name, VARIABLE_NOT_SET])),
        ...run.variables,
      },
      start: tick(),
      actions: [],
    };
    this.executions.push(e);
    this.setStage(e, 'Source', 'Succeeded');
    return e;
  }

  /** Puts every action of a stage in `status` (an approval in progress gets a token). */
  setStage(e: Execution, stage: string, status: string, summary?: string): void {
    const def = this.kind(e.pipeline).find((s) => s.name === stage);
    if (!def) throw new Error(`no stage ${stage}`);
    for (const action of def.actions) {
      e.actions = e.actions.filter((a) => !(a.stage === stage && a.action === action));
      const run: ActionRun = { stage, action, status, start: tick() };
      if (summary) run.summary = summary;
      if (category(stage) === 'Build') run.url = `https://console.aws.amazon.com/codebuild/${action}`;
      if (stage === 'Approval' && status === 'InProgress') {
        run.token = randomUUID();
        this.tokens.set(run.token, e.id);
      }
      e.actions.push(run);
    }
  }

  /** Runs the stages in order up to and including `until`, which ends in `status`. */
  progress(e: Execution, until: string, status = 'Succeeded'): void {
    for (const s of this.kind(e.pipeline)) {
      if (s.name === 'Source') continue;
      this.setStage(e, s.name, s.name === until ? status : 'Succeeded');
      if (s.name === until) break;
    }
  }

  byId(id: string): Execution | undefined {
    return this.executions.find((e) => e.id === id);
  }

  getExecution(input: { pipelineName?: string; pipelineExecutionId?: string }) {
    const e = this.byId(input.pipelineExecutionId ?? '');
    if (!e || e.pipeline !== input.pipelineName)
      throw Object.assign(new Error('execution not found'), { name: 'PipelineExecutionNotFoundException' });
    return {
      pipelineExecution: {
        pipelineName: e.pipeline,
        pipelineExecutionId: e.id,
        status: e.status,
        artifactRevisions: [
          {
            name: 'Source',
            revisionId: e.sha,
            revisionUrl: `https://github.com/${e.owner}/${e.repo}/commit/${e.sha}`,
          },
        ],
        variables: Object.entries(e.variables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
      },
    };
  }

  getState(input: { name?: string }) {
    const stages = this.kind(input.name ?? '');
    const stageStates: StageState[] = stages.map((s) => {
      const latest = this.executions
        .filter((e) => e.pipeline === input.name && e.actions.some((a) => a.stage === s.name))
        .sort((a, b) => b.start.getTime() - a.start.getTime())[0];
      const runs = latest?.actions.filter((a) => a.stage === s.name) ?? [];
      const status = runs.some((a) => a.status === 'InProgress')
        ? 'InProgress'
        : runs.some((a) => a.status === 'Failed')
          ? 'Failed'
          : 'Succeeded';
      return {
        stageName: s.name,
        ...(latest ? { latestExecution: { pipelineExecutionId: latest.id, status } } : {}),
        actionStates: s.actions.map((name) => {
          const run = runs.find((a) => a.action === name);
          return {
            actionName: name,
            ...(run
              ? {
                  latestExecution: {
                    status: run.status,
                    lastStatusChange: run.start,
                    ...(run.summary ? { summary: run.summary } : {}),
                    ...(run.token && run.status === 'InProgress' ? { token: run.token } : {}),
                  },
                }
              : {}),
          };
        }),
      } as StageState;
    });
    return { pipelineName: input.name, stageStates };
  }

  listActions(input: {
    pipelineName?: string;
    filter?: { pipelineExecutionId?: string };
    nextToken?: string;
  }) {
    const e = this.byId(input.filter?.pipelineExecutionId ?? '');
    const all: ActionExecutionDetail[] = (e?.actions ?? []).map((a) => ({
      pipelineExecutionId: e!.id,
      stageName: a.stage,
      actionName: a.action,
      status: a.status as ActionExecutionDetail['status'],
      startTime: a.start,
      lastUpdateTime: a.start,
      input: {
        actionTypeId: { category: category(a.stage) as 'Source', owner: 'AWS', provider: 'x', version: '1' },
        configuration: (a.stage === 'Source'
          ? {
              FullRepositoryId: `${e!.owner}/${e!.repo}`,
              BranchName: this.defaultBranch,
              ConnectionArn: CONNECTION_ARN,
            }
          : {}) as Record<string, string>,
      },
      output: {
        ...(a.stage === 'Source' ? { outputVariables: { CommitId: e!.sha, BranchName: e!.branch } } : {}),
        executionResult: {
          ...(a.summary ? { externalExecutionSummary: a.summary } : {}),
          ...(a.url ? { externalExecutionUrl: a.url } : {}),
        },
      },
    }));
    return this.page(all, input.nextToken, 'actionExecutionDetails');
  }

  listExecutions(input: { pipelineName?: string; nextToken?: string }) {
    const all = this.executions
      .filter((e) => e.pipeline === input.pipelineName)
      .sort((a, b) => b.start.getTime() - a.start.getTime())
      .map((e) => ({
        pipelineExecutionId: e.id,
        status: e.status,
        startTime: e.start,
        sourceRevisions: [{ actionName: 'Source', revisionId: e.sha }],
      }));
    return this.page(all, input.nextToken, 'pipelineExecutionSummaries');
  }

  private page<T>(all: T[], nextToken: string | undefined, key: string) {
    const from = Number(nextToken ?? 0);
    const slice = all.slice(from, from + this.pageSize);
    return {
      [key]: slice,
      ...(from + this.pageSize < all.length ? { nextToken: String(from + this.pageSize) } : {}),
    };
  }

  start(input: {
    name?: string;
    clientRequestToken?: string;
    sourceRevisions?: { revisionValue?: string }[];
    variables?: { name?: string; value?: string }[];
  }) {
    this.started.push(input as Record<string, unknown>);
    const known = input.clientRequestToken && this.tokens.get(`start:${input.clientRequestToken}`);
    if (known) return { pipelineExecutionId: known };
    const prev = this.executions.find((e) => e.pipeline === input.name);
    const e = this.execute(input.name ?? '', {
      sha: input.sourceRevisions?.[0]?.revisionValue ?? 'HEAD',
      owner: prev?.owner ?? 'Codertocat',
      repo: prev?.repo ?? 'Hello-World',
      variables: Object.fromEntries((input.variables ?? []).map((v) => [v.name!, v.value!])),
    });
    if (input.clientRequestToken) this.tokens.set(`start:${input.clientRequestToken}`, e.id);
    return { pipelineExecutionId: e.id };
  }

  stop(input: { pipelineName?: string; pipelineExecutionId?: string; reason?: string }) {
    const e = this.byId(input.pipelineExecutionId ?? '');
    if (!e || e.status !== 'InProgress')
      throw new PipelineExecutionNotStoppableException({ message: 'not stoppable', $metadata: {} });
    e.status = 'Stopped';
    for (const a of e.actions) if (a.status === 'InProgress') a.status = 'Abandoned';
    this.stopped.push({
      pipeline: e.pipeline,
      executionId: e.id,
      ...(input.reason ? { reason: input.reason } : {}),
    });
    return {};
  }

  approve(input: {
    token?: string;
    stageName?: string;
    actionName?: string;
    result?: { status?: string; summary?: string };
  }) {
    const id = this.tokens.get(input.token ?? '');
    const e = id ? this.byId(id) : undefined;
    const run = e?.actions.find((a) => a.token === input.token);
    if (!e || !run) throw new InvalidApprovalTokenException({ message: 'invalid token', $metadata: {} });
    if (run.status !== 'InProgress')
      throw new ApprovalAlreadyCompletedException({ message: 'already completed', $metadata: {} });
    run.status = input.result?.status === 'Approved' ? 'Succeeded' : 'Failed';
    run.summary = input.result?.summary ?? '';
    this.approvals.push({ token: input.token!, status: input.result?.status ?? '', summary: run.summary });
    return { approvedAt: new Date() };
  }
}

export interface EcrImage {
  digest: string;
  tags: string[];
}

export class FakeEcr {
  images: EcrImage[] = [];
  pageSize = 1000;
  listCalls = 0;
  deleteBatches: number[] = [];

  list(input: { nextToken?: string; filter?: { tagStatus?: string } }) {
    this.listCalls++;
    const all = this.images.flatMap((i) => i.tags.map((t) => ({ imageDigest: i.digest, imageTag: t })));
    const from = Number(input.nextToken ?? 0);
    return {
      imageIds: all.slice(from, from + this.pageSize),
      ...(from + this.pageSize < all.length ? { nextToken: String(from + this.pageSize) } : {}),
    };
  }

  delete(input: { imageIds?: { imageDigest?: string; imageTag?: string }[] }) {
    const ids = input.imageIds ?? [];
    this.deleteBatches.push(ids.length);
    if (ids.length > 100)
      throw Object.assign(new Error('at most 100 image ids'), { name: 'InvalidParameterException' });
    const failures: ImageFailure[] = [];
    const deleted = [];
    for (const id of ids) {
      const image = this.images.find((i) =>
        id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? ''),
      );
      if (!image) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'not found' });
        continue;
      }
      if (id.imageDigest) image.tags = [];
      else image.tags = image.tags.filter((t) => t !== id.imageTag);
      if (image.tags.length === 0) this.images = this.images.filter((i) => i !== image);
      deleted.push(id);
    }
    return { imageIds: deleted, failures };
  }
}

/** S3 as a local HTTP server (path-style): objects by key, or an HTTP status to answer with. */
export class FakeS3 {
  readonly objects = new Map<string, string | { status: number; code: string }>();
  readonly gets: string[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const key = decodeURIComponent(
        new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'),
      );
      this.gets.push(key);
      const object = this.objects.get(key);
      if (typeof object === 'string') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(object),
        });
        res.end(object);
        return;
      }
      const status = object?.status ?? 404;
      const code = object?.code ?? 'NoSuchKey';
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export interface FakeAws {
  clients: AwsClients;
  pipelines: FakePipelines;
  ecr: FakeEcr;
  s3: FakeS3;
  /** GetConnection's answers: connection ARN → status (a missing ARN is ResourceNotFoundException). */
  connections: Map<string, ConnectionStatus>;
  stop(): Promise<void>;
}

/** Real SDK clients; CodePipeline and ECR answered by the models, S3 by the local server. */
export async function createFakeAws(pipelines: Record<string, keyof typeof STAGES>): Promise<FakeAws> {
  const model = new FakePipelines(pipelines);
  const ecr = new FakeEcr();
  const s3 = new FakeS3();
  await s3.start();
  const clients: AwsClients = {
    codepipeline: new CodePipelineClient({ region: REGION, credentials }),
    ecr: new ECRClient({ region: REGION, credentials }),
    s3: new S3Client({ region: REGION, credentials, endpoint: s3.url, forcePathStyle: true, maxAttempts: 1 }),
    connections: new CodeStarConnectionsClient({ region: REGION, credentials }),
  };
  // Every request is held to CodePipeline's model first (test/support/codepipeline-fake.ts).
  const valid =
    <I, O>(operation: string, answer: (input: I) => O) =>
    (input: I): O => {
      assertCodePipelineRequest(operation, input);
      return answer(input);
    };
  const cp = mockClient(clients.codepipeline);
  cp.on(GetPipelineExecutionCommand).callsFake(valid('GetPipelineExecution', (i) => model.getExecution(i)));
  cp.on(GetPipelineStateCommand).callsFake(valid('GetPipelineState', (i) => model.getState(i)));
  cp.on(ListActionExecutionsCommand).callsFake(valid('ListActionExecutions', (i) => model.listActions(i)));
  cp.on(ListPipelineExecutionsCommand).callsFake(
    valid('ListPipelineExecutions', (i) => model.listExecutions(i)),
  );
  cp.on(StartPipelineExecutionCommand).callsFake(valid('StartPipelineExecution', (i) => model.start(i)));
  cp.on(StopPipelineExecutionCommand).callsFake(valid('StopPipelineExecution', (i) => model.stop(i)));
  cp.on(PutApprovalResultCommand).callsFake(valid('PutApprovalResult', (i) => model.approve(i)));
  const connections = new Map<string, ConnectionStatus>([[CONNECTION_ARN, 'AVAILABLE']]);
  const cs = mockClient(clients.connections);
  cs.on(GetConnectionCommand).callsFake((input: { ConnectionArn?: string }) => {
    const status = connections.get(input.ConnectionArn ?? '');
    if (!status)
      throw new ResourceNotFoundException({
        message: `connection ${input.ConnectionArn} not found`,
        $metadata: {},
      });
    return { Connection: { ConnectionArn: input.ConnectionArn, ConnectionStatus: status } };
  });
  const er = mockClient(clients.ecr);
  er.on(ListImagesCommand).callsFake((i) => ecr.list(i));
  er.on(BatchDeleteImageCommand).callsFake((i) => ecr.delete(i));
  return {
    clients,
    pipelines: model,
    ecr,
    s3,
    connections,
    stop: async () => {
      cp.restore();
      cs.restore();
      er.restore();
      await s3.stop();
    },
  };
}
