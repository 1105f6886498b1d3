import type { ApplicationFunction, Probot } from 'probot';
import type { Logger } from 'pino';
import { createAwsClients, type AwsClients } from './aws/create-aws-clients.js';
import { redactingChild } from './create-logger.js';
import { CheckRunCache } from './github/check-run-cache.js';
import { ConfigCache } from './github/config-cache.js';
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
  /** The clock of the instance's caches (the organisation simulation runs a virtual one). */
  now?: () => number;
}

/** What one bot instance (a Lambda execution environment) remembers between events. */
interface InstanceCaches {
  checkRuns: CheckRunCache;
  config: ConfigCache;
}

const instanceCaches = new WeakMap<BotOptions, InstanceCaches>();

/**
 * The caches of the instance these options were made for: the webhook app and the pipeline-event handler
 * of one Lambda are given the same options object and so share them; another options object (another
 * instance in a test or the simulation) has its own.
 */
function cachesOf(options: BotOptions): InstanceCaches {
  let caches = instanceCaches.get(options);
  if (!caches) {
    caches = {
      checkRuns: new CheckRunCache(),
      config: new ConfigCache(options.now ? { now: options.now } : {}),
    };
    instanceCaches.set(options, caches);
  }
  return caches;
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

function handlerDeps(options: BotOptions, log: Logger, caches: InstanceCaches): HandlerDeps {
  return {
    settings: options.settings,
    aws: options.aws,
    log,
    configCache: caches.config,
    ...(options.appId ? { appId: options.appId } : {}),
  };
}

/**
 * The Probot app: GitHub events → pipeline operations and checks. Options are passed in (tests give
 * mocked AWS clients); `options` may be a function, called once when the app loads.
 */
export function createApp(options: BotOptions | (() => BotOptions)): ApplicationFunction {
  return (app: Probot) => {
    const resolved = typeof options === 'function' ? options() : options;
    const caches = cachesOf(resolved);
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
        caches,
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
  // One per Lambda instance: the events of one execution often reach the same warm instance.
  const caches = cachesOf(options);
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
          caches,
        ),
        checkRuns: caches.checkRuns,
      },
      clientFor,
      parsed,
    );
  };
}

/** The app with settings from the environment: `npm start` (bot/server.ts) runs it. */
export default createApp(() => botOptionsFromEnv());
