import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import {
  isFeaturePipeline,
  isOwnPipeline,
  mainBranchOf,
  readSettings,
  servesRepository,
  settingsForPipeline,
  settingsForRepository,
} from '../../bot/settings.js';
import {
  PROVENANCE_PREFIX,
  provenanceOf,
  renderPipelineCheck,
} from '../../bot/render/render-pipeline-check.js';
import { example, startHarness, type Harness } from './helpers/harness.js';

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

// What the CDK app writes for a deployment of several repositories (infra/lib/stacks/bot-stack.ts).
const REPOSITORIES = JSON.stringify([
  {
    repository: 'acme/api',
    main: 'acme-main',
    feature: 'acme-feature',
    mainBranch: 'main',
    ecr: 'acme-ci/api',
  },
  {
    repository: 'acme/web',
    main: 'acme-web-main',
    feature: 'acme-web-feature',
    mainBranch: 'trunk',
    ecr: 'acme-web-ci/web',
  },
]);

describe('PIPEWARDEN_REPOSITORIES: one deployment, several repositories', () => {
  const all = readSettings({ PIPEWARDEN_REPOSITORIES: REPOSITORIES, PIPEWARDEN_PIPELINES: 'acme-main' });

  it('follows every listed pipeline', () => {
    expect(all.problems).toEqual([]);
    expect(all.pipelines.sort()).toEqual(['acme-feature', 'acme-main', 'acme-web-feature', 'acme-web-main']);
  });

  it('gives a repository its own pipelines, main branch and image repository, never another’s', () => {
    const web = settingsForRepository(all, 'ACME/Web');
    expect(web).toMatchObject({
      repository: 'acme/web',
      pipelines: ['acme-web-main', 'acme-web-feature'],
      featurePipeline: 'acme-web-feature',
      mainBranch: 'trunk',
      ecrRepository: 'acme-web-ci/web',
    });
    expect(isOwnPipeline(web, 'acme-main')).toBe(false);
    expect(isFeaturePipeline(web, 'acme-feature')).toBe(false);
    expect(servesRepository(web, 'acme/api')).toBe(false);
    expect(mainBranchOf(web, 'main')).toBe('trunk');
  });

  it('serves no pipeline for a repository it does not list', () => {
    const other = settingsForRepository(all, 'acme/unknown');
    expect(other.pipelines).toEqual([]);
    expect(other.featurePipeline).toBeUndefined();
    expect(servesRepository(other, 'acme/unknown')).toBe(false);
    expect(other.repository).toBe('acme/api, acme/web');
    expect(settingsForRepository(all, undefined).pipelines).toEqual([]);
  });

  it('finds the repository of a pipeline event by its pipeline', () => {
    expect(settingsForPipeline(all, 'acme-web-feature').repository).toBe('acme/web');
    expect(settingsForPipeline(all, 'acme-main').ecrRepository).toBe('acme-ci/api');
    expect(settingsForPipeline(all, 'someone-elses').pipelines).toEqual([]);
  });

  it('leaves single-repository settings as they are', () => {
    const one = readSettings({ PIPEWARDEN_PIPELINES: 'app-main,app-feature', PIPEWARDEN_REPOSITORY: 'o/r' });
    expect(settingsForRepository(one, 'x/y')).toBe(one);
    expect(settingsForPipeline(one, 'app-main')).toBe(one);
  });

  it.each([
    ['not JSON', '[{', 'PIPEWARDEN_REPOSITORIES is not JSON'],
    [
      'a bad pipeline name',
      JSON.stringify([{ repository: 'a/b', main: 'x y', feature: 'f' }]),
      'PIPEWARDEN_REPOSITORIES: invalid field "[0].main": expected a pipeline name',
    ],
    ['an empty list', '[]', 'PIPEWARDEN_REPOSITORIES: invalid field "(top level)":'],
  ])('refuses %s, saying so, and serves nothing from it', (_what, value, problem) => {
    const set = readSettings({ PIPEWARDEN_REPOSITORIES: value, PIPEWARDEN_PIPELINES: 'acme-main' });
    expect(set.repositories).toEqual([]);
    // Never a guess: not even the pipelines of PIPEWARDEN_PIPELINES, and no repository is served.
    expect(set.pipelines).toEqual([]);
    expect(servesRepository(settingsForRepository(set, 'acme/api'), 'acme/api')).toBe(false);
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]).toContain(problem);
    expect(set.problems[0]).toContain('redeploy the bot stack');
  });
});

