import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { renderAnnotations } from '../../../findings/render/render-annotations.js';
import { renderJunit } from '../../../findings/render/render-junit.js';
import { renderMarkdown } from '../../../findings/render/render-markdown.js';
import { renderSafeMarkdown } from '../../../findings/render/render-safe-markdown.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../helpers.js';
import { fixtureDocument } from './render-helpers.js';

const ZWSP = '\u200B';
const env = { PIPEWARDEN_DEBUG: undefined, GITHUB_REPOSITORY: undefined, CODEBUILD_SRC_DIR: undefined };

describe('scanner Markdown in descriptions: a safe subset, not escaped raw text', () => {
  it('renders a real Snyk advisory (## Overview, links, lists, code) as bold headings, links and lists', () => {
    const doc = fixtureDocument({ files: ['snyk/test-report-with-reachability.json'] });
    const md = renderMarkdown(doc);
    expect(md).toContain('**Overview**');
    expect(md).not.toContain('\\#\\# Overview');
    expect(md).toContain('[grunt](https://www.npmjs.com/package/grunt)');
    expect(md).toMatch(/^- \S/m);
  });

  it.each([
    ['a heading', '## Fix <b>now</b>', '**Fix &lt;b&gt;now&lt;/b&gt;**'],
    ['a list', '- one\n- two @octocat\n  - nested', `- one\n- two @${ZWSP}octocat\n  - nested`],
    ['an ordered list', '1. first\n2) second', '1. first\n2. second'],
    ['emphasis', '**bold** and *it* and _it2_', '**bold** and _it_ and _it2_'],
    ['inline code, HTML inert', 'use `<img src=x>` here', 'use <code>&lt;img src=x&gt;</code> here'],
    ['a fenced block', '```js\nalert("</details>")\n```', '```js\nalert("</details>")\n```'],
    ['an http link', '[docs](https://example.com/a_(b))', '[docs](https://example.com/a_%28b%29)'],
    ['a javascript: link', '[x](javascript:alert(1))', '\\[x\\]\\(javascript:alert\\(1\\)\\)'],
    ['an image', '![p](https://evil.example/p.png)', '\\!\\[p\\]\\(https://evil.example/p.png\\)'],
    ['raw HTML', '</details><h1>ALL CLEAR</h1>', '&lt;/details&gt;&lt;h1&gt;ALL CLEAR&lt;/h1&gt;'],
    ['a mention in a heading', '# hi @org/team', `**hi @${ZWSP}org/team**`],
    ['an issue reference', 'see #12', `see #${ZWSP}12`],
  ])('%s', (_what, input, expected) => {
    expect(renderSafeMarkdown(input)).toBe(expected);
  });

  it('a description cannot close the <details> it sits in, mention anyone or show HTML', () => {
    const doc = fixtureDocument({ files: ['snyk/test-report-with-reachability.json'] });
    const hostile =
      '## Overview\n</details><h1>ALL CLEAR</h1>\n- @octocat <img src=x onerror=alert(1)>\n`</details>`';
    doc.findings = doc.findings.map((f) => ({ ...f, description: hostile, remediation: hostile }));
    const md = renderMarkdown(doc);
    expect(md).not.toMatch(/<h1|<img/i);
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
    expect(md).not.toMatch(/(^|[^\w])@(?!\u200B)octocat/m);
  });
});

describe('the baseline is named, never by its absolute local path', () => {
  it('the comment and JUnit show the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-baseline-name-'));
    const baseline = join(dir, 'main-latest.json');
    const report = fixture('snyk/test-report-with-reachability.json');
    expect((await runCli(['report', '--out', baseline, report], env)).code).toBe(0);
    for (const format of ['markdown', 'junit']) {
      const out = join(dir, `out.${format}`);
      const r = await runCli(
        ['report', '--format', format, '--baseline', baseline, '--out', out, report],
        env,
      );
      expect(r.code).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('main-latest.json');
      expect(text).not.toContain(dir);
    }
  });

  it('renderers given a document directly do the same', () => {
    const doc: FindingsDocument = {
      ...fixtureDocument({ files: ['snyk/test-report-with-reachability.json'] }),
      baseline: { file: '/codebuild/output/src123/src/baseline/main.json', findings: 3 },
    };
    for (const text of [renderMarkdown(doc), renderJunit(doc)]) {
      expect(text).toContain('main.json');
      expect(text).not.toContain('/codebuild/output');
    }
  });
});

describe('annotation level follows the gate', () => {
  it('a HIGH finding that fails the gate is a failure; an existing HIGH under new-only is a warning', () => {
    const files = ['snyk/test-report-with-reachability.json', 'sarif-other/codeql-action-valid-sarif.sarif'];
    const doc = fixtureDocument({
      files,
      baseline: ['sarif-other/codeql-action-valid-sarif.sarif'],
      newOnly: true,
    });
    const byStatus = new Map(doc.findings.map((f) => [f.fingerprint, f]));
    const { annotations } = renderAnnotations(doc);
    expect(annotations.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const a of annotations) {
      const f = doc.findings.find(
        (x) => x.location?.path === a.path && (x.location.startLine ?? 1) === a.start_line,
      )!;
      expect(byStatus.get(f.fingerprint)).toBeDefined();
      const fails = !f.suppression && f.status === 'new' && ['CRITICAL', 'HIGH'].includes(f.severity);
      expect(a.annotation_level).toBe(
        fails ? 'failure' : ['CRITICAL', 'HIGH', 'MEDIUM'].includes(f.severity) ? 'warning' : 'notice',
      );
      seen.add(`${f.status}:${a.annotation_level}`);
    }
    // The fixture set has existing findings that are not failures under new-only.
    expect([...seen].some((s) => s.startsWith('existing:') && !s.endsWith('failure'))).toBe(true);
  });
});
