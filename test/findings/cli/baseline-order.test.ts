import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { featurePipeline, FakeCodePipeline, type FakeAction } from '../../support/codepipeline-fake.js';
import { FakeAws } from '../../support/fake-aws.js';
import { runCli } from './run-cli.js';
import { fixture } from '../helpers.js';

/**
 * Which run's findings become main's baseline (branches/main/latest.json): the CLI's `publish s3`, with real
 * S3 and CodePipeline SDK clients against local servers. Main's executions start in push order; a retried
 * older execution's Gate runs later but must not put the older commit's findings on top.
 */

const BUCKET = 'acme-findings';
const LATEST = `${BUCKET}/acme/shop/branches/main/latest.json`;
const OLDER = { id: '3f7c2d4e-0000-4000-8000-00000000000a', sha: 'a'.repeat(40) };
const NEWER = { id: '3f7c2d4e-0000-4000-8000-00000000000b', sha: 'b'.repeat(40) };
const REPORTS = [fixture('snyk/test-report-with-reachability.json')];

let aws: FakeAws;
let codepipeline: FakeCodePipeline;

/** A main execution whose Source action started `start` seconds after the fake's epoch (2025-06-02T09:30Z). */
function execution(id: string, start: number, actions: Partial<FakeAction>[] = [{}]) {
  codepipeline.addExecution({
    id: id,
    pipeline: 'shop-main',
    frames: [
      {
        status: 'InProgress',
        actions: [
          ...actions.map((a): FakeAction => ({
            stage: 'Source',
            action: 'Source',
            status: 'Succeeded',
            provider: 'CodeStarSourceConnection',
            start,
            end: start + 4,
            ...a,
          })),
          // The Gate ran (or is running) much later than Source: its time must not matter.
          { stage: 'Gate', action: 'Gate', status: 'InProgress', start: start + 3600 },
        ],
      },
    ],
  });
}

/** `publish s3` as the main gate runs it: the pipeline's variables, pointed at the fakes. */
function publish(run: { id: string; sha: string }, args: string[] = [], extra: Record<string, string> = {}) {
  return runCli(['publish', 's3', ...args, ...REPORTS], {
    ...aws.env(),
    AWS_ENDPOINT_URL_CODEPIPELINE: codepipeline.url,
    PIPEWARDEN_FINDINGS_BUCKET: BUCKET,
    PIPEWARDEN_BASELINE_BRANCH: 'main',
    PIPEWARDEN_REPO: 'acme/shop',
    PIPEWARDEN_COMMIT: run.sha,
    PIPEWARDEN_BRANCH: 'main',
    PIPEWARDEN_PIPELINE: 'shop-main',
    PIPEWARDEN_PIPELINE_KIND: 'main',
    PIPEWARDEN_EXECUTION_ID: run.id,
    PIPEWARDEN_COMMIT_TIME: undefined as unknown as string,
    PIPEWARDEN_BASELINE_ORDER: undefined as unknown as string,
    CODEBUILD_SRC_DIR: '/src/repo',
    ...extra,
  });
}

const baselineCommit = () => aws.s3.objects.get(LATEST)?.metadata['pipewarden-commit'];

beforeAll(async () => {
  aws = await new FakeAws().start();
  codepipeline = await new FakeCodePipeline({ pipelines: [featurePipeline('shop-main')] }).start();
});
afterAll(async () => {
  await aws.stop();
  await codepipeline.stop();
});
beforeEach(() => {
  aws.reset();
  aws.s3.buckets.add(BUCKET);
  codepipeline.executions.clear();
  codepipeline.requests.length = 0;
  codepipeline.failWith = () => undefined;
  execution(OLDER.id, 0);
  execution(NEWER.id, 300);
});

