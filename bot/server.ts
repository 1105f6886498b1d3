import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from 'probot';
import type { ApplicationFunction, Probot } from 'probot';
import { createApp, createPipelineEventHandler, type BotOptions } from './app.js';
import { createAwsClients } from './aws/create-aws-clients.js';
import { createLocalAwsClients, LOCAL_BUCKET, PIPELINE_EVENTS_PATH } from './aws/local-findings-store.js';
import { createOctokitClass } from './github/create-octokit.js';
import { readSettings } from './settings.js';

/**
 * The options of `npm start`. With PIPEWARDEN_LOCAL_DIR the findings store and the executions are files
 * (bot/aws/local-findings-store.ts), so the security check and the comment appear without AWS; without
 * it, the real services, as on Lambda.
 */
export function localBotOptions(env: NodeJS.ProcessEnv = process.env): BotOptions & { localDir?: string } {
  const settings = readSettings(env);
  const appId = Number(env.APP_ID);
  const dir = env.PIPEWARDEN_LOCAL_DIR?.trim();
  const localDir = dir ? resolve(dir) : undefined;
  if (localDir) settings.findingsBucket ??= LOCAL_BUCKET;
  return {
    settings,
    aws: localDir ? createLocalAwsClients(localDir, settings.region) : createAwsClients(settings.region),
    ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}),
    ...(localDir ? { localDir } : {}),
  };
}

const readText = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * POST PIPELINE_EVENTS_PATH: one EventBridge CodePipeline event, handled as the Lambda handles it. Only
 * from this machine: the smee proxy forwards webhooks, never this path, and nothing else may feed the bot.
 */
function pipelineEventRoute(onEvent: ReturnType<typeof createPipelineEventHandler>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.url?.split('?')[0] !== PIPELINE_EVENTS_PATH) return false;
    const reply = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST')
      return (reply(405, { error: `POST a CodePipeline event to ${PIPELINE_EVENTS_PATH}` }), true);
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ''))
      return (reply(403, { error: 'pipewarden: pipeline events are accepted from this machine only' }), true);
    let event: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return (
        reply(400, { error: 'pipewarden: the request body is not JSON; send an EventBridge event' }),
        true
      );
    }
    reply(200, await onEvent(event));
    return true;
  };
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where Probot's setup writes APP_ID, PRIVATE_KEY, WEBHOOK_SECRET and WEBHOOK_PROXY_URL (default: .env). */
  updateEnv?: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  /** The smee.io "new channel" URL (tests give a local one). */
  smeeNewChannelUrl?: string;
}

/**
 * `npm start`: Probot's own server with the same Octokit as on Lambda. Without an App yet (no APP_ID /
 * PRIVATE_KEY), Probot's setup registers one from app.yml; smee-client (a dev dependency) is handed to it
 * so that it creates a smee.io channel for the webhook URL, and later forwards deliveries to this server.
 */
export async function startBot(opts: StartOptions = {}) {
  // A dev dependency: without it (npm ci --omit=dev) the setup says how to get a webhook URL instead.
  const smee = await import('smee-client').catch(() => undefined);
  const newChannelUrl = opts.smeeNewChannelUrl;
  const app: ApplicationFunction = async (probot: Probot, appOptions) => {
    const options = localBotOptions(opts.env ?? process.env);
    await createApp(options)(probot, appOptions);
    if (options.localDir) {
      appOptions.addHandler(pipelineEventRoute(createPipelineEventHandler(probot, options)));
      probot.log.info(
        `pipewarden: local mode, findings and executions from ${options.localDir}; replay events with npm run bot:replay`,
      );
    }
  };
  const env = opts.env ?? process.env;
  if (!env.APP_ID && /\/\/github\.com\/OWNER\//.test(readText('app.yml')))
    console.warn(
      'pipewarden: app.yml still has url: https://github.com/OWNER/pipewarden; set it to your copy of this repository before you register the App',
    );
  return run(app, {
    Octokit: createOctokitClass(),
    ...(smee
      ? {
          SmeeClient: {
            createChannel: () => smee.SmeeClient.createChannel(newChannelUrl ? { newChannelUrl } : {}),
          },
        }
      : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.updateEnv ? { updateEnv: opts.updateEnv } : {}),
  });
}

// Run only as the entry point (`node --import tsx bot/server.ts`), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await startBot();
