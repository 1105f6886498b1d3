// `npm run bot:replay -- --event <file> --findings <file>`: feeds a locally running bot (`npm start` with
// PIPEWARDEN_LOCAL_DIR set) one CodePipeline EventBridge event and the findings document its gate wrote,
// so the pipewarden / security check and the pull request comment appear on GitHub without AWS.
// It plays AWS's part: it writes the execution (its GitHub commit, the gate stage's result) and the
// findings at the execution's store key into the local directory, then POSTs the event to the bot.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  PIPELINE_EVENTS_PATH,
  setLatestExecution,
  writeLocalExecution,
  writeLocalFindings,
  type LocalExecution,
} from '../bot/aws/local-findings-store.js';
import { parsePipelineEvent, type PipelineEvent } from '../bot/pipeline-event.js';
import { errorMessage } from '../findings/errors.js';
import { executionFindingsKey } from '../findings/store/store-layout.js';

export interface ReplayOptions {
  /** The EventBridge event (parsed JSON). */
  event: unknown;
  /** The findings document, as the gate wrote it (text). */
  findings: string;
  /** PIPEWARDEN_LOCAL_DIR of the running bot. */
  dir: string;
  /** The bot's base URL, e.g. http://localhost:3000. */
  url: string;
  /** `owner/name` and commit of the execution's source; default: the document's context. */
  repo?: string;
  sha?: string;
  branch?: string;
  pullRequest?: number;
  /** PIPEWARDEN_GATE_STAGE of the bot (default Gate). */
  gateStage?: string;
}

const fail = (message: string): never => {
  throw new Error(`pipewarden replay: ${message}`);
};

/** The execution as CodePipeline would describe it: a GitHub source at `sha`, then the gate stage. */
export function localExecution(
  event: PipelineEvent,
  run: { repo: string; sha: string; branch?: string; pullRequest?: number; gateStage: string },
): LocalExecution {
  const now = Math.floor(Date.now() / 1000);
  const ended = ['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled'];
  // The gate's result: the event's own when it is about the gate, else done (the findings exist).
  const gateStatus =
    event.stage === run.gateStage && event.kind !== 'action'
      ? event.state
      : event.kind === 'execution' && event.state === 'Failed'
        ? 'Failed'
        : 'Succeeded';
  const status = event.kind === 'execution' && ended.includes(event.state) ? event.state : 'InProgress';
  const latest = { pipelineExecutionId: event.executionId };
  return {
    pipelineExecution: {
      pipelineName: event.pipeline,
      pipelineExecutionId: event.executionId,
      status,
      artifactRevisions: [
        {
          name: 'SourceArtifact',
          revisionId: run.sha,
          revisionUrl: `https://github.com/${run.repo}/commit/${run.sha}`,
        },
      ],
      variables:
        run.pullRequest !== undefined
          ? [{ name: 'PULL_REQUEST', resolvedValue: String(run.pullRequest) }]
          : [],
    },
    stageStates: [
      {
        stageName: 'Source',
        latestExecution: { ...latest, status: 'Succeeded' },
        actionStates: [{ actionName: 'Source' }],
      },
      {
        stageName: run.gateStage,
        latestExecution: { ...latest, status: gateStatus },
        actionStates: [{ actionName: run.gateStage }],
      },
    ],
    actionExecutionDetails: [
      {
        pipelineExecutionId: event.executionId,
        stageName: 'Source',
        actionName: 'Source',
        status: 'Succeeded',
        startTime: now - 120,
        lastUpdateTime: now - 110,
        input: {
          actionTypeId: {
            category: 'Source',
            owner: 'AWS',
            provider: 'CodeStarSourceConnection',
            version: '1',
          },
          configuration: { FullRepositoryId: run.repo },
        },
        output: { outputVariables: { CommitId: run.sha, ...(run.branch ? { BranchName: run.branch } : {}) } },
      },
      {
        pipelineExecutionId: event.executionId,
        stageName: run.gateStage,
        actionName: run.gateStage,
        status: gateStatus,
        startTime: now - 60,
        lastUpdateTime: now,
        input: { actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } },
        output: { executionResult: { externalExecutionSummary: 'replayed by npm run bot:replay' } },
      },
    ],
  };
}

