import { createPrivateKey } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { errorMessage, PipewardenError } from '../errors.js';

/** One check's outcome: `fix` says what to do when it did not pass. */
export interface CheckLine {
  ok: boolean;
  what: string;
  fix?: string;
}

/** The service could not be asked at all (no network, DNS): doctor exits 3, not 1. */
export class Unreachable extends Error {
  constructor(
    readonly service: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the bot needs on each repository: app.yml's default_permissions (test/findings/cli checks they match). */
export const BOT_PERMISSIONS: Readonly<Record<string, 'read' | 'write'>> = {
  checks: 'write',
  pull_requests: 'write',
  contents: 'read',
  metadata: 'read',
  security_events: 'write',
};

const LEVEL = new Map([
  ['read', 1],
  ['write', 2],
  ['admin', 3],
]);

export interface GitHubRepoTarget {
  owner: string;
  repo: string;
  /** The branch the deployment's config calls main (repository.mainBranch). */
  mainBranch: string;
}

/** `owner/name` → target, refused in one line naming the flag. */
export function parseRepoTarget(value: string, mainBranch: string): GitHubRepoTarget {
  const m = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9_.-]{1,100})$/.exec(value.trim());
  if (!m || m[2] === '.' || m[2] === '..')
    throw new PipewardenError(
      `--github-repo "${value}": not owner/name; pass each repository of the deployment's config, e.g. --github-repo acme/shop`,
    );
  return { owner: m[1]!, repo: m[2]!, mainBranch };
}

/** The App's private key, checked before any request so a wrong file is one line naming the input. */
function checkPrivateKey(privateKey: string): void {
  try {
    createPrivateKey(privateKey);
  } catch (error) {
    throw new PipewardenError(
      `the GitHub App private key is not a PEM private key (${errorMessage(error)}); pass the .pem file from the App's settings with --github-private-key (default: the key itself in PRIVATE_KEY, else the file PRIVATE_KEY_PATH)`,
      { cause: error },
    );
  }
}

/** The HTTP status of GitHub's answer; undefined when there was none. */
const statusOf = (error: unknown): number | undefined =>
  (error as { response?: { status?: number } } | undefined)?.response?.status;

/** No HTTP answer (network, DNS, TLS; Octokit then says 500 with no response) means GitHub was not reached. */
function rethrowUnreachable(error: unknown): void {
  if (statusOf(error) === undefined) throw new Unreachable('GitHub', errorMessage(error), { cause: error });
}

const permissionProblems = (granted: Record<string, string | undefined>): string[] =>
  Object.entries(BOT_PERMISSIONS).flatMap(([name, needed]) => {
    const has = granted[name];
    return (LEVEL.get(has ?? '') ?? 0) >= LEVEL.get(needed)!
      ? []
      : [`${name}: ${needed} (has ${has ?? 'none'})`];
  });

const granted = () =>
  Object.entries(BOT_PERMISSIONS)
    .map(([name, level]) => `${name}: ${level}`)
    .join(', ');

async function defaultBranchLine(github: Octokit, target: GitHubRepoTarget): Promise<CheckLine> {
  const what = `${target.owner}/${target.repo} default branch`;
  try {
    const { data } = await github.rest.repos.get({ owner: target.owner, repo: target.repo });
    return data.default_branch === target.mainBranch
      ? { ok: true, what: `${what}: ${data.default_branch}, the config's main branch` }
      : {
          ok: false,
          what: `${what} is ${data.default_branch}, the config's main branch is ${target.mainBranch}`,
          fix: `set the repository's mainBranch in the deployment config to ${data.default_branch} (and --main-branch here), or make ${target.mainBranch} the default branch on GitHub: pull requests target the default branch, the baseline is the main branch's`,
        };
  } catch (error) {
    rethrowUnreachable(error);
    return {
      ok: false,
      what: `${what}: ${target.owner}/${target.repo} not readable (HTTP ${statusOf(error)})`,
      fix: 'check the name; a token needs read access to it (a fine-grained token: Metadata read)',
    };
  }
}

/**
 * The GitHub side of a deployment, with the App's own credentials (a JWT): the App exists, it is installed
 * on each repository and not suspended, the installation holds every permission the bot needs, and the
 * repository's default branch is the config's main branch (read with an installation token limited to that
 * repository and metadata: read).
 */
