import { describe, expect, it } from '@jest/globals';
import { accountFromBuildArn, scanContext } from '../../../findings/cli/scan-context.js';

describe('scanContext: the run the findings belong to, from flags, then CodePipeline/CodeBuild/GitHub variables', () => {
  it('takes the pull request head branch of a run started at its commit over the source action’s branch', () => {
    const ctx = scanContext(
      {},
      {
        PIPEWARDEN_REPO: 'acme/shop',
        PIPEWARDEN_COMMIT: 'a'.repeat(40),
        PIPEWARDEN_BRANCH: 'main',
        PIPEWARDEN_HEAD_BRANCH: 'feature/checkout',
        PIPEWARDEN_PULL_REQUEST: '42',
      },
    );
    expect(ctx).toMatchObject({ repo: 'acme/shop', branch: 'feature/checkout', pullRequest: 42 });
  });

  it('records the commit time from PIPEWARDEN_COMMIT_TIME (git log -1 --format=%cI), normalised; refuses a non-time', () => {
    expect(scanContext({}, { PIPEWARDEN_COMMIT_TIME: '2026-11-28T13:00:00+01:00' }).commitTime).toBe(
      '2026-11-28T12:00:00.000Z',
    );
    expect(scanContext({}, {}).commitTime).toBeUndefined();
    expect(() => scanContext({}, { PIPEWARDEN_COMMIT_TIME: 'yesterday' })).toThrow(
      /PIPEWARDEN_COMMIT_TIME=yesterday: not a time; set ISO 8601/,
    );
  });

  it('ignores the pipeline variables’ default `none`', () => {
    const ctx = scanContext(
      {},
      { PIPEWARDEN_BRANCH: 'main', PIPEWARDEN_HEAD_BRANCH: 'none', PIPEWARDEN_PULL_REQUEST: 'none' },
    );
    expect(ctx.branch).toBe('main');
    expect(ctx.pullRequest).toBeUndefined();
  });

  it('lets --branch win over every variable', () => {
    expect(scanContext({ branch: 'release' }, { PIPEWARDEN_HEAD_BRANCH: 'feature/x' }).branch).toBe(
      'release',
    );
  });

  it('falls back to GitHub Actions and CodeBuild webhook variables', () => {
    expect(scanContext({}, { GITHUB_HEAD_REF: 'fix/y', GITHUB_REF_NAME: '7/merge' }).branch).toBe('fix/y');
    expect(scanContext({}, { CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/dev' }).branch).toBe('dev');
  });

  it('names the pipeline, its execution and its kind (the run’s store prefix), flags over variables', () => {
    const env = {
      PIPEWARDEN_PIPELINE: 'shop-feature',
      PIPEWARDEN_EXECUTION_ID: 'b59c0d4e-0000-4000-8000-000000000001',
      PIPEWARDEN_PIPELINE_KIND: 'feature',
    };
    expect(scanContext({}, env)).toMatchObject({
      pipeline: 'shop-feature',
      pipelineExecutionId: 'b59c0d4e-0000-4000-8000-000000000001',
      pipelineKind: 'feature',
    });
    expect(scanContext({ pipeline: 'shop-main', pipelineKind: 'main' }, env)).toMatchObject({
      pipeline: 'shop-main',
      pipelineKind: 'main',
    });
    expect(() => scanContext({}, { PIPEWARDEN_PIPELINE_KIND: 'prod' })).toThrow(
      'pipewarden: the pipeline kind is "prod": pass --pipeline-kind main or feature (default: PIPEWARDEN_PIPELINE_KIND, which the pipeline sets)',
    );
  });

  it('reads the account from the build ARN', () => {
    expect(accountFromBuildArn('arn:aws:codebuild:eu-west-1:123456789012:build/p:1')).toBe('123456789012');
    expect(accountFromBuildArn('not an arn')).toBeUndefined();
  });
});