/** Writes the execution and its findings into `dir`, then sends the event; returns the bot's answer. */
export async function replayPipelineEvent(options: ReplayOptions): Promise<unknown> {
  const event = parsePipelineEvent(options.event);
  if (typeof event === 'string') fail(`--event: ${event}`);
  const parsed = event as PipelineEvent;
  let doc: { context?: { repo?: string; commit?: string; branch?: string; pullRequest?: number } };
  try {
    doc = JSON.parse(options.findings) as typeof doc;
  } catch (error) {
    return fail(`--findings is not JSON (${errorMessage(error)}); give the findings.json the gate wrote`);
  }
  const repo = options.repo ?? doc.context?.repo;
  const sha = options.sha ?? doc.context?.commit;
  if (!repo || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo))
    fail('no repository: the document has no context.repo; pass --repo owner/name');
  if (!sha || !/^[0-9a-f]{40}$/i.test(sha))
    fail('no commit: the document has no context.commit; pass --sha <40-hex commit>');
  const pullRequest = options.pullRequest ?? doc.context?.pullRequest;
  const branch = options.branch ?? doc.context?.branch;
  writeLocalExecution(
    options.dir,
    localExecution(parsed, {
      repo: repo!,
      sha: sha!,
      gateStage: options.gateStage ?? 'Gate',
      ...(branch ? { branch } : {}),
      ...(pullRequest !== undefined ? { pullRequest } : {}),
    }),
  );
  setLatestExecution(options.dir, parsed.pipeline, parsed.executionId);
  // The document goes in as given: the bot itself checks it is this execution's (commit, execution id).
  writeLocalFindings(
    options.dir,
    executionFindingsKey(repo!, parsed.pipeline, parsed.executionId),
    options.findings,
  );
  const target = new URL(PIPELINE_EVENTS_PATH, options.url);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(options.event),
    });
  } catch (error) {
    return fail(`no bot at ${target.origin} (${errorMessage(error)}); start it with npm start`);
  }
  const text = await response.text();
  if (response.status === 404)
    fail(`${target.href} answered 404: start the bot with PIPEWARDEN_LOCAL_DIR set (docs/bot.md)`);
  if (!response.ok) fail(`${target.href} answered ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

const USAGE = `usage: npm run bot:replay -- --event <eventbridge-event.json> --findings <findings.json>
       [--repo owner/name] [--sha <commit>] [--branch <name>] [--pull-request <n>] [--url http://localhost:3000] [--dir <PIPEWARDEN_LOCAL_DIR>]`;

async function main(argv: string[]): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { values } = parseArgs({
    args: argv,
    options: {
      event: { type: 'string' },
      findings: { type: 'string' },
      repo: { type: 'string' },
      sha: { type: 'string' },
      branch: { type: 'string' },
      'pull-request': { type: 'string' },
      url: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (!values.event || !values.findings) fail(`--event and --findings are required\n${USAGE}`);
  const dir = values.dir ?? process.env.PIPEWARDEN_LOCAL_DIR;
  if (!dir) fail("--dir not given and PIPEWARDEN_LOCAL_DIR is not set; use the bot's PIPEWARDEN_LOCAL_DIR");
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      return fail(`${flag} ${file}: ${errorMessage(error)}`);
    }
  };
  let event: unknown;
  try {
    event = JSON.parse(read('--event', values.event!));
  } catch (error) {
    fail(`--event ${values.event} is not JSON (${errorMessage(error)})`);
  }
  const pr = values['pull-request'];
  if (pr !== undefined && !/^[1-9]\d*$/.test(pr)) fail(`--pull-request "${pr}" is not a pull request number`);
  const answer = await replayPipelineEvent({
    event,
    findings: read('--findings', values.findings!),
    dir: resolve(dir!),
    url: values.url ?? `http://localhost:${process.env.PORT ?? 3000}`,
    gateStage: process.env.PIPEWARDEN_GATE_STAGE ?? 'Gate',
    ...(values.repo ? { repo: values.repo } : {}),
    ...(values.sha ? { sha: values.sha } : {}),
    ...(values.branch ? { branch: values.branch } : {}),
    ...(pr ? { pullRequest: Number(pr) } : {}),
  });
  console.log(JSON.stringify(answer, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(errorMessage(error));
    process.exit(2);
  });
}
