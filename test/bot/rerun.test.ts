import { PIPELINE_VARIABLES } from '../../pipeline/contracts.js';
import { requestToken } from '../../pipeline/start-at-commit.js';
import { describe, expect, it } from '@jest/globals';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { example, PIPELINES, type Harness } from './helpers/harness.js';
import { useHarness } from './helpers/use-harness.js';

let h: Harness;
const restart = useHarness((started) => (h = started), {
  setup(started) {
    started.github.permissions.set('octocat', { permission: 'write', role_name: 'write' });
    started.github.permissions.set('Codertocat', { permission: 'admin', role_name: 'admin' });
    started.github.permissions.set('octocoders-linter[bot]', { permission: 'write', role_name: 'write' });
    started.github.permissions.set('maintainer', { permission: 'write', role_name: 'maintain' });
  },
});

/** check_run.rerequested on our pipeline check (the example's check is another app's "randscape"). */
const rerunOurCheck = () =>
  example('check_run', 'rerequested', (p) => {
    p.check_run.name = CHECK_NAMES.pipeline;
  });

/** The commits of a branch of a repository, as the compare API sees them (the last is its head). */
const onBranch = (repo: string, branch: string, ...commits: string[]) => {
  const branches = h.github.branches.get(repo) ?? new Map<string, string[]>();
  branches.set(branch, commits);
  h.github.branches.set(repo, branches);
};
const older = '1'.repeat(40);
/** A summary as GitHub renders it: without the Markdown escapes (backslashes, zero-width spaces). */
const plain = (markdown: string | null) =>
  (markdown ?? '').replace(/\u200b/g, '').replace(/\\([\\`*_{}[\]()#+\-.!|<>~@])/g, '$1');
const compares = () =>
  h.github.requests.filter((r) => r.template === '/repos/{owner}/{repo}/compare/{basehead}');

describe('Re-run', () => {
  it('starts the pull-request pipeline again at the check’s commit (check_run.rerequested)', async () => {
    const payload = rerunOurCheck();
    // The example's commit is the head of master in github/hello-world, and has no pull request.
    onBranch(payload.repository.full_name, 'master', older, payload.check_run.head_sha);
    const id = '0b1c2d3e-0000-4000-8000-000000000010';
    expect((await h.send('check_run', payload, { id })).status).toBe(200);
    expect(h.aws.pipelines.started).toEqual([
      expect.objectContaining({
        name: PIPELINES.feature,
        sourceRevisions: [
          { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: payload.check_run.head_sha },
        ],
        clientRequestToken: requestToken(id),
      }),
    ]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.check_run.head_sha);
    expect(run).toMatchObject({ status: 'in_progress', output: { title: 'Started again' } });
    expect(run!.external_id).toBe(`${PIPELINES.feature}:${[...h.aws.pipelines.executions.values()][0]!.id}`);
    expect(run!.output.summary).not.toContain('🔐');
  });

  it('writes the check before the start when the commit has none: the run’s STARTED on another instance adopts it', async () => {
    await restart({ instances: 2 });
    const payload = example('check_suite', 'rerequested');
    const sha: string = payload.check_suite.head_sha;
    h.github.installations.set(payload.repository.full_name, payload.installation.id);
    let atStart: unknown[] = [];
    h.options.aws.codepipeline.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'StartPipelineExecutionCommand') return next(args);
        atStart = structuredClone(h.github.runs(CHECK_NAMES.pipeline, sha));
        const out = await next(args);
        await h.pipelineEvent(
          'execution',
          [...h.aws.pipelines.executions.values()][0]!,
          'STARTED',
          undefined,
          1,
        );
        return out;
      },
      { step: 'initialize', name: 'runStartedMeanwhile' },
    );
    await h.send('check_suite', payload);
    expect(atStart).toEqual([expect.objectContaining({ status: 'queued' })]);
    const runs = h.github.runs(CHECK_NAMES.pipeline, sha);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'in_progress', output: { title: 'Started again' } });
  });

  it('re-runs the pipeline the check last showed', async () => {
    const payload = rerunOurCheck();
    const [owner, repo] = payload.repository.full_name.split('/');
    onBranch(payload.repository.full_name, 'master', payload.check_run.head_sha);
    h.github.installations.set(payload.repository.full_name, payload.installation.id);
    const first = h.aws.pipelines.execute(PIPELINES.main, { sha: payload.check_run.head_sha, owner, repo });
    h.aws.pipelines.progress(first, 'Build', 'Failed');
    first.status = 'Failed';
    await h.pipelineEvent('execution', first, 'FAILED');
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started.map((s) => s.name)).toEqual([PIPELINES.main]);
    expect(h.github.runs(CHECK_NAMES.pipeline)).toHaveLength(1);
    // The main pipeline deploys: the bot asked GitHub whether the commit is on the default branch.
    expect(compares().map((r) => decodeURIComponent(r.path.split('/compare/')[1]!))).toEqual([
      `master...${payload.check_run.head_sha}`,
    ]);
  });

  it('starts once for a redelivered click (CodePipeline idempotency token)', async () => {
    const payload = rerunOurCheck();
    onBranch(payload.repository.full_name, 'master', payload.check_run.head_sha);
    const id = '0b1c2d3e-0000-4000-8000-000000000011';
    await h.send('check_run', payload, { id });
    await h.send('check_run', payload, { id });
    expect(h.aws.pipelines.started.map((s) => s.clientRequestToken)).toEqual([
      requestToken(id),
      requestToken(id),
    ]);
    expect(h.aws.pipelines.executions.size).toBe(1);
    expect(h.github.runs(CHECK_NAMES.pipeline)).toHaveLength(1);
  });

  it('re-runs the suite with its pull request (check_suite.rerequested)', async () => {
    const payload = example('check_suite', 'rerequested');
    await h.send('check_suite', payload);
    const [start] = h.aws.pipelines.started;
    expect(start).toMatchObject({
      name: PIPELINES.feature,
      sourceRevisions: [{ revisionValue: payload.check_suite.head_sha }],
      variables: expect.arrayContaining([
        { name: PIPELINE_VARIABLES.pullRequest, value: String(payload.check_suite.pull_requests[0].number) },
        { name: PIPELINE_VARIABLES.headBranch, value: payload.check_suite.head_branch },
        { name: PIPELINE_VARIABLES.baseBranch, value: payload.check_suite.pull_requests[0].base.ref },
      ]),
    });
    // The payload's pull request has its head in this repository: no further lookup was needed.
    expect(h.github.requests.some((r) => r.template?.endsWith('/pulls'))).toBe(false);
  });

  it('refuses someone without write access, on the check', async () => {
    h.github.permissions.set('octocat', { permission: 'read', role_name: 'read' });
    const payload = rerunOurCheck();
    onBranch(payload.repository.full_name, 'master', payload.check_run.head_sha);
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Not re-run' } });
    expect(run!.output.summary).toContain('has the read permission');
  });

  it('leaves other apps’ checks alone', async () => {
    await h.send('check_run', example('check_run', 'rerequested'));
    expect(h.aws.pipelines.started).toEqual([]);
    expect(h.github.requests).toEqual([]);
  });
});

describe('Re-run of a fork’s head', () => {
  const fork = 'mallory/Hello-World';
  /**
   * check_suite.rerequested for the head of a pull request from a fork, as GitHub sends it: no head
   * branch and no pull requests in the payload; GitHub ties the commit to pull request #2 from the fork.
   */
  const forkSuite = (sender: string) => {
    const payload = example('check_suite', 'rerequested', (p) => {
      p.check_suite.head_branch = null;
      p.check_suite.pull_requests = [];
      p.sender.login = sender;
    });
    const sha: string = payload.check_suite.head_sha;
    h.github.pulls.set(sha, [
      {
        number: 2,
        state: 'open',
        head: { sha, ref: 'patch-1', repo: { full_name: fork } },
        base: { ref: 'master' },
      },
    ]);
    return payload;
  };

  it('refuses a user with write permission and starts nothing', async () => {
    const payload = forkSuite('octocat');
    expect((await h.send('check_suite', payload)).status).toBe(200);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, payload.check_suite.head_sha);
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Not re-run' },
    });
    expect(run!.output.summary).toContain('the fork mallory/Hello-World');
    expect(plain(run!.output.summary)).toContain(
      `\`${payload.check_suite.head_sha.slice(0, 12)}\` is untrusted code: it is the head of #2, from the fork ${fork}. @octocat has the write permission on this repository; maintain (or being listed in approvals.approvers of .github/pipewarden.yml) is required. Nothing was started.`,
    );
  });

  it('lets a maintainer start the feature pipeline, and the check records who, at which commit and when', async () => {
    const payload = forkSuite('maintainer');
    const sha: string = payload.check_suite.head_sha;
    await h.send('check_suite', payload);
    expect(h.aws.pipelines.started).toEqual([
      expect.objectContaining({
        name: PIPELINES.feature,
        sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: sha }],
        // The pull request comes from GitHub's answer, since a fork's check suite names none.
        variables: [
          { name: PIPELINE_VARIABLES.pullRequest, value: '2' },
          { name: PIPELINE_VARIABLES.headBranch, value: 'patch-1' },
          { name: PIPELINE_VARIABLES.baseBranch, value: 'master' },
        ],
      }),
    ]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline, sha);
    const line = new RegExp(
      `^🔐 Started for fork ${fork.replace('/', '\\/')} by @maintainer \\(maintain\\) at (\\S+), commit \`${sha}\`\\.$`,
      'm',
    );
    expect(run).toMatchObject({ status: 'in_progress', output: { title: 'Started again' } });
    const at = line.exec(run!.output.summary!)?.[1];
    expect(Date.parse(at!)).toBeGreaterThan(Date.now() - 60_000);

    // The record stays on the check as the pipeline's own events rewrite it.
    h.github.installations.set(payload.repository.full_name, payload.installation.id);
    const execution = [...h.aws.pipelines.executions.values()][0]!;
    await h.pipelineEvent('execution', execution, 'STARTED');
    expect(run!.output.title).toMatch(/^Running/);
    expect(run!.output.summary).toMatch(line);
    h.aws.pipelines.progress(execution, 'Gate', 'Succeeded');
    execution.status = 'Succeeded';
    await h.pipelineEvent('execution', execution, 'SUCCEEDED');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(run!.output.summary).toMatch(line);
    expect(h.github.runs(CHECK_NAMES.pipeline, sha)).toHaveLength(1);
  });

  it('lets a user listed in approvals.approvers start it', async () => {
    const payload = forkSuite('octocat');
    h.github.configs.set(payload.repository.full_name, 'approvals:\n  approvers: [octocat]\n');
    await h.send('check_suite', payload);
    expect(h.aws.pipelines.started).toHaveLength(1);
    expect(h.github.runs(CHECK_NAMES.pipeline)[0]!.output.summary).toContain(
      `🔐 Started for fork ${fork} by @octocat (approver)`,
    );
  });

  it('judges a fork from the payload’s pull request too (check_run on a fork’s head)', async () => {
    const payload = rerunOurCheck();
    payload.check_run.pull_requests = [
      {
        url: 'https://api.github.com/repos/github/hello-world/pulls/7',
        id: 7,
        number: 7,
        head: {
          ref: 'patch-1',
          sha: payload.check_run.head_sha,
          repo: { id: 999, url: 'https://api.github.com/repos/mallory/hello-world', name: 'hello-world' },
        },
        base: {
          ref: 'master',
          sha: payload.check_run.head_sha,
          repo: { id: payload.repository.id, url: payload.repository.url, name: 'hello-world' },
        },
      },
    ];
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    expect(h.github.runs(CHECK_NAMES.pipeline)[0]!.output.summary).toContain(
      'from the fork mallory/hello-world',
    );
  });

  it('treats a commit with no pull request that is on no branch of the repository as untrusted', async () => {
    const payload = rerunOurCheck();
    onBranch(payload.repository.full_name, 'master', older); // the commit is not on master
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline);
    expect(plain(run!.output.summary)).toContain(
      'no pull request of github/hello-world has it as its head and it is on none of its branches checked (master)',
    );
    expect(run!.output.summary).toContain('maintain');

    // An admin may still build it, and the check says it was an untrusted head.
    payload.sender.login = 'Codertocat';
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toHaveLength(1);
    expect(h.github.runs(CHECK_NAMES.pipeline)[0]!.output.summary).toMatch(
      /^🔐 Started for an untrusted head by @Codertocat \(admin\) at /m,
    );
  });
});

