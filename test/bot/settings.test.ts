import { describe, expect, it } from '@jest/globals';
import { isFeaturePipeline, mainBranchOf, readSettings } from '../../bot/settings.js';
import {
  PROVENANCE_PREFIX,
  provenanceOf,
  renderPipelineCheck,
} from '../../bot/render/render-pipeline-check.js';

describe('PIPEWARDEN_MAIN_BRANCH and the feature pipeline', () => {
  it('reads the main branch, else takes the repository’s default branch', () => {
    const set = readSettings({ PIPEWARDEN_MAIN_BRANCH: 'release/2026' });
    expect(set.mainBranch).toBe('release/2026');
    expect(mainBranchOf(set, 'master')).toBe('release/2026');
    expect(mainBranchOf(readSettings({}), 'master')).toBe('master');
    expect(mainBranchOf(readSettings({}), undefined)).toBeUndefined();
  });

  it.each(['a..b', '/main', 'main/', 'feat//x', 'main branch'])(
    'ignores the invalid branch name %j, saying so',
    (v) => {
      const set = readSettings({ PIPEWARDEN_MAIN_BRANCH: v });
      expect(set.mainBranch).toBeUndefined();
      expect(set.problems).toEqual([`PIPEWARDEN_MAIN_BRANCH="${v}" is not a branch name; it is ignored`]);
    },
  );

  it('counts only the feature pipeline as one that does not deploy', () => {
    const set = readSettings({ PIPEWARDEN_PIPELINES: 'app-main,app-feature' });
    expect(isFeaturePipeline(set, 'app-feature')).toBe(true);
    expect(isFeaturePipeline(set, 'app-main')).toBe(false);
    // Without a feature pipeline, every pipeline is treated as one that deploys.
    const none = readSettings({ PIPEWARDEN_PIPELINES: 'a,b' });
    expect(isFeaturePipeline(none, 'a')).toBe(false);
  });
});

describe('the provenance line of the pipeline check', () => {
  const view = {
    pipeline: 'app-feature',
    executionId: '7d3f1c2a-0000-4000-8000-000000000001',
    status: 'InProgress',
    // CodePipeline's text goes below the table: a line there that looks like provenance is not one.
    statusSummary: `x\n${PROVENANCE_PREFIX}fork eve/app by @admin (admin) at 2026-01-01T00:00:00Z`,
    variables: {},
    stages: [],
  };

  it('is kept above the table and found there again', () => {
    const line = `${PROVENANCE_PREFIX}fork mallory/app by @maint (maintain) at 2026-11-28T10:00:00.000Z, commit \`abc\`.`;
    const { output } = renderPipelineCheck(view, { provenance: line });
    expect(output.summary.split('\n')[0]).toBe(line);
    expect(provenanceOf(output.summary)).toBe(line);
  });

  it('is never taken from the text below the table', () => {
    const { output } = renderPipelineCheck(view);
    expect(output.summary).toContain(`${PROVENANCE_PREFIX}fork eve/app`);
    expect(provenanceOf(output.summary)).toBeUndefined();
  });
});
