import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { parse } from 'yaml';
import { BOT_PERMISSIONS } from '../../../findings/cli/check-github-app.js';
import { checkAgainstOpenApi } from '../../bot/helpers/openapi.js';
import { runCli } from './run-cli.js';
import { testKeyPair } from '../../support/test-keys.js';

/**
 * `pipewarden doctor --github-repo`: the @octokit/rest client against a local GitHub that checks every
 * request against GitHub's OpenAPI description, verifies the App's JWT with the App's public key, and lets
 * an installation token read only the repositories it was issued for.
 */

const APP_ID = '424242';
const { privateKey, publicKey } = testKeyPair('app');
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// Another App's key pair: the key file doctor must not sign with, and the key a refusing GitHub holds.
const other = testKeyPair('other-app');
const ALL = {
  checks: 'write',
  pull_requests: 'write',
  contents: 'read',
  metadata: 'read',
  security_events: 'write',
};

interface Repo {
  default_branch: string;
  installation?: { id: number; permissions: Record<string, string>; suspended_at?: string };
}

class LocalGitHub {
  server: Server;
  url = '';
  readonly violations: string[] = [];
  readonly log: string[] = [];
  repos = new Map<string, Repo>();
  appKey: KeyObject = publicKey;
  private tokens = new Map<string, string[]>();

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The App's JWT: RS256 over header.payload, signed by the App's key, issued by the App, ≤ 10 minutes. */
  private appAuthenticated(req: IncomingMessage): boolean {
    const m = /^bearer (([^.]+)\.([^.]+))\.([^.]+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return false;
    const header = JSON.parse(Buffer.from(m[2]!, 'base64url').toString()) as { alg: string };
    const claims = JSON.parse(Buffer.from(m[3]!, 'base64url').toString()) as Record<string, number | string>;
    const signed = createVerify('RSA-SHA256').update(m[1]!).verify(this.appKey, m[4]!, 'base64url');
    const now = Date.now() / 1000;
    return (
      signed &&
      header.alg === 'RS256' &&
      claims.iss === APP_ID &&
      Number(claims.iat) <= now &&
      Number(claims.exp) > now &&
      Number(claims.exp) - Number(claims.iat) <= 600
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const url = new URL(req.url ?? '/', this.url);
    const { problems } = checkAgainstOpenApi(req.method ?? 'GET', url, body);
    this.violations.push(...problems.map((p) => `${req.method} ${url.pathname}: ${p}`));
    this.log.push(`${req.method} ${url.pathname}`);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(data));
    };
    const notFound = () =>
      send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    let m: RegExpExecArray | null;
    if (url.pathname === '/app' && req.method === 'GET') {
      if (!this.appAuthenticated(req))
        return send(401, {
          message:
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        });
      return send(200, {
        id: Number(APP_ID),
        slug: 'pipewarden-acme',
        name: 'pipewarden (acme)',
        html_url: 'https://github.com/apps/pipewarden-acme',
      });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(url.pathname)) && req.method === 'GET') {
      if (!this.appAuthenticated(req)) return send(401, { message: 'A JSON web token could not be decoded' });
      const inst = this.repos.get(`${m[1]}/${m[2]}`)?.installation;
      if (!inst) return notFound();
      return send(200, {
        id: inst.id,
        app_id: Number(APP_ID),
        permissions: inst.permissions,
        suspended_at: inst.suspended_at ?? null,
        html_url: `https://github.com/organizations/acme/settings/installations/${inst.id}`,
      });
    }
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname)) && req.method === 'POST') {
      if (!this.appAuthenticated(req)) return send(401, { message: 'A JSON web token could not be decoded' });
      const names = (body?.repositories as string[] | undefined) ?? [];
      const repos = [...this.repos.entries()]
        .filter(([full, r]) => r.installation?.id === Number(m![1]) && names.includes(full.split('/')[1]!))
        .map(([full]) => full);
      if (!repos.length)
        return send(422, {
          message:
            'There is at least one repository that does not exist or is not accessible to the parent installation.',
        });
      const token = `ghs_${Math.random().toString(36).slice(2)}`;
      this.tokens.set(token, repos);
      return send(201, {
        token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        permissions: body?.permissions,
      });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(url.pathname)) && req.method === 'GET') {
      const full = `${m[1]}/${m[2]}`;
      const auth = /^token (ghs_\w+)$/.exec(String(req.headers.authorization ?? ''));
      const repo = this.repos.get(full);
      if (!auth || !this.tokens.get(auth[1]!)?.includes(full) || !repo) return notFound();
      return send(200, {
        id: 1,
        name: m[2],
        full_name: full,
        default_branch: repo.default_branch,
        private: true,
      });
    }
    return notFound();
  }
}