export async function checkGitHubApp(
  github: Octokit,
  targets: GitHubRepoTarget[],
  withToken: (token: string) => Octokit,
): Promise<CheckLine[]> {
  let app: { slug?: string; name: string; html_url: string };
  try {
    const { data } = await github.rest.apps.getAuthenticated();
    if (!data) throw new Error('GET /app returned no App');
    app = data;
  } catch (error) {
    rethrowUnreachable(error);
    return [
      {
        ok: false,
        what: `GitHub App: its credentials were refused (HTTP ${statusOf(error)})`,
        fix: "check --github-app-id (APP_ID) and that the private key is the App's current one (PRIVATE_KEY_PATH); a clock more than a minute off also fails",
      },
    ];
  }
  const name = app.slug ?? app.name;
  const lines: CheckLine[] = [];
  for (const target of targets) {
    const full = `${target.owner}/${target.repo}`;
    let installation;
    try {
      ({ data: installation } = await github.rest.apps.getRepoInstallation({
        owner: target.owner,
        repo: target.repo,
      }));
    } catch (error) {
      rethrowUnreachable(error);
      lines.push({
        ok: false,
        what: `GitHub App ${name} on ${full}: not installed`,
        fix: `install it on ${full}: ${app.html_url}/installations/new (or add ${full} to its existing installation)`,
      });
      continue;
    }
    if (installation.suspended_at) {
      lines.push({
        ok: false,
        what: `GitHub App ${name} on ${full}: installation ${installation.id} suspended since ${installation.suspended_at}`,
        fix: `unsuspend it: ${installation.html_url}`,
      });
      continue;
    }
    lines.push({
      ok: true,
      what: `GitHub App ${name} on ${full}: installed (installation ${installation.id})`,
    });
    const missing = permissionProblems(installation.permissions as Record<string, string | undefined>);
    lines.push(
      missing.length
        ? {
            ok: false,
            what: `GitHub App ${name} on ${full}: permissions missing ${missing.join(', ')}`,
            fix: `give the App these permissions (its settings, Permissions & events, as app.yml lists them), then accept them on the installation: ${installation.html_url}`,
          }
        : { ok: true, what: `GitHub App ${name} on ${full}: permissions ${granted()}` },
    );
    let token: string;
    try {
      ({
        data: { token },
      } = await github.rest.apps.createInstallationAccessToken({
        installation_id: installation.id,
        repositories: [target.repo],
        permissions: { metadata: 'read' },
      }));
    } catch (error) {
      rethrowUnreachable(error);
      lines.push({
        ok: false,
        what: `${full} default branch: not checked, no installation token (HTTP ${statusOf(error)})`,
        fix: `check that the installation includes ${full}: ${installation.html_url}`,
      });
      continue;
    }
    lines.push(await defaultBranchLine(withToken(token), target));
  }
  return lines;
}

/** With a plain token (GITHUB_TOKEN), only what a token can see: each repository's default branch. */
export async function checkGitHubToken(github: Octokit, targets: GitHubRepoTarget[]): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const target of targets) lines.push(await defaultBranchLine(github, target));
  return lines;
}

export interface GitHubCredentials {
  appId?: string;
  privateKey?: string;
  token?: string;
  baseUrl: string;
}

/** The REST clients doctor uses: the App's JWT when its credentials are given, else the token. */
export function githubClient(credentials: GitHubCredentials): GitHubClients {
  const quiet = () => undefined;
  // Failed requests become check lines: Octokit's own request log would print them again.
  const options = {
    baseUrl: credentials.baseUrl,
    userAgent: 'pipewarden-doctor',
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  };
  const withToken = (auth: string) => new Octokit({ ...options, auth });
  if (credentials.appId && credentials.privateKey) {
    checkPrivateKey(credentials.privateKey);
    // @octokit/auth-app signs the App's JWT for the /app routes (and renews it), as Probot does for the bot.
    const { appId, privateKey } = credentials;
    const github = new Octokit({ ...options, authStrategy: createAppAuth, auth: { appId, privateKey } });
    return { github, mode: 'app', withToken };
  }
  if (credentials.token) return { github: withToken(credentials.token), mode: 'token', withToken };
  throw new PipewardenError(
    "--github-repo needs GitHub credentials: the App's (--github-app-id / APP_ID and --github-private-key / PRIVATE_KEY_PATH), or a token in GITHUB_TOKEN (default branch only)",
  );
}

export interface GitHubClients {
  /** @octokit/rest with the App's JWT (`app`) or a plain token (`token`). */
  github: Octokit;
  mode: 'app' | 'token';
  /** A client with an installation token the App issued. */
  withToken: (token: string) => Octokit;
}
