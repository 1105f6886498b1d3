import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { startBot } from '../../bot/server.js';
import { COMMENT_MARKER } from '../../findings/render/render-markdown.js';
import { replayPipelineEvent } from '../../scripts/replay-pipeline-event.js';
import { realDocument } from './helpers/findings.js';
import { FakeGitHub } from './helpers/fake-github.js';
import { APP_ID, example, PRIVATE_KEY, WEBHOOK_SECRET } from './helpers/harness.js';

/** `npm start` and `npm run bot:replay`: the App's local development, as a user runs it. */

type Running = Awaited<ReturnType<typeof startBot>>;
let server: Running | undefined;
const closers: (() => unknown)[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await server?.stop();
  server = undefined;
  for (const close of closers.splice(0)) await close();
});

describe('npm start without an App (setup mode)', () => {
  const saved = process.env.WEBHOOK_PROXY_URL;
  beforeEach(() => {
    delete process.env.WEBHOOK_PROXY_URL;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.WEBHOOK_PROXY_URL;
    else process.env.WEBHOOK_PROXY_URL = saved;
  });

  it('creates a smee channel and registers the App with it as the webhook URL', async () => {
    // smee.io's /new answers with a redirect to a fresh channel; this one does the same, locally.
    const channel = 'https://smee.io/pipewardenLocalTest';
    const smee: Server = createServer((req, res) => res.writeHead(307, { location: channel }).end());
    await new Promise<void>((resolve) => smee.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => smee.close(resolve)));
    const written: Record<string, string | undefined>[] = [];
    const port = await freePort();
    server = await startBot({
      env: { PORT: String(port), LOG_LEVEL: 'fatal' },
      smeeNewChannelUrl: `http://127.0.0.1:${(smee.address() as AddressInfo).port}/new`,
      updateEnv: (env) => {
        written.push(env);
        Object.assign(process.env, env);
        return env;
      },
    });
    expect(written).toEqual([{ WEBHOOK_PROXY_URL: channel }]);

    // The page the user opens posts this manifest to GitHub.
    const html = await (await fetch(`http://127.0.0.1:${port}/probot`)).text();
    const manifest = JSON.parse(/id="manifest" value='([^']*)'/.exec(html)![1]!) as Record<string, unknown>;
    const appYml = parse(readFileSync('app.yml', 'utf8')) as Record<string, unknown>;
    expect(manifest.hook_attributes).toEqual({ url: channel });
    expect(manifest.url).toBe(appYml.url);
    expect(String(manifest.url)).toMatch(/^https:\/\//);
    expect(manifest.public).toBe(false);
    expect(manifest.default_permissions).toEqual(appYml.default_permissions);
  });
});

describe('npm run bot:replay into a local bot (PIPEWARDEN_LOCAL_DIR)', () => {
  const pr = example('pull_request', 'opened');
  const repo: string = pr.repository.full_name;
  const sha: string = pr.pull_request.head.sha;
  const number: number = pr.pull_request.number;
  const event = JSON.parse(readFileSync('examples/local/pipeline-execution-succeeded.json', 'utf8')) as {
    detail: { pipeline: string; 'execution-id': string };
  };
  const pipeline = event.detail.pipeline;
  const executionId = event.detail['execution-id'];
  let github: FakeGitHub;
  let dir: string;
  let url: string;

  beforeEach(async () => {
    github = new FakeGitHub(APP_ID);
    github.installations.set(repo, pr.installation.id);
    github.pulls.set(sha, [{ number, state: 'open', head: { sha } }]);
    dir = mkdtempSync(join(tmpdir(), 'pipewarden-local-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = await startBot({
      env: {
        PORT: String(port),
        LOG_LEVEL: 'fatal',
        APP_ID: String(APP_ID),
        PRIVATE_KEY,
        WEBHOOK_SECRET,
        PIPEWARDEN_LOCAL_DIR: dir,
        PIPEWARDEN_PIPELINES: pipeline,
      },
    });
  });
  afterEach(() => {
    expect(github.violations).toEqual([]);
    github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const document = (execution: string) =>
    JSON.stringify(
      realDocument({
        repo,
        commit: sha,
        branch: pr.pull_request.head.ref,
        pullRequest: number,
        pipeline,
        pipelineExecutionId: execution,
      }),
    );

  it('publishes the security check and the pull request comment from the replayed findings', async () => {
    const answer = await replayPipelineEvent({ event, findings: document(executionId), dir, url });
    expect(answer).toMatchObject({ outcome: expect.any(String) });
    const [security] = github.runs(CHECK_NAMES.security, sha);
    expect(security).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(security!.output.summary).toMatch(/gate/i);
    expect(security!.annotations.length).toBeGreaterThan(0);
    const comments = github.comments.filter((c) => c.repo === repo && c.issue === number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(COMMENT_MARKER);
  });

  it("keeps the trust checks: another execution's document fails the check and writes no comment", async () => {
    await replayPipelineEvent({ event, findings: document('another-execution'), dir, url });
    const [security] = github.runs(CHECK_NAMES.security, sha);
    expect(security).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(security!.output.title).toMatch(/another run/i);
    expect(github.comments).toHaveLength(0);
  });

  it('says what to do when the bot is not in local mode', async () => {
    await server!.stop();
    server = await startBot({
      env: {
        PORT: new URL(url).port,
        LOG_LEVEL: 'fatal',
        APP_ID: String(APP_ID),
        PRIVATE_KEY,
        WEBHOOK_SECRET,
      },
    });
    await expect(replayPipelineEvent({ event, findings: document(executionId), dir, url })).rejects.toThrow(
      /answered 404: start the bot with PIPEWARDEN_LOCAL_DIR set/,
    );
  });
});
