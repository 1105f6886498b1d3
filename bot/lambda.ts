import { Probot } from 'probot';
import { errorMessage } from '../findings/errors.js';
import { createApp, createPipelineEventHandler, botOptionsFromEnv } from './app.js';
import { readAppCredentials } from './aws/read-app-credentials.js';
import { createLogger } from './create-logger.js';
import { createOctokitClass } from './github/create-octokit.js';
import { looksLikeEventBridge } from './pipeline-event.js';
import { isHttpEvent, receiveWebhook, type HttpEvent, type HttpResult } from './receive-webhook.js';

export { default } from './app.js';

interface Bot {
  probot: Probot;
  onPipelineEvent: ReturnType<typeof createPipelineEventHandler>;
}

/** Probot's GHE_HOST / GHE_PROTOCOL → the API base URL. */
function baseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL ?? 'https'}://${env.GHE_HOST}/api/v3` : undefined;
}

/** One logger per Lambda instance: the bot's, and the one a failed start is reported to. */
const log = createLogger();

/** What an HTTP caller is told when the bot could not start: the Function URL is public, the cause is not. */
export const NOT_READY_BODY = JSON.stringify({
  error: 'pipewarden: the bot is not available; its operator will find the cause in its logs',
});

/** Everything that can be made once per Lambda instance: credentials, Probot with the app loaded. */
async function start(env: NodeJS.ProcessEnv = process.env): Promise<Bot> {
  const credentials = await readAppCredentials(env);
  const url = baseUrl(env);
  const probot = new Probot({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    secret: credentials.webhookSecret,
    log,
    Octokit: createOctokitClass(),
    ...(url ? { baseUrl: url } : {}),
  });
  const options = botOptionsFromEnv({ ...env, APP_ID: credentials.appId });
  await probot.load(createApp(options));
  return { probot, onPipelineEvent: createPipelineEventHandler(probot, options) };
}

// On Lambda the work starts during the init phase; imported elsewhere (npm start re-exports the app
// from this bundle) nothing runs until a handler call.
let ready: Promise<Bot> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? start() : undefined;
// A failed start is reported by the invocation that awaits it, not as an unhandled rejection.
ready?.catch(() => undefined);

/**
 * One handler for both doors: webhook deliveries over HTTP (Function URL / API Gateway) and CodePipeline
 * events from EventBridge. An EventBridge event that fails is thrown: Lambda's asynchronous retries run it
 * again, then send it to the dead-letter queue (infra bot stack).
 */
export async function handler(event: unknown): Promise<HttpResult | object> {
  ready ??= start();
  let bot: Bot;
  try {
    bot = await ready;
  } catch (error) {
    // Next invocation tries again (a secret may have been filled in since).
    ready = undefined;
    // The cause (which secret field, which permission) goes to the logs only: anyone can call the
    // Function URL, and a configuration problem is no business of an unauthenticated caller.
    log.error({ err: error }, `pipewarden: the bot could not start: ${errorMessage(error)}`);
    if (isHttpEvent(event))
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: NOT_READY_BODY };
    throw error;
  }
  if (looksLikeEventBridge(event)) return bot.onPipelineEvent(event);
  if (isHttpEvent(event)) return receiveWebhook(bot.probot, event as HttpEvent);
  bot.probot.log.warn('pipewarden: an event that is neither HTTP nor EventBridge was ignored');
  return { ignored: true };
}
