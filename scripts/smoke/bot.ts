// Runs the committed bot bundle the way Lambda does: plain `node`, copied away from node_modules, the
// handler called with a Function URL request and an EventBridge event. Needs no network: the events
// chosen make the bot answer without calling GitHub or AWS. Exits non-zero on any surprise.
import { Buffer } from 'node:buffer';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const away = mkdtempSync(join(tmpdir(), 'pipewarden-bot-'));
cpSync(join(root, 'dist', 'bot'), away, { recursive: true });

const secret = randomUUID();
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
Object.assign(process.env, {
  AWS_LAMBDA_FUNCTION_NAME: 'pipewarden-bot-smoke',
  AWS_REGION: 'us-east-1',
  APP_ID: '12345',
  PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }),
  WEBHOOK_SECRET: secret,
  PIPEWARDEN_PIPELINES: 'smoke-main,smoke-feature',
  LOG_LEVEL: 'error',
});

// What this smoke reads of the bundle's answers: an HTTP result for a Function URL request, an outcome for an event.
type Handler = (event: unknown) => Promise<{ statusCode?: number; outcome?: string }>;
const { handler } = (await import(pathToFileURL(join(away, 'index.js')).href)) as { handler: Handler };

// A tag was deleted: the bot looks at it and has nothing to clean (only branches are cleaned).
const body = JSON.stringify({
  ref: 'v0.0.1',
  ref_type: 'tag',
  pusher_type: 'user',
  repository: {
    id: 1,
    name: 'smoke',
    full_name: 'acme/smoke',
    owner: { login: 'acme' },
    default_branch: 'main',
  },
  sender: { login: 'octocat', type: 'User' },
});
const request = (signature: string | undefined) => ({
  version: '2.0',
  rawPath: '/',
  requestContext: { http: { method: 'POST', path: '/' } },
  headers: {
    'Content-Type': 'application/json',
    'X-GitHub-Event': 'delete',
    'X-GitHub-Delivery': randomUUID(),
    ...(signature ? { 'X-Hub-Signature-256': signature } : {}),
  },
  body: Buffer.from(body).toString('base64'),
  isBase64Encoded: true,
});
const sign = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

const failures: string[] = [];
const expect = <T>(what: string, actual: T, wanted: T | ((actual: T) => boolean)) => {
  const ok = typeof wanted === 'function' ? (wanted as (actual: T) => boolean)(actual) : actual === wanted;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${JSON.stringify(actual)}`);
  if (!ok) failures.push(what);
};

expect('bad signature → 400', (await handler(request(sign('not-the-secret')))).statusCode, 400);
expect('missing signature → 400', (await handler(request(undefined))).statusCode, 400);
const signed = await handler(request(sign(secret)));
expect('signed delivery → 2xx', signed.statusCode, (s) => s !== undefined && s >= 200 && s < 300);
const other = await handler({
  version: '0',
  id: randomUUID(),
  source: 'aws.codepipeline',
  'detail-type': 'CodePipeline Pipeline Execution State Change',
  detail: { pipeline: 'someone-elses', 'execution-id': randomUUID(), state: 'STARTED' },
});
expect("another system's pipeline event → skipped", other.outcome, 'skipped');

if (failures.length) {
  console.error(`smoke: bot bundle failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log('smoke: bot bundle ok');
