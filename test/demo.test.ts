import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMENT_MARKER } from '../findings/render/render-markdown.js';

/**
 * `npm run demo`'s bot and action parts (scripts/lib/), run as the demo runs them (tsx, offline): what
 * they write to out/ is what the bot would post to GitHub and what the action writes as its job summary.
 * The engine and synth parts are covered by their own tests.
 */
const tsx = join('node_modules', 'tsx', 'dist', 'cli.mjs');
const run = (script: string, out: string) =>
  spawnSync(process.execPath, [tsx, script, out], { encoding: 'utf8', timeout: 120_000 });

describe('npm run demo', () => {
  it('runs the bot on a pull_request.opened delivery and its pipeline events, every request valid for GitHub', () => {
    const out = mkdtempSync(join(tmpdir(), 'pipewarden-demo-bot-'));
    try {
      const r = run('scripts/lib/demo-bot.ts', out);
      expect({ status: r.status, stderr: r.status ? r.stderr : '' }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/0 OpenAPI violations/);
      const runs = JSON.parse(readFileSync(join(out, 'check-runs.json'), 'utf8')) as {
        name: string;
        status: string;
        conclusion: string;
      }[];
      expect(runs.map((c) => [c.name, c.status, c.conclusion])).toEqual([
        ['pipewarden / pipeline', 'completed', 'success'],
        ['pipewarden / security', 'completed', 'failure'],
      ]);
      expect(readFileSync(join(out, 'comment.md'), 'utf8')).toContain(COMMENT_MARKER);
      const requests = JSON.parse(readFileSync(join(out, 'github-requests.json'), 'utf8')) as {
        template?: string;
      }[];
      expect(requests.map((q) => q.template)).toContain(
        '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('runs the committed action bundle against a local CodePipeline and keeps its job summary', () => {
    const out = mkdtempSync(join(tmpdir(), 'pipewarden-demo-action-'));
    try {
      const r = run('scripts/lib/demo-action.ts', out);
      expect({ status: r.status, stderr: r.status ? r.stderr : '' }).toEqual({ status: 0, stderr: '' });
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(
        /Succeeded — CodePipeline `pipewarden-feature`/,
      );
      expect(JSON.parse(readFileSync(join(out, 'outputs.json'), 'utf8'))).toMatchObject({
        status: 'Succeeded',
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
