import nock, { type ReplyFnResult } from 'nock';
import { gunzipSync } from 'node:zlib';
import { checkAgainstOpenApi } from './openapi.js';

/**
 * GitHub's REST API at the HTTP boundary (nock, every other host refused): a small stateful model of the
 * endpoints the bot uses, enforcing GitHub's own limits (≤ 50 annotations a request, 65,535-character
 * check output, 65,536-character comment, ≤ 3 buttons), and a check of every request against the
 * OpenAPI description. Tests read the state (check runs, comments) and the request log.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  template?: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

export interface CheckRun {
  id: number;
  repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string;
  details_url?: string;
  app_id: number;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Record<string, unknown>[];
  actions: { label: string; description: string; identifier: string }[];
  /** Request bodies that touched this run, in order. */
  writes: Record<string, unknown>[];
}

export interface Comment {
  id: number;
  repo: string;
  issue: number;
  body: string;
  user: { login: string; type: string };
  /** The App whose installation wrote it (GitHub sets it for App-authored comments). */
  performed_via_github_app?: { id: number; slug: string } | null;
}

/** A code scanning upload as GitHub received it, decoded (base64 → gunzip → SARIF). */
export interface SarifUpload {
  id: string;
  repo: string;
  commit_sha: string;
  ref: string;
  gzipBytes: number;
  sarif: { version: string; runs: { automationDetails?: { id: string }; results: unknown[] }[] };
  /** Status reads so far. */
  polls: number;
}

type Reply = [number, unknown, Record<string, string>?];

