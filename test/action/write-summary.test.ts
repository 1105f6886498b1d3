import { describe, expect, it } from '@jest/globals';
import { describeFailure } from '../../action/lib/describe-failure.js';
import { cell, renderSummary, type Report } from '../../action/lib/write-summary.js';
import type { ActionRecord } from '../../action/lib/types.js';
import { at, featureShape } from './fixtures/details.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const source = { name: 'Source', provider: 'CodeStarSourceConnection', repository: 'acme/shop' };
const rec = (
  stage: string,
  action: string,
  status: string,
  start: number,
  end: number,
  extra: Partial<ActionRecord> = {},
): ActionRecord => ({
  id: `${stage}-${action}-${start}`,
  stage,
  action,
  provider: 'CodeBuild',
  status,
  startTime: at(start),
  lastUpdateTime: at(end),
  ...extra,
});

const report = (over: Partial<Report> = {}): Report => ({
  pipeline: featureShape(),
  executionId: 'e-1',
  url: 'https://console/e-1',
  status: 'Failed',
  commitSha: SHA,
  sourceAction: source,
  run: { serverUrl: 'https://github.com', repository: 'acme/shop', runId: '99', runAttempt: '2' },
  actions: [
    rec('Source', 'Source', 'Succeeded', 0, 2, {
      provider: 'CodeStarSourceConnection',
      summary: 'Merge | pull <request>',
    }),
    rec('Build', 'Compile', 'Succeeded', 3, 65, { url: 'https://logs/compile' }),
    rec('Scan', 'Sast', 'Failed', 70, 110, {
      url: 'https://logs/sast',
      errorMessage: '2 new HIGH\nfindings',
    }),
  ],
  variableNames: ['PULL_REQUEST'],
  startedAt: at(0),
  endedAt: at(125),
  failure: 'pipewarden: pipeline failed',
  ...over,
});

describe('renderSummary', () => {
  it('lists every action of the pipeline in stage order, with status, start, duration, link and message', () => {
    const md = renderSummary(report());
    expect(md).toContain('### ❌ Failed — CodePipeline `pipewarden-feature`');
    expect(md).toContain('> pipewarden: pipeline failed');
    expect(md).toContain('| Execution | [e-1](https://console/e-1) |');
    expect(md).toContain(
      `| Commit | [\`0123456789ab\`](https://github.com/acme/shop/commit/${SHA}) through source action \`Source\` (acme/shop) |`,
    );
    expect(md).toContain('| Variables | `PULL_REQUEST` |');
    expect(md).toContain('| Followed for | 2m05s |');
    const rows = md.split('\n').filter((l) => /^\| (Source|Build|Scan|Gate) \|/.test(l));
    expect(rows).toEqual([
      '| Source | Source | ✅ Succeeded | 09:30:00Z | 2s | Merge \\| pull &lt;request&gt; |',
      '| Build | Compile | ✅ Succeeded | 09:30:03Z | 1m02s | [logs](https://logs/compile) |',
      '| Scan | Sast | ❌ Failed | 09:31:10Z | 40s | [logs](https://logs/sast) 2 new HIGH findings |',
      '| Scan | Sbom | not run | | | |',
      '| Gate | Gate | not run | | | |',
    ]);
  });

  it('keeps every attempt of a retried action and actions the structure no longer has', () => {
    const md = renderSummary(
      report({
        status: 'Succeeded',
        failure: undefined,
        actions: [
          rec('Build', 'Compile', 'Failed', 3, 10, { errorMessage: 'flaky' }),
          rec('Build', 'Compile', 'Succeeded', 20, 60),
          rec('Old', 'Removed', 'Succeeded', 61, 62),
        ],
      }),
    );
    expect(md).toContain('### ✅ Succeeded');
    expect(md).not.toContain('> ');
    expect(md.match(/^\| Build \| Compile \|/gm)).toHaveLength(2);
    expect(md).toContain('| Old | Removed | ✅ Succeeded |');
  });

  it('escapes what could break the table or inject HTML', () => {
    expect(cell('a|b\n<script>&')).toBe('a\\|b &lt;script&gt;&amp;');
  });

  it('a remote message can add no link, image, mention or markup (the bot escapes the same way)', () => {
    // A build's error message is written by whoever controls the build: it must stay literal text.
    const md = cell('@acme/admins see #12 ![x](https://evil.example/p.png) **now**');
    expect(md).not.toMatch(/(^|[^\\])\[|(^|[^\\])\*\*|@acme|#12/);
    expect(md).toContain('\\!\\[x\\]\\(https://evil.example/p.png\\)');
  });
});

describe('describeFailure', () => {
  const base = {
    pipelineName: 'pipewarden-feature',
    executionId: 'e-1',
    status: 'Failed',
    sourceAction: source,
    commitSha: SHA,
  };

  it('names the first failed stage and action and its message, and links it', () => {
    expect(
      describeFailure({
        ...base,
        actions: [
          rec('Gate', 'Gate', 'Failed', 130, 140, { errorMessage: 'later' }),
          rec('Scan', 'Sast', 'Failed', 70, 110, {
            errorMessage: 'gate FAILED: 2 new HIGH',
            url: 'https://logs/sast',
          }),
        ],
      }),
    ).toBe(
      'pipewarden: pipeline "pipewarden-feature" execution e-1 Failed in stage "Scan", action "Sast": gate FAILED: 2 new HIGH → https://logs/sast',
    );
  });

  it('calls a source action failing on the commit a missing commit', () => {
    const line = describeFailure({
      ...base,
      actions: [
        rec('Source', 'Source', 'Failed', 0, 3, {
          errorMessage: 'The commit ID could not be found in the repository',
        }),
      ],
    });
    expect(line).toContain(`(commit ${SHA} not found in acme/shop? push it, or set commit-sha)`);
  });

  it('says why when no action failed', () => {
    expect(describeFailure({ ...base, status: 'Superseded', actions: [] })).toBe(
      'pipewarden: pipeline "pipewarden-feature" execution e-1 Superseded: a newer execution superseded it (the pipeline runs in SUPERSEDED mode)',
    );
    expect(
      describeFailure({ ...base, status: 'Stopped', statusSummary: 'stopped by alice', actions: [] }),
    ).toBe('pipewarden: pipeline "pipewarden-feature" execution e-1 Stopped: stopped by alice');
  });
});
