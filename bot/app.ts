import type { ApplicationFunction, Probot } from 'probot';
import type { Logger } from 'pino';
import { createAwsClients, type AwsClients } from './aws/create-aws-clients.js';
import { redactingChild } from './create-logger.js';
import { CheckRunCache } from './github/check-run-cache.js';
import { fullName, type RepoRef } from './github/repo-ref.js';
import { cleanupBranch } from './handlers/cleanup-branch.js';
import { createChecks } from './handlers/create-checks.js';
import type { HandlerDeps } from './handlers/deps.js';
import { handleRequestedAction } from './handlers/handle-requested-action.js';
import { rerunPipeline } from './handlers/rerun-pipeline.js';
import { syncPipelineCheck, type SyncResult } from './handlers/sync-pipeline-check.js';
import { parsePipelineEvent } from './pipeline-event.js';
import { readSettings, settingsForPipeline, settingsForRepository, type BotSettings } from './settings.js';

export interface BotOptions {
  settings: BotSettings;
  aws: AwsClients;
  /** The GitHub App's id (APP_ID): check-run lookups are limited to this app's runs. */
  appId?: number;
}

/** The options of a deployed bot: everything from the environment, AWS clients made once. */
export function botOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BotOptions {
  const settings = readSettings(env);
  const appId = Number(env.APP_ID);
  return {
    settings,
    aws: createAwsClients(settings.region),
    ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}),
  };
}

function handlerDeps(options: BotOptions, log: Logger): HandlerDeps {
  return { ...options, log, ...(options.appId ? { appId: options.appId } : {}) };
}

/**
 * The Probot app: GitHub events → pipeline operations and checks. Options are passed in (tests give
 * mocked AWS clients); `options` may be a function, called once when the app loads.
 */
export function createApp(options: BotOptions | (() => BotOptions)): ApplicationFunction {
  return (app: Probot) => {
    const resolved = typeof options === 'function' ? options() : options;
    const log = redactingChild(app.log, { name: 'pipewarden' });
    for (const problem of resolved.settings.problems) log.warn(problem);
    // Each delivery sees its repository's settings only: its own pipelines when one deployment serves many.
    const deps = (context: { id: string; name: string; payload: object }) =>
      handlerDeps(
        {
          ...resolved,
          settings: settingsForRepository(
            resolved.settings,
            (context.payload as { repository?: { full_name?: string } }).repository?.full_name,
          ),
        },
        log.child({
          delivery: context.id,
          event:
            'action' in context.payload ? `${context.name}.${String(context.payload.action)}` : context.name,
        }),
      );

    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], (context) =>
      createChecks(deps(context), context),
    );
    app.on(['check_run.rerequested', 'check_suite.rerequested'], (context) =>
      rerunPipeline(deps(context), context),
    );
    app.on('check_run.requested_action', (context) => handleRequestedAction(deps(context), context));
    app.on(['delete', 'pull_request.closed'], async (context) => {
      await cleanupBranch(deps(context), context);
    });
  };
}

/**
 * CodePipeline events (EventBridge) → checks. Outside a webhook there is no installation: it is looked up
 * with the App's JWT (GET /repos/{owner}/{repo}/installation) and remembered for the Lambda's lifetime.
 */
export function createPipelineEventHandler(
  probot: Probot,
  options: BotOptions,
): (event: unknown) => Promise<SyncResult> {
  const installations = new Map<string, number>();
  // One per Lambda instance: the events of one execution usually reach the same warm instance.
  const checkRuns = new CheckRunCache();
  const log = redactingChild(probot.log, { name: 'pipewarden' });
  const clientFor = async (ref: RepoRef) => {
    const key = fullName(ref).toLowerCase();
    let id = installations.get(key);
    if (id === undefined) {
      const appClient = await probot.auth();
      id = (await appClient.rest.apps.getRepoInstallation({ owner: ref.owner, repo: ref.repo })).data.id;
      installations.set(key, id);
    }
    return probot.auth(id);
  };
  return async (event) => {
    const parsed = parsePipelineEvent(event);
    if (typeof parsed === 'string') {
      log.warn(parsed);
      return { outcome: 'skipped', reason: parsed };
    }
    return syncPipelineCheck(
      {
        ...handlerDeps(
          { ...options, settings: settingsForPipeline(options.settings, parsed.pipeline) },
          log.child({ pipelineEvent: parsed.id }),
        ),
        checkRuns,
      },
      clientFor,
      parsed,
    );
  };
}

/** The app with settings from the environment: `npm start` (bot/server.ts) runs it. */
export default createApp(() => botOptionsFromEnv());
