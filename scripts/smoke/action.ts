// Runs the committed action bundle once, as the runner does (plain node, INPUT_* and GITHUB_* file commands,
// copied away from node_modules), against an in-process CodePipeline on 127.0.0.1 speaking JSON 1.1.
// Exits non-zero unless the execution is started at the commit, followed to Succeeded and the outputs are set.
// Also exports the local CodePipeline for scripts/bench-action.ts. Node built-ins only.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET = 'CodePipeline_20150709.';

/** A JSON 1.1 request body, as the SDK serialized it. */
type RequestBody = Record<string, unknown> & {
  pipelineExecutionId?: string;
  filter?: { pipelineExecutionId?: string };
  name?: string;
  sourceRevisions?: { revisionValue?: string }[];
};
interface RecordedRequest {
  op: string;
  at: number;
  body: RequestBody;
}
interface LocalExecution {
  id: string;
  request: RequestBody;
  startedAt: number;
  finishesAt: number;
  polls: { at: number; status: string }[];
  stopped?: boolean;
}
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A CodePipeline with one V2 pipeline (GitHub source, one build). Executions succeed `finishAfterMs` after
 * they start; every request is recorded with its arrival time (performance.timeOrigin-based, in ms).
 */
export async function startLocalCodePipeline({ finishAfterMs = 1500, pipelineName = 'smoke-feature' } = {}) {
  const requests: RecordedRequest[] = [];
  const executions = new Map<string, LocalExecution>();
  const clock = () => performance.timeOrigin + performance.now();
  const pipeline = {
    name: pipelineName,
    version: 1,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    variables: [{ name: 'PULL_REQUEST', defaultValue: 'none' }],
    stages: [
      {
        name: 'Source',
        actions: [
          {
            name: 'Source',
            actionTypeId: {
              category: 'Source',
              owner: 'AWS',
              provider: 'CodeStarSourceConnection',
              version: '1',
            },
            runOrder: 1,
            configuration: { FullRepositoryId: 'acme/shop', BranchName: 'main' },
          },
        ],
      },
      {
        name: 'Build',
        actions: [
          {
            name: 'Build',
            actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
            runOrder: 1,
            configuration: { ProjectName: 'shop' },
          },
        ],
      },
    ],
  };
  const statusOf = (e: LocalExecution) =>
    e.stopped ? 'Stopped' : clock() >= e.finishesAt ? 'Succeeded' : 'InProgress';
  const actionsOf = (e: LocalExecution) => {
    const s = e.startedAt / 1000;
    const done = statusOf(e) === 'Succeeded';
    const mk = (stage: string, status: string, start: number, end: number, provider: string) => ({
      pipelineExecutionId: e.id,
      actionExecutionId: `${e.id}-${stage}`,
      stageName: stage,
      actionName: stage,
      status,
      startTime: s + start,
      lastUpdateTime: s + end,
      input: { actionTypeId: { category: stage, owner: 'AWS', provider, version: '1' } },
      output:
        status === 'InProgress' ? undefined : { executionResult: { externalExecutionId: `shop:${e.id}` } },
    });
    return [
      mk('Source', 'Succeeded', 0, 0.1, 'CodeStarSourceConnection'),
      mk(
        'Build',
        done ? 'Succeeded' : 'InProgress',
        0.1,
        done ? (e.finishesAt - e.startedAt) / 1000 : 0.1,
        'CodeBuild',
      ),
    ];
  };
  const answer = (op: string, body: RequestBody): [number, object] => {
    const execution = executions.get(body.pipelineExecutionId ?? body.filter?.pipelineExecutionId ?? '');
    switch (op) {
      case 'GetPipeline':
        return body.name === pipelineName
          ? [200, { pipeline }]
          : [400, { __type: 'PipelineNotFoundException', message: 'no such pipeline' }];
      case 'StartPipelineExecution': {
        const id = randomUUID();
        const startedAt = clock();
        executions.set(id, {
          id,
          request: body,
          startedAt,
          finishesAt: startedAt + finishAfterMs,
          polls: [],
        });
        return [200, { pipelineExecutionId: id }];
      }
      case 'GetPipelineExecution': {
        if (!execution) return [400, { __type: 'PipelineExecutionNotFoundException', message: 'not found' }];
        const status = statusOf(execution);
        execution.polls.push({ at: clock(), status });
        return [200, { pipelineExecution: { pipelineName, pipelineExecutionId: execution.id, status } }];
      }
      case 'ListActionExecutions':
        return execution
          ? [200, { actionExecutionDetails: actionsOf(execution) }]
          : [200, { actionExecutionDetails: [] }];
      case 'ListPipelineExecutions':
        return [
          200,
          {
            pipelineExecutionSummaries: [...executions.values()].map((e) => ({
              pipelineExecutionId: e.id,
              status: statusOf(e),
            })),
          },
        ];
      case 'GetPipelineState':
        return [200, { pipelineName, stageStates: [] }];
      case 'StopPipelineExecution':
        if (!execution) return [400, { __type: 'PipelineExecutionNotFoundException', message: 'not found' }];
        execution.stopped = true;
        return [200, { pipelineExecutionId: execution.id }];
      default:
        return [400, { __type: 'UnknownOperationException', message: op }];
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(TARGET) ? target.slice(TARGET.length) : '?';
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as RequestBody;
      requests.push({ op, at: clock(), body });
      const [status, out] = answer(op, body);
      const text = JSON.stringify(out);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pipelineName,
    requests,
    executions,
    clock,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `name<<delimiter` blocks of a GITHUB_OUTPUT / GITHUB_STATE file. */
function readFileCommands(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(path)) return out;
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}

/** Environment of a runner step: file commands, GITHUB_*, fake credentials, the local endpoint. */
export function runnerEnv(dir: string, endpoint: string, extra: Record<string, string> = {}) {
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  };
  for (const f of Object.values(files)) if (!existsSync(f)) writeFileSync(f, '');
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    ...files,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_EVENT_NAME: 'push',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CODEPIPELINE: endpoint,
    ...extra,
  };
}

