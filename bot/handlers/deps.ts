import type { Logger } from 'pino';
import type { AwsClients } from '../aws/create-aws-clients.js';
import type { CheckRunCache } from '../github/check-run-cache.js';
import type { ConfigCache } from '../github/config-cache.js';
import type { BotSettings } from '../settings.js';

/** What every handler is given: settings, the AWS clients (made once, passed in), a redacting logger. */
export interface HandlerDeps {
  settings: BotSettings;
  aws: AwsClients;
  log: Logger;
  /** The GitHub App's id: check-run lookups ask for this app's runs only. */
  appId?: number;
  /** Check runs this instance last wrote (pipeline events only): saves a lookup per event. */
  checkRuns?: CheckRunCache;
  /** `.github/pipewarden.yml` reads of this instance, for a few minutes (webhooks and publications). */
  configCache?: ConfigCache;
}