describe('publish s3 --baseline-order execution-start', () => {
  it('a retried older execution’s gate does not replace the newer execution’s latest.json', async () => {
    const newer = await publish(NEWER, ['--baseline-order', 'execution-start']);
    expect(newer.code).toBe(0);
    expect(newer.stdout).toContain(
      `baseline ordered by the start of execution ${NEWER.id} (2025-06-02T09:35:00.000Z)`,
    );
    expect(baselineCommit()).toBe(NEWER.sha);

    // The older execution's Gate is retried an hour later: its own execution prefix is stored, the baseline kept.
    const retried = await publish(OLDER, ['--baseline-order', 'execution-start']);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(
      `baseline s3://${LATEST} kept: it is from a later run (2025-06-02T09:35:00.000Z) than this one`,
    );
    expect(baselineCommit()).toBe(NEWER.sha);
    expect(
      aws.s3.objects.has(`${BUCKET}/acme/shop/pipelines/shop-main/executions/${OLDER.id}/findings.json`),
    ).toBe(true);
    // One paginated ListActionExecutions per publish, filtered on the run's own execution.
    expect(codepipeline.calls('ListActionExecutions').map((c) => c.body)).toEqual([
      { pipelineName: 'shop-main', filter: { pipelineExecutionId: NEWER.id }, maxResults: 100 },
      { pipelineName: 'shop-main', filter: { pipelineExecutionId: OLDER.id }, maxResults: 100 },
    ]);
  });

  it('the gate’s run time alone (generated-at) lets the retried older run win: the case execution-start closes', async () => {
    await publish(NEWER);
    await publish(OLDER);
    expect(baselineCommit()).toBe(OLDER.sha);
    expect(codepipeline.calls('ListActionExecutions')).toHaveLength(0);
  });

  it('a newer execution replaces the baseline, and the variable PIPEWARDEN_BASELINE_ORDER selects the order', async () => {
    await publish(OLDER, [], { PIPEWARDEN_BASELINE_ORDER: 'execution-start' });
    const newer = await publish(NEWER, [], { PIPEWARDEN_BASELINE_ORDER: 'execution-start' });
    expect(newer.code).toBe(0);
    expect(baselineCommit()).toBe(NEWER.sha);
    expect(aws.s3.objects.get(LATEST)?.metadata['pipewarden-order']).toBe('2025-06-02T09:35:00.000Z');
  });

  it('no variable reorders it: PIPEWARDEN_COMMIT_TIME is ignored, --commit-time refused', async () => {
    await publish(NEWER, ['--baseline-order', 'execution-start']);
    const forged = await publish(OLDER, ['--baseline-order', 'execution-start'], {
      PIPEWARDEN_COMMIT_TIME: '2099-01-01T00:00:00Z',
    });
    expect(forged.code).toBe(0);
    expect(baselineCommit()).toBe(NEWER.sha);

    const both = await publish(OLDER, [
      '--baseline-order',
      'execution-start',
      '--commit-time',
      '2099-01-01T00:00:00Z',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--commit-time with --baseline-order execution-start: give one/);
  });

  it('a Source stage retried within the execution keeps the execution’s first start', async () => {
    execution(OLDER.id, 0, [{ status: 'Failed', start: 0, end: 2 }, { start: 900 }]);
    await publish(NEWER, ['--baseline-order', 'execution-start']);
    await publish(OLDER, ['--baseline-order', 'execution-start']);
    expect(baselineCommit()).toBe(NEWER.sha);
  });

  it('CodePipeline denies the lookup: the run’s findings are stored, latest.json is not, one line names the permission', async () => {
    codepipeline.failWith = (operation) =>
      operation === 'ListActionExecutions'
        ? {
            status: 400,
            type: 'AccessDeniedException',
            message: 'not authorized to perform ListActionExecutions',
          }
        : undefined;
    const denied = await publish(NEWER, ['--baseline-order', 'execution-start']);
    expect(denied.code).toBe(2);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    expect(denied.stderr).toMatch(
      /s3:\/\/acme-findings\/acme\/shop\/branches\/main\/latest\.json not updated: CodePipeline ListActionExecutions \(pipeline shop-main, execution 3f7c2d4e-0000-4000-8000-00000000000b\): access denied .*the role needs codepipeline:ListActionExecutions on the pipeline \(this execution's and the commit's findings are stored\)/,
    );
    expect(aws.s3.objects.has(LATEST)).toBe(false);
    expect(aws.s3.objects.has(`${BUCKET}/acme/shop/commits/${NEWER.sha}/findings.json`)).toBe(true);
  });

  it('an execution CodePipeline has no Source run for fails with exit 3, naming the variables', async () => {
    codepipeline.executions.delete(NEWER.id);
    execution(NEWER.id, 300, []);
    const unknown = await publish(NEWER, ['--baseline-order', 'execution-start']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/lists no Source action run for it.*PIPEWARDEN_EXECUTION_ID/);
    expect(aws.s3.objects.has(LATEST)).toBe(false);
  });

  it('refuses an unknown order in one line naming the accepted ones', async () => {
    const bad = await publish(NEWER, ['--baseline-order', 'commit-date']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--baseline-order "commit-date": not a baseline order; use execution-start or generated-at/,
    );
    expect(aws.s3.objects.size).toBe(0);
  });
});