/** Runs a script with node; resolves with its exit code and output, killing it after `timeoutMs`. */
export function runNode(script: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      env,
      cwd: env.HOME,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function smoke() {
  const fail = (message: string): never => {
    console.error(`smoke: action bundle FAILED: ${message}`);
    process.exit(1);
  };
  const local = await startLocalCodePipeline({ finishAfterMs: 300 });
  try {
    const away = mkdtempSync(join(tmpdir(), 'pipewarden-action-smoke-'));
    cpSync(join(root, 'dist', 'action'), join(away, 'dist', 'action'), { recursive: true });
    const env = runnerEnv(away, local.url, {
      'INPUT_PIPELINE-NAME': local.pipelineName,
      INPUT_VARIABLES: 'PULL_REQUEST=1',
      PIPEWARDEN_POLL_MS: '50,100',
    });
    const main = await runNode(join(away, 'dist', 'action', 'index.js'), env, 10_000);
    if (main.code !== 0) fail(`main step exited ${main.code ?? main.signal}: ${main.stdout}${main.stderr}`);
    const outputs = readFileCommands(env.GITHUB_OUTPUT);
    const [execution] = local.executions.values();
    if (!execution) fail('no StartPipelineExecution reached the local endpoint');
    if (execution.request.sourceRevisions?.[0]?.revisionValue !== env.GITHUB_SHA)
      fail('execution not started at GITHUB_SHA');
    if (outputs['execution-id'] !== execution.id) fail(`execution-id output is ${outputs['execution-id']}`);
    if (outputs.status !== 'Succeeded') fail(`status output is ${outputs.status}`);
    if (!outputs.url?.includes(execution.id)) fail(`url output is ${outputs.url}`);
    if (!readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8').includes('Succeeded')) fail('no job summary');

    const state = readFileCommands(env.GITHUB_STATE);
    const postEnv = {
      ...env,
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
    };
    const post = await runNode(join(away, 'dist', 'action', 'post', 'index.js'), postEnv, 10_000);
    if (post.code !== 0) fail(`post step exited ${post.code ?? post.signal}: ${post.stdout}${post.stderr}`);
    if (local.requests.some((r) => r.op === 'StopPipelineExecution'))
      fail('post step stopped a finished execution');
    console.log(
      `smoke: action bundle OK (started ${execution.id} at the commit, followed to Succeeded, outputs set, post step idle)`,
    );
  } finally {
    await local.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await smoke();