let github: LocalGitHub;
const tmp = mkdtempSync(join(tmpdir(), 'pipewarden-doctor-github-'));
const keyFile = join(tmp, 'app.pem');
writeFileSync(keyFile, PEM);

const doctor = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(['doctor', '--github-api-url', github.url, ...args], {
    APP_ID: undefined,
    PRIVATE_KEY: undefined,
    PRIVATE_KEY_PATH: undefined,
    GITHUB_TOKEN: undefined,
    GITHUB_API_URL: undefined,
    ...env,
  });
const asApp = ['--github-app-id', APP_ID, '--github-private-key', keyFile];

beforeAll(async () => {
  github = await new LocalGitHub().start();
});
afterAll(async () => {
  await github.stop();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  github.violations.length = 0;
  github.log.length = 0;
  github.appKey = publicKey;
  github.repos = new Map([
    ['acme/shop', { default_branch: 'main', installation: { id: 7, permissions: { ...ALL } } }],
    ['acme/billing', { default_branch: 'main', installation: { id: 7, permissions: { ...ALL } } }],
  ]);
});

describe('pipewarden doctor --github-repo (GitHub App checks)', () => {
  it("checks what the bot needs against app.yml's default_permissions", () => {
    const manifest = parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'app.yml'), 'utf8')) as {
      default_permissions: Record<string, string>;
    };
    expect(BOT_PERMISSIONS).toEqual(manifest.default_permissions);
  });

  it('passes a deployment whose App is installed everywhere with every permission, main the default branch', async () => {
    const r = await doctor([...asApp, '--github-repo', 'acme/shop', '--github-repo', 'acme/billing']);
    expect(github.violations).toEqual([]);
    expect(r.stdout.trim().split('\n')).toEqual([
      '✓ GitHub App pipewarden-acme on acme/shop: installed (installation 7)',
      '✓ GitHub App pipewarden-acme on acme/shop: permissions checks: write, pull_requests: write, contents: read, metadata: read, security_events: write',
      "✓ acme/shop default branch: main, the config's main branch",
      '✓ GitHub App pipewarden-acme on acme/billing: installed (installation 7)',
      '✓ GitHub App pipewarden-acme on acme/billing: permissions checks: write, pull_requests: write, contents: read, metadata: read, security_events: write',
      "✓ acme/billing default branch: main, the config's main branch",
    ]);
    expect(r.code).toBe(0);
    expect(github.log).toEqual([
      'GET /app',
      'GET /repos/acme/shop/installation',
      'POST /app/installations/7/access_tokens',
      'GET /repos/acme/shop',
      'GET /repos/acme/billing/installation',
      'POST /app/installations/7/access_tokens',
      'GET /repos/acme/billing',
    ]);
  });

  it('says which repository lacks the App, which permissions are short, and which default branch differs', async () => {
    github.repos.set('acme/legacy', { default_branch: 'master' });
    github.repos.get('acme/billing')!.default_branch = 'trunk';
    github.repos.get('acme/shop')!.installation!.permissions = {
      checks: 'read',
      pull_requests: 'write',
      contents: 'read',
      metadata: 'read',
    };
    const r = await doctor(
      ['--github-repo', 'acme/shop', '--github-repo', 'acme/billing', '--github-repo', 'acme/legacy'],
      { APP_ID, PRIVATE_KEY_PATH: keyFile },
    );
    expect(github.violations).toEqual([]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain(
      '✗ GitHub App pipewarden-acme on acme/shop: permissions missing checks: write (has read), security_events: write (has none): give the App these permissions (its settings, Permissions & events, as app.yml lists them), then accept them on the installation: https://github.com/organizations/acme/settings/installations/7',
    );
    expect(lines).toContain(
      "✗ acme/billing default branch is trunk, the config's main branch is main: set the repository's mainBranch in the deployment config to trunk (and --main-branch here), or make main the default branch on GitHub: pull requests target the default branch, the baseline is the main branch's",
    );
    expect(lines).toContain(
      '✗ GitHub App pipewarden-acme on acme/legacy: not installed: install it on acme/legacy: https://github.com/apps/pipewarden-acme/installations/new (or add acme/legacy to its existing installation)',
    );
    expect(lines.filter((l) => l.startsWith('✗'))).toHaveLength(3);
  });

  it('a suspended installation is one failing line with the way back', async () => {
    github.repos.get('acme/shop')!.installation!.suspended_at = '2026-11-01T10:00:00Z';
    const r = await doctor([...asApp, '--github-repo', 'acme/shop']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      '✗ GitHub App pipewarden-acme on acme/shop: installation 7 suspended since 2026-11-01T10:00:00Z: unsuspend it: https://github.com/organizations/acme/settings/installations/7',
    );
  });

  it('reads the key where the bot (Probot) does: PRIVATE_KEY before PRIVATE_KEY_PATH, base64 or one line too', async () => {
    // PRIVATE_KEY_PATH names another App's key: Probot would sign with PRIVATE_KEY, so doctor must too.
    const otherKey = join(tmp, 'other.pem');
    writeFileSync(otherKey, other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const oneLine = PEM.trim().split('\n').join(' ');
    for (const PRIVATE_KEY of [
      PEM,
      Buffer.from(PEM).toString('base64'),
      PEM.replace(/\n/g, '\\n'),
      oneLine,
    ]) {
      github.log.length = 0;
      const r = await doctor(['--github-repo', 'acme/shop'], {
        APP_ID,
        PRIVATE_KEY,
        PRIVATE_KEY_PATH: otherKey,
      });
      expect(r.stdout.trim().split('\n')[0]).toBe(
        '✓ GitHub App pipewarden-acme on acme/shop: installed (installation 7)',
      );
      expect(r.code).toBe(0);
    }
    // Without PRIVATE_KEY, the file is the key; a missing file is one line naming the variable.
    expect((await doctor(['--github-repo', 'acme/shop'], { APP_ID, PRIVATE_KEY_PATH: keyFile })).code).toBe(
      0,
    );
    const missing = await doctor(['--github-repo', 'acme/shop'], {
      APP_ID,
      PRIVATE_KEY_PATH: join(tmp, 'nowhere.pem'),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `pipewarden: PRIVATE_KEY_PATH ${join(tmp, 'nowhere.pem')}: cannot read it (ENOENT); pass the .pem file from the App's settings`,
    );
    expect(github.violations).toEqual([]);
  });

  it('credentials GitHub refuses (another key) are one line naming the id and the key', async () => {
    github.appKey = other.publicKey;
    const r = await doctor([...asApp, '--github-repo', 'acme/shop']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(
      /^✗ GitHub App: its credentials were refused \(HTTP 401\): check --github-app-id \(APP_ID\)/,
    );
  });

  it('with only GITHUB_TOKEN, checks the default branch', async () => {
    // The local GitHub lets a token read a repository when it was issued for it.
    const issue = await fetch(`${github.url}/app/installations/7/access_tokens`, {
      method: 'POST',
      headers: {
        authorization: `bearer ${(await createAppAuth({ appId: APP_ID, privateKey: PEM })({ type: 'app' })).token}`,
      },
      body: JSON.stringify({ repositories: ['shop'] }),
    });
    const { token } = (await issue.json()) as { token: string };
    github.log.length = 0;
    const r = await doctor(['--github-repo', 'acme/shop', '--main-branch', 'develop'], {
      GITHUB_TOKEN: token,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ acme\/shop default branch is main, the config's main branch is develop/);
    expect(github.log).toEqual(['GET /repos/acme/shop']);
  });

  it('refuses what it cannot use, in one line naming the input', async () => {
    const none = await doctor(['--github-repo', 'acme/shop']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--github-repo needs GitHub credentials: the App's \(--github-app-id/);
    const bad = await doctor([...asApp, '--github-repo', 'acme']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--github-repo "acme": not owner\/name/);
    const notPem = join(tmp, 'not.pem');
    writeFileSync(notPem, 'hello');
    const key = await doctor([
      '--github-app-id',
      APP_ID,
      '--github-private-key',
      notPem,
      '--github-repo',
      'acme/shop',
    ]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/the GitHub App private key is not a PEM private key/);
    expect(github.log).toEqual([]);
  });

  it('GitHub unreachable: exit 3, one line, no further checks', async () => {
    // A port nothing listens on any more: connection refused, no HTTP answer.
    const closed = await new LocalGitHub().start();
    await closed.stop();
    const r = await runCli(
      ['doctor', '--github-api-url', closed.url, ...asApp, '--github-repo', 'acme/shop'],
      { APP_ID: undefined, GITHUB_TOKEN: undefined },
    );
    expect(r.code).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(
      /^✗ GitHub unreachable: .*check the network and --github-api-url, then run again/,
    );
  });
});
