import { PIPELINE_EVENT_TYPES } from '../../pipeline/contracts.js';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readAppCredentials } from '../../bot/aws/read-app-credentials.js';
import { FakeGitHub } from './helpers/fake-github.js';
import { APP_ID, example, PRIVATE_KEY, WEBHOOK_SECRET } from './helpers/harness.js';

/**
 * The Lambda handler itself (bot/lambda.ts), as Lambda calls it: HTTP events from a Function URL
 * (payload v2, base64 body) or API Gateway REST (v1, GitHub's header case), and EventBridge events.
 */
type Handler = (event: unknown) => Promise<{ statusCode?: number; body?: string; outcome?: string }>;

const env = {
  APP_ID: String(APP_ID),
  PRIVATE_KEY: PRIVATE_KEY.replace(/\n/g, '\\n'), // as it often sits in an environment variable
  WEBHOOK_SECRET,
  AWS_REGION: 'eu-west-1',
  PIPEWARDEN_PIPELINES: 'demo-main,demo-feature',
  LOG_LEVEL: 'silent',
};

let handler: Handler;
let github: FakeGitHub;
const saved = { ...process.env };

beforeAll(async () => {
  github = new FakeGitHub(APP_ID);
  Object.assign(process.env, env);
  ({ handler } = (await import('../../bot/lambda.js')) as unknown as { handler: Handler });
});
afterAll(() => {
  process.env = saved;
  github.close();
});

/** A tag deletion: the bot has nothing to clean, so it answers without calling anyone. */
const deleteTag = () => example('delete');

async function functionUrlEvent(payload: object, signature?: string) {
  const body = JSON.stringify(payload);
  return {
    version: '2.0',
    rawPath: '/',
    requestContext: { http: { method: 'POST', path: '/' } },
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'delete',
      'x-github-delivery': randomUUID(),
      ...(signature !== '' ? { 'x-hub-signature-256': signature ?? (await sign(WEBHOOK_SECRET, body)) } : {}),
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

describe('bot/lambda.ts handler', () => {
  it('answers a signed Function URL delivery with 200', async () => {
    const res = await handler(await functionUrlEvent(deleteTag()));
    expect(res.statusCode).toBe(200);
  });

  it('answers a bad or missing signature with 400', async () => {
    expect((await handler(await functionUrlEvent(deleteTag(), `sha256=${'0'.repeat(64)}`))).statusCode).toBe(
      400,
    );
    expect((await handler(await functionUrlEvent(deleteTag(), ''))).statusCode).toBe(400);
  });

  it('lower-cases API Gateway REST headers and reads a plain body', async () => {
    const body = JSON.stringify(deleteTag());
    const res = await handler({
      httpMethod: 'POST',
      path: '/webhooks',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'delete',
        'X-GitHub-Delivery': randomUUID(),
        'X-Hub-Signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
      isBase64Encoded: false,
    });
    expect(res.statusCode).toBe(200);
  });

  it("skips another system's pipeline events without calling AWS or GitHub", async () => {
    const res = await handler({
      source: 'aws.codepipeline',
      'detail-type': PIPELINE_EVENT_TYPES.execution,
      detail: { pipeline: 'someone-else', 'execution-id': randomUUID(), state: 'STARTED' },
    });
    expect(res.outcome).toBe('skipped');
    expect(github.requests).toEqual([]);
  });

  it('made no GitHub request for any of this', () => {
    expect(github.requests).toEqual([]);
    expect(github.violations).toEqual([]);
  });
});

describe('without credentials', () => {
  it('answers anonymous callers a generic 500, logs the cause, and tries again on the next call', async () => {
    await jest.isolateModulesAsync(async () => {
      const keep = { ...process.env };
      delete process.env.APP_ID;
      delete process.env.PIPEWARDEN_SECRET_ARN;
      // The Lambda's logger, writing where the test can read it (on Lambda: stdout → CloudWatch Logs).
      const lines: string[] = [];
      const real = await import('../../bot/create-logger.js');
      jest.unstable_mockModule('../../bot/create-logger.js', () => ({
        ...real,
        createLogger: (options: { level?: string } = {}) =>
          real.createLogger({
            ...options,
            level: 'info',
            destination: { write: (line: string) => void lines.push(line) },
          }),
      }));
      const { handler: fresh, NOT_READY_BODY } = (await import('../../bot/lambda.js')) as unknown as {
        handler: Handler;
        NOT_READY_BODY: string;
      };
      const res = await fresh(await functionUrlEvent(deleteTag()));
      expect(res.statusCode).toBe(500);
      // Nothing about the configuration reaches an unauthenticated caller.
      expect(res.body).toBe(NOT_READY_BODY);
      expect(JSON.parse(res.body!)).toEqual({
        error: 'pipewarden: the bot is not available; its operator will find the cause in its logs',
      });
      expect(res.body).not.toMatch(/APP_ID|PRIVATE_KEY|WEBHOOK_SECRET|SECRET_ARN/);
      // The operator's log line names what to set.
      const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(logged).toEqual([
        expect.objectContaining({
          level: 50,
          msg: expect.stringMatching(
            /^pipewarden: the bot could not start: .*APP_ID, PRIVATE_KEY and WEBHOOK_SECRET, or PIPEWARDEN_SECRET_ARN/,
          ) as unknown as string,
        }),
      ]);
      process.env.APP_ID = keep.APP_ID;
      expect((await fresh(await functionUrlEvent(deleteTag()))).statusCode).toBe(200);
    });
  });
});

describe('credentials from Secrets Manager through the Lambda extension', () => {
  let server: Server;
  let port = 0;
  const seen: { url?: string; token?: string }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:demo/github-app-AbCdEf';

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, token: req.headers['x-aws-parameters-secrets-token'] as string });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const extensionEnv = () => ({
    PIPEWARDEN_SECRET_ARN: arn,
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
    AWS_SESSION_TOKEN: 'session-token',
  });

  it('reads {"appId","privateKey","webhookSecret"} with the session token', async () => {
    answer = {
      status: 200,
      body: {
        SecretString: JSON.stringify({
          appId: 77,
          privateKey: Buffer.from(PRIVATE_KEY).toString('base64'),
          webhookSecret: 's3cret',
        }),
      },
    };
    const credentials = await readAppCredentials(extensionEnv());
    expect(credentials).toEqual({ appId: '77', privateKey: PRIVATE_KEY.trim(), webhookSecret: 's3cret' });
    expect(seen.at(-1)).toEqual({
      url: `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
      token: 'session-token',
    });
  });

  it('says which field is still a placeholder, never its value', async () => {
    answer = {
      status: 200,
      body: {
        SecretString: JSON.stringify({
          appId: 'replace-me',
          privateKey: 'replace-me',
          webhookSecret: 'abc123',
        }),
      },
    };
    const error = await readAppCredentials(extensionEnv()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/lacks appId, privateKey/);
    expect((error as Error).message).not.toContain('abc123');
  });

  it('names the permission to check when the extension refuses', async () => {
    answer = { status: 400, body: { message: 'AccessDenied' } };
    await expect(readAppCredentials(extensionEnv())).rejects.toThrow(/secretsmanager:GetSecretValue/);
  });

  it('says to add the layer when no extension listens', async () => {
    await expect(
      readAppCredentials({ ...extensionEnv(), PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '1' }),
    ).rejects.toThrow(/add the extension layer/);
  });
});
