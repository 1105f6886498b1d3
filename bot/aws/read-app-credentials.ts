import { BOT_ENV } from '../../pipeline/contracts.js';
import { PipewardenError } from '../../findings/errors.js';

export interface AppCredentials {
  appId: string;
  privateKey: string;
  webhookSecret: string;
}

/** A PEM key from an environment variable or secret: literal `\n`s or base64 are common ways to store one. */
export function normalizePrivateKey(raw: string): string {
  const key = raw.trim().replace(/\\n/g, '\n');
  if (key.includes('-----BEGIN')) return key;
  const decoded = Buffer.from(key, 'base64').toString('utf8');
  return decoded.includes('-----BEGIN') ? decoded.trim() : key;
}

/**
 * The GitHub App's credentials. APP_ID, PRIVATE_KEY and WEBHOOK_SECRET (Probot's own variables) win;
 * otherwise the JSON secret named by PIPEWARDEN_SECRET_ARN ({"appId","privateKey","webhookSecret"}) is
 * read through the AWS Parameters and Secrets Lambda Extension (a layer: a local HTTP endpoint that
 * caches the secret, so the bot needs no Secrets Manager client). Errors name what to set; the values
 * never appear in them.
 */
export async function readAppCredentials(
  env: NodeJS.ProcessEnv = process.env,
  fetchImpl: typeof fetch = fetch,
): Promise<AppCredentials> {
  if (env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH) && env.WEBHOOK_SECRET) {
    let privateKey = env.PRIVATE_KEY ?? '';
    if (!privateKey && env.PRIVATE_KEY_PATH) {
      const { readFile } = await import('node:fs/promises');
      privateKey = await readFile(env.PRIVATE_KEY_PATH, 'utf8');
    }
    return {
      appId: env.APP_ID,
      privateKey: normalizePrivateKey(privateKey),
      webhookSecret: env.WEBHOOK_SECRET,
    };
  }
  const arn = env[BOT_ENV.secretArn];
  if (!arn)
    throw new PipewardenError(
      'bot: no GitHub App credentials: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET, or PIPEWARDEN_SECRET_ARN (docs/bot.md)',
    );
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { 'X-Aws-Parameters-Secrets-Token': env.AWS_SESSION_TOKEN ?? '' },
    });
  } catch (error) {
    throw new PipewardenError(
      `bot: cannot reach the Parameters and Secrets Lambda Extension on port ${port} to read ${arn}: add the extension layer to the function, or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET`,
      { cause: error },
    );
  }
  if (!response.ok)
    throw new PipewardenError(
      `bot: reading ${arn} through the extension failed with HTTP ${response.status}: check the function role's secretsmanager:GetSecretValue and kms:Decrypt`,
    );
  let secret: Record<string, unknown>;
  try {
    const body = (await response.json()) as { SecretString?: string };
    secret = JSON.parse(body.SecretString ?? '') as Record<string, unknown>;
  } catch {
    throw new PipewardenError(`bot: ${arn} does not hold JSON {"appId","privateKey","webhookSecret"}`);
  }
  const missing = ['appId', 'privateKey', 'webhookSecret'].filter(
    (k) =>
      (typeof secret[k] !== 'string' && typeof secret[k] !== 'number') ||
      secret[k] === 'replace-me' ||
      secret[k] === '',
  );
  if (missing.length)
    throw new PipewardenError(
      `bot: ${arn} lacks ${missing.join(', ')}: put the GitHub App's values there (docs/bot.md)`,
    );
  return {
    appId: String(secret.appId),
    privateKey: normalizePrivateKey(String(secret.privateKey)),
    webhookSecret: String(secret.webhookSecret),
  };
}
