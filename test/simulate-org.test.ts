import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { installationBudget, main, project, runSample, type SampleResult } from '../scripts/simulate-org.js';

jest.setTimeout(120_000);

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('simulate-org: the real bot under an organisation’s pull-request traffic', () => {
  // The command itself runs the samples, once for the whole file: 1 × 1 and 2 × 2 pull requests of 2 pushes
  // each with 3 instances, then the larger with 1 instance (the options that give the model's 24 minutes
  // between a repository's updates: 6 working hours / (5 pull requests × 3 updates)).
  let small: SampleResult;
  let large: SampleResult;
  let single: SampleResult;
  let out: string;

  beforeAll(async () => {
    const ran: SampleResult[] = [];
    const lines: string[] = [];
    const spy = jest
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      const argv = [
        '--repos',
        '30',
        '--prs',
        '5',
        '--pushes',
        '2',
        '--working-hours',
        '6',
        '--sample',
        '1,1',
      ];
      const code = await main(argv, async (options) => {
        const sample = await runSample(options);
        ran.push(sample);
        return sample;
      });
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    [small, large, single] = ran as [SampleResult, SampleResult, SampleResult];
    expect(ran.map((s) => [s.repos, s.prs, s.pushes, s.instances])).toEqual([
      [1, 1, 2, 3],
      [2, 2, 2, 3],
      [2, 2, 2, 1],
    ]);
    out = lines.join('\n');
  }, 120_000);

  it('costs the same per update at two sample sizes, every request valid against GitHub’s OpenAPI', () => {
    for (const s of [small, large]) {
      // The fake records anything outside GitHub's OpenAPI description, or a route it does not model.
      expect(s.violations).toEqual([]);
      expect(s.complete).toBe(true);
      // 20 CodePipeline events per run of the feature pipeline: 2 execution, 6 stage, 12 action.
      expect(s.pipelineEvents).toBe(20 * s.updates);
      // 32 per run of the main pipeline at each merge commit: 2 execution, 12 stage, 18 action.
      expect(s.mainEvents).toBe(32 * s.pullRequests);
      // The per-kind figures add up to the requests counted.
      expect(total(s.perUpdate) * s.updates).toBeCloseTo(s.totals.updates, 6);
      expect(total(s.bySource)).toBeCloseTo(total(s.perUpdate), 6);
      expect(total(s.mergeSources)).toBeLessThanOrEqual(total(s.perPullRequest) + 1e-9);
    }
    expect(large.updates).toBe(8);
    expect([...large.perUpdate].sort()).toEqual([...small.perUpdate].sort());
    expect([...large.perPullRequest].sort()).toEqual([...small.perPullRequest].sort());
    expect([...large.awsPerUpdate].sort()).toEqual([...small.awsPerUpdate].sort());
    // The gate's findings are read from the store for the security check of every update and merge.
    expect(large.awsPerUpdate.get('GetObject')).toBeGreaterThanOrEqual(1);
    expect(large.awsPerPullRequest.get('GetObject')).toBeGreaterThanOrEqual(1);
  });

  it('costs nothing for the events the checks do not show, and a deterministic total', () => {
    // Action events (and a non-gate stage's success) reach the bot from an older rule at most: no request.
    for (const source of ['feature action event', 'feature action event (Gate)'])
      expect(large.bySource.get(source) ?? 0).toBe(0);
    for (const source of ['main action event', 'main action event (Gate)'])
      expect(large.mergeSources.get(source) ?? 0).toBe(0);
    // A manual approval's start writes the buttons (a lookup: this instance holds no record, then the
    // write); its stage's start, which may come before the approval has a token, costs nothing.
    expect(large.mergeSources.get('main action event (Approval started)')).toBe(2);
    expect(large.mergeSources.get('main stage event')).toBe(1);
    // The counts do not vary from run to run (docs/limits.md): per push, then per merged pull request,
    // with the events of each push round 3 bot instances, among the rest of the organisation's traffic.
    expect(large.instances).toBe(3);
    expect(Object.fromEntries(large.perUpdate)).toEqual({
      // The webhook's and the publication's config reads: 8 virtual minutes apart, past the cache's 5, so
      // the repository's file each time; the organisation's fallback another repository's event just read.
      'GET /repos/{owner}/{repo}/contents/{path}': 2,
      // The execution's start (then creates the check) and its end (both checks in one request).
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 2,
      'POST /repos/{owner}/{repo}/check-runs': 2,
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': 1,
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': 1,
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': 0.5,
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': 0.5,
    });
    expect(Object.fromEntries(large.perPullRequest)).toEqual({
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': 4,
      'POST /repos/{owner}/{repo}/check-runs': 2,
      // Started, the gate's end, the approval (its buttons), the stage after it (buttons off), the end.
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': 4,
      'GET /repos/{owner}/{repo}/contents/{path}': 1,
    });
    expect(total(large.perUpdate)).toBe(9);
    expect(total(large.perPullRequest)).toBe(11);
  });

  it('costs a little less with one instance, whose memory stands in for a few lookups', () => {
    expect(single.violations).toEqual([]);
    expect(single.complete).toBe(true);
    expect(total(single.perUpdate)).toBe(9);
    expect(total(single.perPullRequest)).toBe(10);
  });

  it('reads the organisation’s fallback every time when no other repository’s events reach the instances', async () => {
    const alone = await runSample({ repos: 1, prs: 1, pushes: 2, orgTraffic: false });
    expect(alone.violations).toEqual([]);
    expect(alone.perUpdate.get('GET /repos/{owner}/{repo}/contents/{path}')).toBe(4);
    expect(total(alone.perUpdate)).toBe(11);
    expect(total(alone.perPullRequest)).toBe(12);
  });

  it('counts what the bot is meant to do: two checks per commit, one comment per pull request', () => {
    // Both checks are created on every pushed commit, and on each merge commit by the main pipeline's run.
    expect(large.perUpdate.get('POST /repos/{owner}/{repo}/check-runs')).toBe(2);
    expect(large.perPullRequest.get('POST /repos/{owner}/{repo}/check-runs')).toBe(2);
    // The comment is created by the first push and edited by the next (2 pushes per pull request).
    expect(large.perUpdate.get('POST /repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(0.5);
    expect(large.perUpdate.get('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}')).toBe(0.5);
    // The App's JWT: the installation looked up once per repository and instance, a token per instance.
    expect(large.app.get('GET /repos/{owner}/{repo}/installation')).toBe(2 * 3);
    expect(large.app.get('POST /app/installations/{installation_id}/access_tokens')).toBe(3);
    expect([...large.byInstallation.keys()].sort()).toEqual(['app (JWT)', 'installation 1']);
    expect(large.byInstallation.get('installation 1')).toBe(large.totals.updates + large.totals.close);
  });

  it('extrapolates the day from the per-update cost', () => {
    const p = project(large, { repos: 1000, prs: 20, pushes: 2 });
    expect(p.updatesPerDay).toBe(40_000);
    expect(p.perDay).toBeCloseTo(total(large.perUpdate) * 40_000 + total(large.perPullRequest) * 20_000, 6);
    expect(p.perHour(24)).toBeCloseTo(p.perDay / 24, 6);
    expect(p.contentPerDay).toBeCloseTo((2 + 0.5) * 40_000 + 2 * 20_000, 6);
    // Security Hub takes the main branch's findings only: one import run per merged pull request.
    expect(p.importTps(24)).toBeCloseTo((20_000 / 24 / 3600) * p.importsPerRun, 9);
    expect(p.importsPerRun).toBe(Math.ceil(large.findingsPerRun / 100));
  });

  it('prints the figures and the verdict against the installation budget', () => {
    expect(out).toMatch(/30 repositories × 5 pull requests\/day × 2 pushes = 300 updates\/day/);
    expect(out).toMatch(/same cost per update in both/);
    expect(out).toMatch(/instances: 3 .* with 1 instance: 9\.00 per update, 10\.00 per merged PR/);
    expect(out).toMatch(/installation requests\/h .* 5,500 /);
    expect(out).toMatch(/Security Hub imports\/s/);
  });
});

describe('installationBudget: GitHub’s formula for an installation access token', () => {
  it.each([
    [20, 0, 5_000],
    [30, 25, 5_000 + 10 * 50 + 5 * 50],
    [1000, 0, 12_500],
  ])('%i repositories, %i users → %i requests/h', (repos, users, budget) => {
    expect(installationBudget(repos, users)).toBe(budget);
  });
});

describe('simulate-org command', () => {
  it('refuses a bad flag or number with the flag and an example', async () => {
    await expect(main(['--repos', '0'])).rejects.toThrow(
      'simulate-org: --repos 0: not a positive whole number; e.g. --repos 10',
    );
    await expect(main(['--sample', '5'])).rejects.toThrow(
      'simulate-org: --sample 5: expected repositories,pull requests as positive whole numbers, e.g. --sample 5,2',
    );
    await expect(main(['--instances', '0'])).rejects.toThrow(
      'simulate-org: --instances 0: not a positive whole number; e.g. --instances 10',
    );
    await expect(main(['--bogus'])).rejects.toThrow("simulate-org: Unknown option '--bogus'; see --help");
  });
});
