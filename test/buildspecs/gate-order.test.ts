import { beforeEach, describe, expect, it } from '@jest/globals';
import { fixture } from '../findings/helpers.js';
import {
  artifact,
  codepipeline,
  fake,
  LATEST,
  pipelineEnv,
  runDir,
  SHA,
  SHA2,
  runAfterInstall,
  useBuildspecRuns,
} from './buildspec-runs.js';
import { loadBuildspec, makeSourceDir } from './run-buildspec.js';

/**
 * gate.yml (the main pipeline's gate) orders the baseline by the start of the CodePipeline execution, asked of
 * a local CodePipeline: an older execution whose Gate is retried after a newer one finished leaves latest.json
 * to the newer commit, whatever variable the run carries.
 */

useBuildspecRuns();

const OLDER = { id: '3f7c2d4e-0000-4000-8000-0000000000a1', sha: SHA };
const NEWER = { id: '3f7c2d4e-0000-4000-8000-0000000000b2', sha: SHA2 };

beforeEach(() => {
  codepipeline.requests.length = 0;
  for (const [run, start] of [
    [OLDER, 0],
    [NEWER, 120],
  ] as const)
    codepipeline.addExecution({
      id: run.id,
      pipeline: 'shop-main',
      frames: [
        {
          status: 'InProgress',
          actions: [
            {
              stage: 'Source',
              action: 'Source',
              status: 'Succeeded',
              provider: 'CodeStarSourceConnection',
              start,
              end: start + 3,
            },
            { stage: 'Gate', action: 'Gate', status: 'InProgress', start: start + 600 },
          ],
        },
      ],
    });
});

/** One main Gate run from its build phase: a clean report (the gate passes), the run's commit and execution. */
async function gate(run: { id: string; sha: string }, extra: Record<string, string> = {}) {
  const src = makeSourceDir(runDir);
  const env = pipelineEnv(src, {
    PIPEWARDEN_GATE_ARTIFACTS: 'SnykReports',
    CODEBUILD_SRC_DIR_SnykReports: artifact(`SnykReports-${run.id}`, {
      'snyk-iac.json': fixture('snyk/iac-test-report.json'),
    }),
    PIPEWARDEN_SECURITY_HUB: 'false',
    PIPEWARDEN_COMMIT: run.sha,
    PIPEWARDEN_EXECUTION_ID: run.id,
    ...extra,
  });
  return runAfterInstall(loadBuildspec('gate.yml'), { cwd: src, env });
}

const baselineCommit = () => fake.s3.objects.get(LATEST)?.metadata['pipewarden-commit'];

describe('gate.yml: which run’s findings become the baseline', () => {
  it('a retried older execution’s Gate does not replace the newer execution’s latest.json', async () => {
    const newer = await gate(NEWER);
    expect(newer.log).toContain(`baseline ordered by the start of execution ${NEWER.id}`);
    expect(baselineCommit()).toBe(NEWER.sha);

    // A variable in the run (the project's or one a build could set) does not reorder it either.
    const retried = await gate(OLDER, { PIPEWARDEN_COMMIT_TIME: '2099-01-01T00:00:00Z' });
    expect(retried.log).toMatch(/baseline s3:\/\/.*latest\.json kept: it is from a later run/);
    expect(baselineCommit()).toBe(NEWER.sha);
    expect(fake.s3.objects.has(`acme-findings/acme/shop/commits/${OLDER.sha}/findings.json`)).toBe(true);
    expect(codepipeline.calls('ListActionExecutions').map((c) => c.body)).toEqual([
      { pipelineName: 'shop-main', filter: { pipelineExecutionId: NEWER.id }, maxResults: 100 },
      { pipelineName: 'shop-main', filter: { pipelineExecutionId: OLDER.id }, maxResults: 100 },
    ]);
  });

  it('without codepipeline:ListActionExecutions the stage fails, naming it, and latest.json is left alone', async () => {
    codepipeline.failWith = (operation) =>
      operation === 'ListActionExecutions'
        ? { status: 400, type: 'AccessDeniedException', message: 'not authorized' }
        : undefined;
    try {
      const denied = await gate(NEWER);
      expect(denied.status).toBe('FAILED');
      expect(denied.log).toMatch(/latest\.json not updated: .*codepipeline:ListActionExecutions/);
      expect(fake.s3.objects.has(LATEST)).toBe(false);
    } finally {
      codepipeline.failWith = () => undefined;
    }
  });
});