export const API = 'https://api.github.com';

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly checkRuns: CheckRun[] = [];
  readonly comments: Comment[] = [];
  /** login → the collaborator-permission answer; absent = not a collaborator (404). */
  readonly permissions = new Map<string, { permission: string; role_name: string }>();
  /** `owner/repo` → .github/pipewarden.yml text. */
  readonly configs = new Map<string, string>();
  /** commit sha → pull requests associated with it (a fork's: `head.repo.full_name` is the fork). */
  readonly pulls = new Map<
    string,
    {
      number: number;
      state: string;
      head: { sha: string; ref?: string; repo?: { full_name: string } | null };
      /** `repo`: the repository it merges into when not the run's (the served repository is a fork). */
      base?: { ref: string; repo?: { full_name: string } };
    }[]
  >();
  /** `owner/repo` → branch → its commits, oldest first (the last is the branch's head): the compare API. */
  readonly branches = new Map<string, Map<string, string[]>>();
  readonly installations = new Map<string, number>();
  /** A test's override for the next matching request (rate limits, outages). */
  intercept: ((req: RecordedRequest) => Reply | undefined) | undefined;
  commentPageSize = 100;
  tokens = 0;
  readonly sarifs: SarifUpload[] = [];
  /** How uploads are processed: reads before the outcome, then complete or failed (with its errors). */
  sarifProcessing: { pendingPolls: number; outcome: 'complete' | 'failed'; errors?: string[] } = {
    pendingPolls: 0,
    outcome: 'complete',
  };
  /** The installation's `security_events: write` permission (code scanning uploads). */
  securityEvents = true;
  private nextId = 1000;

  constructor(readonly appId: number) {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    const scope = nock(API).persist();
    const handle = this.handle.bind(this);
    for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const)
      scope[method](() => true).reply(function (uri, body) {
        const headers = Object.fromEntries(
          Object.entries(this.req.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
        );
        return handle(method.toUpperCase(), uri, body, headers) as unknown as ReplyFnResult;
      });
  }

  close(): void {
    nock.cleanAll();
    nock.enableNetConnect();
  }

  /** Writes (POST/PATCH/PUT/DELETE) to the API, excluding installation tokens. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/access_tokens'));
  }

  /** Requests to the API other than installation tokens (the cost of a publication). */
  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => !r.path.endsWith('/access_tokens'));
  }

  runs(name?: string, sha?: string): CheckRun[] {
    return this.checkRuns.filter((r) => (!name || r.name === name) && (!sha || r.head_sha === sha));
  }

  addComment(
    repo: string,
    issue: number,
    body: string,
    user = { login: 'someone', type: 'User' },
    app: Comment['performed_via_github_app'] = user.login === 'pipewarden[bot]'
      ? { id: this.appId, slug: 'pipewarden' }
      : null,
  ): Comment {
    const c = { id: this.nextId++, repo, issue, body, user, performed_via_github_app: app };
    this.comments.push(c);
    return c;
  }

  private handle(method: string, uri: string, rawBody: unknown, headers: Record<string, string>): Reply {
    const url = new URL(uri, API);
    let body: unknown = rawBody;
    if (typeof rawBody === 'string' && rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    if (body === '') body = undefined;
    const { template, problems } = checkAgainstOpenApi(method, url, body);
    const req: RecordedRequest = {
      method,
      path: url.pathname,
      ...(template ? { template } : {}),
      query: Object.fromEntries(url.searchParams),
      body,
      headers,
    };
    this.requests.push(req);
    for (const p of problems) this.violations.push(`${method} ${url.pathname}: ${p}`);
    const override = this.intercept?.(req);
    if (override) return override;
    try {
      return this.route(req);
    } catch (error) {
      this.violations.push(`${method} ${url.pathname}: fake failed: ${(error as Error).message}`);
      return [500, { message: (error as Error).message }];
    }
  }

  private route(req: RecordedRequest): Reply {
    const p = req.path.split('/').slice(1).map(decodeURIComponent);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const repo = `${p[1]}/${p[2]}`;
    const t = req.template;
    if (t === '/app/installations/{installation_id}/access_tokens') {
      this.tokens++;
      return [
        201,
        {
          token: `ghs_faketoken${this.tokens}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: {},
        },
      ];
    }
    if (t === '/repos/{owner}/{repo}/installation') {
      const id = this.installations.get(repo);
      return id
        ? [200, { id, account: { login: p[1] }, app_id: this.appId }]
        : [404, { message: 'Not Found' }];
    }
    if (t === '/repos/{owner}/{repo}/contents/{path}') {
      const text = p.slice(4).join('/') === '.github/pipewarden.yml' ? this.configs.get(repo) : undefined;
      return text === undefined
        ? [404, { message: 'Not Found' }]
        : [200, text, { 'content-type': 'application/vnd.github.raw; charset=utf-8' }];
    }
    if (t === '/repos/{owner}/{repo}/commits/{ref}/check-runs') {
      let runs = this.checkRuns.filter((r) => r.repo === repo && r.head_sha === p[4]);
      if (req.query.check_name) runs = runs.filter((r) => r.name === req.query.check_name);
      if (req.query.app_id) runs = runs.filter((r) => r.app_id === Number(req.query.app_id));
      runs = [...runs].sort((a, b2) => b2.id - a.id);
      if (req.query.filter !== 'all')
        runs = runs.filter((r, i) => runs.findIndex((o) => o.name === r.name) === i);
      const perPage = Number(req.query.per_page ?? 30);
      return [200, { total_count: runs.length, check_runs: runs.slice(0, perPage).map((r) => this.view(r)) }];
    }
    if (t === '/repos/{owner}/{repo}/check-runs' && req.method === 'POST') {
      const problem = this.checkLimits(b);
      if (problem) return [422, { message: problem }];
      const run: CheckRun = {
        id: this.nextId++,
        repo,
        name: String(b.name),
        head_sha: String(b.head_sha),
        status: 'queued',
        conclusion: null,
        external_id: '',
        app_id: this.appId,
        output: { title: null, summary: null, text: null },
        annotations: [],
        actions: [],
        writes: [],
      };
      this.apply(run, b);
      this.checkRuns.push(run);
      return [201, this.view(run)];
    }
    if (t === '/repos/{owner}/{repo}/check-runs/{check_run_id}' && req.method === 'PATCH') {
      const run = this.checkRuns.find((r) => r.id === Number(p[4]) && r.repo === repo);
      if (!run) return [404, { message: 'Not Found' }];
      const problem = this.checkLimits(b);
      if (problem) return [422, { message: problem }];
      this.apply(run, b);
      return [200, this.view(run)];
    }
    if (t === '/repos/{owner}/{repo}/issues/{issue_number}/comments' && req.method === 'GET') {
      const all = this.comments.filter((c) => c.repo === repo && c.issue === Number(p[4]));
      const perPage = Math.min(Number(req.query.per_page ?? 30), this.commentPageSize);
      const page = Number(req.query.page ?? 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) {
        const next = new URL(`${API}${req.path}`);
        next.searchParams.set('per_page', String(perPage));
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return [
        200,
        slice.map((c) => ({
          id: c.id,
          body: c.body,
          user: c.user,
          performed_via_github_app: c.performed_via_github_app ?? null,
        })),
        headers,
      ];
    }
    if (t === '/repos/{owner}/{repo}/issues/{issue_number}/comments' && req.method === 'POST') {
      if (String(b.body).length > 65_536)
        return [422, { message: 'body is too long (maximum is 65536 characters)' }];
      const c = this.addComment(repo, Number(p[4]), String(b.body), {
        login: 'pipewarden[bot]',
        type: 'Bot',
      });
      return [201, { id: c.id, body: c.body, user: c.user }];
    }
    if (t === '/repos/{owner}/{repo}/issues/comments/{comment_id}') {
      const c = this.comments.find((x) => x.id === Number(p[5]) && x.repo === repo);
      if (!c) return [404, { message: 'Not Found' }];
      if (req.method === 'DELETE') {
        this.comments.splice(this.comments.indexOf(c), 1);
        return [204, ''];
      }
      // An installation can edit only its own App's comments: a person's or another App's is a 403.
      if (c.performed_via_github_app?.id !== this.appId)
        return [403, { message: 'Resource not accessible by integration' }];
      if (String(b.body).length > 65_536)
        return [422, { message: 'body is too long (maximum is 65536 characters)' }];
      c.body = String(b.body);
      return [200, { id: c.id, body: c.body, user: c.user }];
    }
    if (t === '/repos/{owner}/{repo}/collaborators/{username}/permission') {
      const perm = this.permissions.get(p[4]!);
      return perm ? [200, { ...perm, user: { login: p[4] } }] : [404, { message: `${p[4]} is not a user` }];
    }
    if (t === '/repos/{owner}/{repo}/commits/{commit_sha}/pulls')
      return [
        200,
        (this.pulls.get(p[4]!) ?? []).map((pr) => ({
          ...pr,
          base: { ref: pr.base?.ref ?? 'main', repo: { full_name: pr.base?.repo?.full_name ?? repo } },
        })),
      ];
    if (t === '/repos/{owner}/{repo}/code-scanning/sarifs') return this.uploadSarif(repo, b);
    if (t === '/repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}') {
      const upload = this.sarifs.find((u) => u.id === p[5] && u.repo === repo);
      if (!upload) return [404, { message: 'Not Found' }];
      upload.polls++;
      const { pendingPolls, outcome, errors } = this.sarifProcessing;
      const status = upload.polls <= pendingPolls ? 'pending' : outcome;
      return [
        200,
        {
          processing_status: status,
          analyses_url:
            status === 'complete'
              ? `${API}/repos/${repo}/code-scanning/analyses?sarif_id=${upload.id}`
              : null,
          errors: status === 'failed' ? (errors ?? []) : null,
        },
      ];
    }
    if (t === '/repos/{owner}/{repo}/compare/{basehead}') return this.compare(repo, p.slice(4).join('/'));
    this.violations.push(`unexpected request ${req.method} ${req.path}`);
    return [404, { message: 'Not Found' }];
  }

  /**
   * `base...head` with a branch as base and a commit as head, as GitHub answers it: `identical` when the
   * commit is the branch's head, `behind` when it is an older commit of the branch, `ahead` for a commit
   * the branch does not have (a fork's or another branch's), 404 for an unknown branch.
   */
  private compare(repo: string, basehead: string): Reply {
    const [base, head] = basehead.split('...');
    const commits = this.branches.get(repo)?.get(base ?? '');
    if (!commits || !head) return [404, { message: 'Not Found' }];
    const at = commits.indexOf(head);
    const behind = at < 0 ? 0 : commits.length - 1 - at;
    const status = at < 0 ? 'ahead' : behind === 0 ? 'identical' : 'behind';
    return [
      200,
      {
        status,
        ahead_by: at < 0 ? 1 : 0,
        behind_by: behind,
        total_commits: at < 0 ? 1 : 0,
        commits: [],
        files: [],
      },
    ];
  }

  /** As GitHub takes a SARIF upload: 403 without the permission, 413 above 10 MB gzipped, 400 if unreadable. */
  private uploadSarif(repo: string, b: Record<string, unknown>): Reply {
    if (!this.securityEvents) return [403, { message: 'Resource not accessible by integration' }];
    const gzipped = Buffer.from(String(b.sarif), 'base64');
    if (gzipped.length > 10_000_000) return [413, { message: 'Payload Too Large' }];
    let sarif: SarifUpload['sarif'];
    try {
      sarif = JSON.parse(gunzipSync(gzipped).toString('utf8')) as SarifUpload['sarif'];
    } catch {
      return [400, { message: 'Invalid request: the sarif is not gzip-compressed, base64-encoded JSON' }];
    }
    if (sarif.version !== '2.1.0' || !Array.isArray(sarif.runs))
      return [400, { message: 'Invalid request: not a SARIF 2.1.0 log' }];
    const upload: SarifUpload = {
      id: `sarif-${this.nextId++}`,
      repo,
      commit_sha: String(b.commit_sha),
      ref: String(b.ref),
      gzipBytes: gzipped.length,
      sarif,
      polls: 0,
    };
    this.sarifs.push(upload);
    return [202, { id: upload.id, url: `${API}/repos/${repo}/code-scanning/sarifs/${upload.id}` }];
  }

  /** GitHub's limits, as its API answers them: 422. */
  private checkLimits(b: Record<string, unknown>): string | undefined {
    const output = b.output as Record<string, unknown> | undefined;
    const annotations = (output?.annotations as unknown[] | undefined) ?? [];
    if (annotations.length > 50) return 'Only 50 annotations are allowed per request';
    for (const f of ['summary', 'text'] as const)
      if (typeof output?.[f] === 'string' && (output[f] as string).length > 65_535)
        return `output.${f} is too long (maximum is 65535 characters)`;
    const actions =
      (b.actions as { label: string; description: string; identifier: string }[] | undefined) ?? [];
    if (actions.length > 3) return 'Only 3 actions are allowed';
    for (const a of actions)
      if (a.label.length > 20 || a.description.length > 40 || a.identifier.length > 20)
        return 'action label/description/identifier too long';
    return undefined;
  }

  private apply(run: CheckRun, b: Record<string, unknown>): void {
    run.writes.push(b);
    if (typeof b.status === 'string') run.status = b.status;
    if (typeof b.conclusion === 'string') {
      run.conclusion = b.conclusion;
      run.status = 'completed';
    }
    if (typeof b.external_id === 'string') run.external_id = b.external_id;
    if (typeof b.details_url === 'string') run.details_url = b.details_url;
    if (Array.isArray(b.actions)) run.actions = b.actions as CheckRun['actions'];
    const output = b.output as Record<string, unknown> | undefined;
    if (output) {
      run.output.title = (output.title as string) ?? run.output.title;
      run.output.summary = (output.summary as string) ?? run.output.summary;
      if (typeof output.text === 'string') run.output.text = output.text;
      run.annotations.push(...((output.annotations as Record<string, unknown>[]) ?? []));
    }
  }

  private view(run: CheckRun) {
    return {
      id: run.id,
      name: run.name,
      head_sha: run.head_sha,
      status: run.status,
      conclusion: run.conclusion,
      external_id: run.external_id,
      details_url: run.details_url ?? null,
      app: { id: run.app_id },
      output: { ...run.output, annotations_count: run.annotations.length },
      pull_requests: this.pullRequestsOf(run),
    };
  }

  /**
   * What GitHub lists with a check run: the open pull requests of the run's repository whose head is its
   * commit (pull-request-minimal); a fork's pull request is never listed. When the run's repository is
   * itself a fork, its branches' pull requests into the upstream are listed too (`base.repo` the upstream).
   */
  private pullRequestsOf(run: CheckRun) {
    const repo = (id: number, name = run.repo) => ({
      id,
      url: `${API}/repos/${name}`,
      name: name.split('/')[1]!,
    });
    return (this.pulls.get(run.head_sha) ?? [])
      .filter((pr) => pr.state === 'open' && (!pr.head.repo || pr.head.repo.full_name === run.repo))
      .map((pr) => ({
        id: 7000 + pr.number,
        number: pr.number,
        url: `${API}/repos/${pr.base?.repo?.full_name ?? run.repo}/pulls/${pr.number}`,
        head: { ref: pr.head.ref ?? 'feature', sha: pr.head.sha, repo: repo(1) },
        base: {
          ref: pr.base?.ref ?? 'main',
          sha: '0'.repeat(40),
          repo: pr.base?.repo ? repo(2, pr.base.repo.full_name) : repo(1),
        },
      }));
  }
}