describe('PIPEWARDEN_REPOSITORIES_FILE: the registry the CDK app ships in a layer', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-registry-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads the list from the file, as from the variable', () => {
    const set = readSettings({ PIPEWARDEN_REPOSITORIES_FILE: write('ok.json', REPOSITORIES) });
    expect(set.problems).toEqual([]);
    expect(set.repositories).toEqual(JSON.parse(REPOSITORIES));
    expect(set.pipelines.sort()).toEqual(['acme-feature', 'acme-main', 'acme-web-feature', 'acme-web-main']);
    expect(settingsForRepository(set, 'acme/web').ecrRepository).toBe('acme-web-ci/web');
  });

  it('reads it once, at start-up, synchronously', () => {
    const reads: string[] = [];
    readSettings({ PIPEWARDEN_REPOSITORIES_FILE: '/opt/pipewarden/repositories.json' }, (path) => {
      reads.push(path);
      return REPOSITORIES;
    });
    expect(reads).toEqual(['/opt/pipewarden/repositories.json']);
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.json'), 'cannot be read (ENOENT)'],
    ['a directory', () => dir, 'cannot be read (EISDIR)'],
    ['an empty file', () => write('empty.json', ''), 'is empty'],
    ['not JSON', () => write('bad.json', '[{'), 'is not JSON'],
    [
      'a bad entry',
      () => write('entry.json', JSON.stringify([{ repository: 'a', main: 'm', feature: 'f' }])),
      'invalid field "[0].repository": expected owner/name',
    ],
  ])('refuses %s in one line naming the file and the fix, and serves nothing', (_what, file, problem) => {
    const path = file();
    const set = readSettings({ PIPEWARDEN_REPOSITORIES_FILE: path, PIPEWARDEN_PIPELINES: 'acme-main' });
    expect(set.problems).toEqual([expect.stringContaining(`PIPEWARDEN_REPOSITORIES_FILE=${path}`)]);
    expect(set.problems[0]).toContain(problem);
    expect(set.problems[0]).toContain(
      'no repository is served (the CDK app writes it: redeploy the bot stack)',
    );
    expect(set.problems[0]).not.toContain('\n');
    expect(set.pipelines).toEqual([]);
    expect(set.unlisted).toBe(true);
    expect(servesRepository(settingsForRepository(set, 'acme/api'), 'acme/api')).toBe(false);
  });

  it('refuses the file and the variable together rather than choosing one', () => {
    const set = readSettings({
      PIPEWARDEN_REPOSITORIES_FILE: write('both.json', REPOSITORIES),
      PIPEWARDEN_REPOSITORIES: REPOSITORIES,
    });
    expect(set.problems).toEqual([
      'PIPEWARDEN_REPOSITORIES and PIPEWARDEN_REPOSITORIES_FILE are both set; neither is used: keep one (the CDK app sets only the file)',
    ]);
    expect(set.pipelines).toEqual([]);
    expect(set.unlisted).toBe(true);
  });
});

describe('one bot for several repositories, on a pull request', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    expect(h?.github.violations).toEqual([]);
    await h?.close();
    h = undefined;
  });
  const payload = example('pull_request', 'opened');
  const repo: string = payload.repository.full_name;
  // The webhook example's repository and one other, each with its own pipelines (as the CDK app lists them).
  const listed = readSettings({
    PIPEWARDEN_REPOSITORIES: JSON.stringify([
      { repository: 'acme/other', main: 'acme-main', feature: 'acme-feature', mainBranch: 'main' },
      { repository: repo, main: 'acme-web-main', feature: 'acme-web-feature', mainBranch: 'main' },
    ]),
  });
  const start = async (config: string) => {
    h = await startHarness({
      settings: { ...listed, featurePipeline: undefined, ecrRepository: undefined },
      pipelines: {
        'acme-main': 'main',
        'acme-feature': 'feature',
        'acme-web-main': 'main',
        'acme-web-feature': 'feature',
      },
    });
    h.github.configs.set(repo, config);
    expect((await h.send('pull_request', payload)).status).toBe(200);
    return h;
  };

  it("starts the pull request's repository's own feature pipeline", async () => {
    const { aws } = await start('pipeline:\n  startOnPullRequest: true\n');
    expect(aws.pipelines.started.map((s) => s.name)).toEqual(['acme-web-feature']);
  });

  it("refuses another repository's pipeline named in the repository's config", async () => {
    const { aws, github } = await start('pipeline:\n  startOnPullRequest: true\n  name: acme-feature\n');
    expect(aws.pipelines.started).toEqual([]);
    const [run] = github.runs(CHECK_NAMES.pipeline, payload.pull_request.head.sha);
    expect(run).toMatchObject({ status: 'completed', output: { title: 'Pipeline not started' } });
    expect(run!.output.summary).toContain('acme-feature');
    // Refused as not one of this repository's pipelines (not merely as one that deploys).
    expect(run!.output.summary).toContain('PIPEWARDEN_PIPELINES');
  });
});
