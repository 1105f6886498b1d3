import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { AwsClients } from './create-aws-clients.js';

/**
 * The local AWS of `npm start` with PIPEWARDEN_LOCAL_DIR set (never read on Lambda): the findings store
 * and the executions the bot describes are files in one directory, served to the real SDK clients through
 * their `requestHandler`. So the bot's code is unchanged: read-findings.ts still reads exactly the
 * execution's key and checks the document is that run's, and the SDK's own deserializers (NoSuchKey,
 * dates, exceptions) run.
 *
 *   <dir>/s3/<key>                                  the findings store (keys of findings/store/store-layout.ts)
 *   <dir>/codepipeline/<pipeline>/<execution>.json  one execution: a LocalExecution (AWS API JSON shapes)
 *
 * `npm run bot:replay` (scripts/replay-pipeline-event.ts) writes both, then sends the event.
 */

/** What GetPipelineExecution, GetPipelineState and ListActionExecutions answer for one execution. */
export interface LocalExecution {
  pipelineExecution: Record<string, unknown>;
  stageStates: Record<string, unknown>[];
  actionExecutionDetails: Record<string, unknown>[];
}

export const LOCAL_BUCKET = 'pipewarden-local';
/** Where `npm run bot:replay` posts CodePipeline events to the local bot (only with PIPEWARDEN_LOCAL_DIR). */
export const PIPELINE_EVENTS_PATH = '/pipewarden/pipeline-events';

/** A path inside `root`, or undefined when `parts` would leave it (`..`, absolute keys). */
function inside(root: string, ...parts: string[]): string | undefined {
  const path = resolve(root, ...parts);
  const rel = relative(resolve(root), path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel) ? path : undefined;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function localFindingsPath(dir: string, key: string): string {
  const path = inside(dir, 's3', key);
  if (!path) throw new Error(`pipewarden: the findings key "${key}" leaves ${dir}; use a store-layout key`);
  return path;
}

export function localExecutionPath(dir: string, pipeline: string, executionId: string): string {
  const path = inside(dir, 'codepipeline', pipeline, `${executionId}.json`);
  if (!path || /[/\\]/.test(pipeline + executionId))
    throw new Error(`pipewarden: "${pipeline}/${executionId}" is not a pipeline and execution id`);
  return path;
}

export function writeLocalFindings(dir: string, key: string, body: string): string {
  const path = localFindingsPath(dir, key);
  write(path, body);
  return path;
}

export function writeLocalExecution(dir: string, execution: LocalExecution): string {
  const e = execution.pipelineExecution;
  const path = localExecutionPath(dir, String(e.pipelineName), String(e.pipelineExecutionId));
  write(path, JSON.stringify(execution, null, 2));
  return path;
}

interface Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}
type Answer = { status: number; headers: Record<string, string>; body: string };

const respond = ({ status, headers, body }: Answer) => ({
  response: { statusCode: status, headers, body: Readable.from([Buffer.from(body)]) },
});

/** A `requestHandler` for the SDK: the same shape as its Node handler, answering from `answer`. */
function handlerOf(answer: (request: Request) => Answer) {
  return {
    handle: async (request: Request) => respond(answer(request)),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
}

function readText(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** S3 GetObject (path style: /<bucket>/<key>) from <dir>/s3/; everything else is refused. */
function s3Answer(dir: string) {
  return (request: Request): Answer => {
    const xml = (status: number, code: string, message: string): Answer => ({
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    });
    if (request.method !== 'GET')
      return xml(405, 'MethodNotAllowed', 'pipewarden local mode serves GetObject only');
    const [, , ...key] = request.path.split('/').map(decodeURIComponent);
    const body = readText(inside(dir, 's3', ...key));
    if (body === undefined) return xml(404, 'NoSuchKey', 'The specified key does not exist.');
    return { status: 200, headers: { 'content-type': 'application/json' }, body };
  };
}

const EMULATED = ['GetPipelineExecution', 'GetPipelineState', 'ListActionExecutions'];

/** The three CodePipeline reads the bot makes to describe an execution, from <dir>/codepipeline/. */
function codePipelineAnswer(dir: string) {
  return (request: Request): Answer => {
    const json = (status: number, body: object): Answer => ({
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(body),
    });
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const body = request.body;
    const text = typeof body === 'string' ? body : body ? new TextDecoder().decode(body as Uint8Array) : '{}';
    const input = JSON.parse(text || '{}') as Record<string, unknown>;
    if (!EMULATED.includes(operation))
      return json(400, {
        __type: 'ValidationException',
        message: `pipewarden local mode answers ${EMULATED.join(', ')} only; ${operation} needs a deployed pipeline (docs/bot.md)`,
      });
    const pipeline = String(input.pipelineName ?? input.name ?? '');
    const executionId = String(
      input.pipelineExecutionId ??
        (input.filter as { pipelineExecutionId?: string } | undefined)?.pipelineExecutionId ??
        '',
    );
    if (operation === 'GetPipelineState') {
      // The state of the pipeline is that of its latest recorded execution.
      const latest = readText(inside(dir, 'codepipeline', pipeline, 'latest'));
      const record = latest ? readText(inside(dir, 'codepipeline', pipeline, `${latest.trim()}.json`)) : '';
      if (!record)
        return json(400, { __type: 'PipelineNotFoundException', message: `no local pipeline ${pipeline}` });
      return json(200, {
        pipelineName: pipeline,
        stageStates: (JSON.parse(record) as LocalExecution).stageStates,
      });
    }
    const record = /^[A-Za-z0-9.@_-]+$/.test(pipeline + executionId)
      ? readText(inside(dir, 'codepipeline', pipeline, `${executionId}.json`))
      : undefined;
    if (!record)
      return json(400, {
        __type: 'PipelineExecutionNotFoundException',
        message: `no local execution ${executionId} of ${pipeline} in ${join(dir, 'codepipeline')}`,
      });
    const execution = JSON.parse(record) as LocalExecution;
    return operation === 'GetPipelineExecution'
      ? json(200, { pipelineExecution: execution.pipelineExecution })
      : json(200, { actionExecutionDetails: execution.actionExecutionDetails });
  };
}

/** Marks `executionId` as the pipeline's latest execution (what GetPipelineState shows). */
export function setLatestExecution(dir: string, pipeline: string, executionId: string): void {
  const path = inside(dir, 'codepipeline', pipeline, 'latest');
  if (!path) throw new Error(`pipewarden: "${pipeline}" is not a pipeline name`);
  write(path, executionId);
}

/**
 * The bot's AWS clients in local mode: S3 and CodePipeline answer from `dir`; ECR stays the real
 * service (branch cleanup needs an account, and says so on failure). No credentials are needed.
 */
export function createLocalAwsClients(dir: string, region = 'us-east-1'): AwsClients {
  const common = {
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: 'http://pipewarden.local',
    maxAttempts: 1,
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true, requestHandler: handlerOf(s3Answer(dir)) }),
    codepipeline: new CodePipelineClient({ ...common, requestHandler: handlerOf(codePipelineAnswer(dir)) }),
    ecr: new ECRClient({ region }),
    // Read only when a Source action failed; reading it fails without an account, which the check then omits.
    connections: new CodeStarConnectionsClient({ region, maxAttempts: 1 }),
  };
}