describe('Re-run of the main pipeline', () => {
  /** The pipeline check of this commit last showed a failed main-pipeline execution. */
  async function mainCheck(payload: ReturnType<typeof rerunOurCheck>) {
    const [owner, repo] = payload.repository.full_name.split('/');
    h.github.installations.set(payload.repository.full_name, payload.installation.id);
    const first = h.aws.pipelines.execute(PIPELINES.main, { sha: payload.check_run.head_sha, owner, repo });
    h.aws.pipelines.progress(first, 'Build', 'Failed');
    first.status = 'Failed';
    await h.pipelineEvent('execution', first, 'FAILED');
  }

  it('is refused at a commit that is not on the main branch, even for an admin', async () => {
    const payload = rerunOurCheck();
    payload.sender.login = 'Codertocat';
    onBranch(payload.repository.full_name, 'master', older); // master does not contain the commit
    await mainCheck(payload);
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    const [run] = h.github.runs(CHECK_NAMES.pipeline);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Not re-run' } });
    expect(run!.output.summary).toBe(
      `⚠️ **${PIPELINES.main}** deploys, so the bot starts it only at a commit on master; \`${payload.check_run.head_sha.slice(0, 12)}\` is not on it. Nothing was started.`,
    );
  });

  it('is allowed at an older commit of the main branch', async () => {
    const payload = rerunOurCheck();
    onBranch(payload.repository.full_name, 'master', payload.check_run.head_sha, older);
    await mainCheck(payload);
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started.map((s) => s.name)).toEqual([PIPELINES.main]);
  });

  it('compares with PIPEWARDEN_MAIN_BRANCH when it is set', async () => {
    await restart({ settings: { mainBranch: 'release' } });
    const payload = rerunOurCheck();
    onBranch(payload.repository.full_name, 'master', payload.check_run.head_sha);
    onBranch(payload.repository.full_name, 'release', older);
    await mainCheck(payload);
    await h.send('check_run', payload);
    expect(h.aws.pipelines.started).toEqual([]);
    expect(h.github.runs(CHECK_NAMES.pipeline)[0]!.output.summary).toContain('only at a commit on release');
  });
});
