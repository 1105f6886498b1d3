import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { escapeMarkdown } from '../../../findings/render/escape-text.js';
import {
  COMMENT_MARKER,
  MAX_COMMENT_LENGTH,
  renderMarkdown,
} from '../../../findings/render/render-markdown.js';
import { countsForGate } from '../../../findings/triage/evaluate-gate.js';
import {
  BASELINE_FIXTURES,
  CONTEXT,
  PR_FIXTURES,
  fixtureDocument,
  reordered,
  syntheticDocument,
} from './render-helpers.js';

/** Entries the comment shows: one `<details>` per unsuppressed finding, one list item per suppressed / fixed one. */
function shownEntries(md: string) {
  return {
    details: md.match(/^<details><summary>/gm)?.length ?? 0,
    items: md.match(/^- (🔴|🟠|🟡|🔵|⚪|✅) /gmu)?.length ?? 0,
  };
}

/** Everything left after removing the HTML the renderer itself writes: must hold no `<` at all. */
function foreignHtml(md: string): string[] {
  const ours =
    /<!-- pipewarden:comment -->|<\/?(details|summary|b|code|sub)>|<br>|<a href="https:\/\/github\.com\/[^"<>]*">|<\/a>/g;
  return md.replace(ours, '').match(/<[^\n]{0,40}/g) ?? [];
}

const ZWSP = '\u200B';

describe('renderMarkdown over the real fixtures', () => {
  const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });
  const md = renderMarkdown(doc);

  it('starts with the hidden marker and the gate verdict', () => {
    expect(md.startsWith(`${COMMENT_MARKER}\n### ❌ pipewarden: security gate failed\n`)).toBe(true);
    expect(md).toContain(`**${doc.gate!.failing} findings** fail it.`);
    expect(renderMarkdown(doc, { marker: '<!-- pipewarden:main -->' }).split('\n')[0]).toBe(
      '<!-- pipewarden:main -->',
    );
  });

  it('counts severity × new / existing / fixed, and the totals add up to the document', () => {
    expect(doc.fixed.length).toBeGreaterThan(0);
    const total =
      /^\| \*\*Total\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|$/m.exec(md);
    expect(total).not.toBeNull();
    const [fresh, existing, fixed, suppressed] = total!.slice(1).map(Number);
    expect(fresh).toBe(doc.findings.filter((f) => f.status === 'new').length);
    expect(existing).toBe(doc.findings.filter((f) => f.status === 'existing').length);
    expect(fixed).toBe(doc.fixed.length);
    expect(suppressed).toBe(doc.findings.filter((f) => f.suppression).length);
    const high = /^\| 🟠 High \| (\d+) \| (\d+) \| (\d+) \|/mu.exec(md)!;
    expect(Number(high[1])).toBe(
      doc.findings.filter((f) => f.severity === 'HIGH' && f.status === 'new').length,
    );
  });

  it('without a baseline counts total and suppressed', () => {
    const plain = renderMarkdown(fixtureDocument());
    expect(plain).toContain('| Severity | Total | of which suppressed |');
    expect(plain).not.toContain('| New |');
  });

  it('puts the findings that fail the gate first, in the engine order, then suppressions, then the rest', () => {
    const policy = { failOn: doc.gate!.failOn, newOnly: doc.gate!.newOnly };
    const failing = doc.findings.filter((f) => countsForGate(f, policy));
    const headings = [...md.matchAll(/^#### (.+)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 4)).toEqual([
      `❌ Failing the gate (${failing.length})`,
      'Suppressed by the scanner (1)',
      expect.stringMatching(/^Suppressed by the config \(\d+\)$/),
      expect.stringMatching(/^Other findings \(\d+\)$/),
    ]);
    const summaries = [...md.matchAll(/^<details><summary>(.*)<\/summary>$/gm)].map((m) => m[1]!);
    // Failing entries come first, and in the engine's order (worst first).
    summaries.slice(0, failing.length).forEach((s, i) => {
      expect(s).toContain(`<b>${failing[i]!.severity}</b>`);
      expect(s).toContain('fails the gate');
    });
    expect(summaries[failing.length]).not.toContain('fails the gate');
  });

  it('links file:line to the commit on GitHub', () => {
    const f = doc.findings.find((x) => x.location?.startLine && x.location.path === 'Dockerfile')!;
    const url = `https://github.com/acme/shop/blob/${CONTEXT.commit}/Dockerfile#L${f.location!.startLine}-L${f.location!.endLine ?? f.location!.startLine}`;
    expect(md).toContain(`<a href="${url}">Dockerfile:${f.location!.startLine}</a>`);
    // No repository or commit: no links, the place is still named.
    const noLinks = renderMarkdown(fixtureDocument({ context: {} }));
    expect(noLinks).not.toContain('https://github.com/acme/shop/blob/');
    expect(noLinks).toContain(`<code>Dockerfile:${f.location!.startLine}</code>`);
  });

  it('lists scanner and config suppressions with their reasons, and what was checked', () => {
    expect(md).toMatch(
      /Suppressed by the scanner \(1\)\n\n- 🟡 MEDIUM · Path Traversal · .* — this is by design · approved by Ian Zink\n/u,
    );
    expect(md).toMatch(/— \(by rule\) logging is central · approved by sec-team · expires 2027-01-01\n/);
    expect(md).toContain('#### What was checked');
    for (const input of doc.inputs)
      expect(md).toContain(
        `| ${escapeMarkdown(input.file)} | ${escapeMarkdown(input.format)} | ${input.findings} |`,
      );
    expect(md).toContain(`Baseline: main.json (`);
    expect(md).toContain('#### Warnings');
    expect(md).toContain('suppressions\\[1\\] \\(old exception\\) expired on 2026-01-01');
  });

  it('lists fixed findings and keeps details collapsed', () => {
    expect(md).toContain(`#### ✅ Fixed since the baseline (${doc.fixed.length})`);
    expect(shownEntries(md).details).toBe(doc.findings.filter((f) => !f.suppression).length);
    expect(md.match(/<details>/g)!.length).toBe(md.match(/<\/details>/g)!.length);
    expect(md).not.toContain('more findings');
  });

  it('is deterministic: twice the same, and the same whatever the order of the findings', () => {
    expect(renderMarkdown(doc)).toBe(md);
    expect(renderMarkdown(reordered(doc, 7))).toBe(md);
    expect(renderMarkdown(reordered(doc, 8))).toBe(md);
  });

  it('writes no HTML of its own making beyond its fixed tags, even from real scanner text', () => {
    expect(foreignHtml(md)).toEqual([]);
  });
});

describe('renderMarkdown length limit', () => {
  const big = syntheticDocument(5_000);

  it('fills up to exactly 65,536 characters with 5,000 findings and says how many more there are', () => {
    const md = renderMarkdown(big);
    expect(md.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    // Nearly full: what is left is smaller than the next entry would have needed.
    expect(md.length).toBeGreaterThan(MAX_COMMENT_LENGTH - 2_000);
    const shown = shownEntries(md);
    const more = /\*\*… and (\d+) more findings\*\*/.exec(md);
    expect(more).not.toBeNull();
    expect(Number(more![1])).toBe(big.findings.length - shown.details - shown.items);
    expect(Number(more![1])).toBeGreaterThan(4_000);
    // The footer about what was checked survives the cut.
    expect(md).toContain('#### What was checked');
    expect(md.match(/<details>/g)!.length).toBe(md.match(/<\/details>/g)!.length);
    expect(renderMarkdown(reordered(big, 3))).toBe(md);
  });

  it('respects any smaller limit with whole entries only', () => {
    for (const maxLength of [4_000, 10_000, 30_000]) {
      const md = renderMarkdown(big, { maxLength });
      expect(md.length).toBeLessThanOrEqual(maxLength);
      const shown = shownEntries(md);
      expect(md).toContain(`… and ${big.findings.length - shown.details - shown.items} more findings`);
      expect(md.match(/<details>/g)?.length ?? 0).toBe(md.match(/<\/details>/g)?.length ?? 0);
    }
  });

  it('shows everything without the "more" line when it all fits', () => {
    const small = syntheticDocument(20);
    const md = renderMarkdown(small);
    expect(shownEntries(md).details).toBe(20);
    expect(md).not.toContain('more findings');
  });

  it('counts fixed entries apart when they are cut', () => {
    const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });
    const full = renderMarkdown(doc);
    // Fixed findings are the last list: one character less cuts at least one of them.
    const cut = renderMarkdown(doc, { maxLength: full.length - 1 });
    expect(cut.length).toBeLessThan(full.length);
    const fixedShown = cut.match(/^- ✅ /gm)?.length ?? 0;
    expect(fixedShown).toBeLessThan(doc.fixed.length);
    expect(cut).toContain(`**… and ${doc.fixed.length - fixedShown} more fixed findings**`);
    expect(shownEntries(cut).details).toBe(shownEntries(full).details);
  });
});

describe('renderMarkdown escapes hostile scanner text', () => {
  const hostile = [
    '<script>alert(1)</script> <img src=x onerror=alert(2)>',
    '@org/team and @octocat, see #123 and GH-7',
    'a | b || c',
    'line one\n\n\n\nline two\r\n# heading?',
    '[click](javascript:alert(1)) ![pixel](https://evil.example/p.png) <https://evil.example>',
    '**bold** _it_ `code` ~~strike~~ $x^2$ &amp; \\',
  ];
  const doc: FindingsDocument = syntheticDocument(hostile.length * 2, {
    tools: 1,
    rules: 1,
    text: (i) => hostile[i % hostile.length]!,
  });
  // The titles, paths and suppression reasons are scanner text too.
  doc.findings = doc.findings.map((f, i) => ({
    ...f,
    title: hostile[i % hostile.length]!,
    ...(f.location ? { location: { ...f.location, path: `src/a|b <x>/@evil/#1/${i}.ts` } } : {}),
    ...(i % 4 === 0
      ? { suppression: { source: 'scanner' as const, reason: hostile[(i + 1) % hostile.length]! } }
      : {}),
  }));
  doc.warnings = [...hostile];
  doc.inputs = [{ file: 'reports/a|b<script>.json', format: 'sarif', findings: 12 }];
  const md = renderMarkdown(doc);

  it('lets no HTML through', () => {
    expect(md).not.toMatch(/<script|<img/i);
    expect(foreignHtml(md)).toEqual([]);
    expect(md).toContain('&lt;script&gt;');
  });

  it('makes no mentions and no issue references', () => {
    expect(md).not.toMatch(/(^|[^\w])@(?!\u200B)[\w-]/m);
    expect(md).toContain(`@${ZWSP}org/team`);
    expect(md).not.toMatch(/(?<!&)#\d/);
    expect(md).not.toMatch(/GH-\d/);
  });

  it('keeps every table row whole', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows.length).toBeGreaterThan(8);
    for (const row of rows) {
      const cells = row.replace(/\\\|/g, '').split('|').length - 2;
      expect(cells === 3 || cells === 5).toBe(true);
    }
    expect(md).toContain('| reports/a\\|b&lt;script&gt;.json | sarif | 12 |');
  });

  it('makes no links or images from scanner text', () => {
    expect(md).not.toMatch(/\]\(javascript:/i);
    expect(md).not.toMatch(/!\[/);
    expect(md).not.toMatch(/(^|[^\\])\[click\]/);
    const links = [...md.matchAll(/(?<!\\)\]\(([^)]*)\)/g)].map((m) => m[1]!);
    for (const url of links) expect(url).toMatch(/^https:\/\/(github\.com\/acme\/shop\/|scanner\.example\/)/);
  });

  it('keeps each entry on its lines: scanner newlines cannot start a heading or a new block', () => {
    expect(md).not.toMatch(/^# heading/m);
    expect(md).toContain('line one<br><br>line two<br># heading?');
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['<b>x</b> & y', '&lt;b&gt;x&lt;/b&gt; &amp; y'],
    ['@team please', `@${ZWSP}team please`],
    ['mail me: a@b.example', 'mail me: a@b.example'],
    ['fixes #12', `fixes #${ZWSP}12`],
    ['a|b', 'a\\|b'],
    ['[x](javascript:alert(1))', '\\[x\\]\\(javascript:alert\\(1\\)\\)'],
    ['![i](u)', '\\!\\[i\\]\\(u\\)'],
    ['# h', '\\# h'],
    ['1. one', '1\\. one'],
    ['- item', '\\- item'],
    ['a\nb', 'a<br>b'],
    ['*a* _b_ `c` ~d~ $e$ \\', '\\*a\\* \\_b\\_ \\`c\\` \\~d\\~ \\$e\\$ \\\\'],
    ['bidi \u202Eevil\u202C and \u0007bell', 'bidi evil and bell'],
  ])('%j → %j', (input, output) => {
    expect(escapeMarkdown(input)).toBe(output);
  });

  it('handles a config with no suppressions and a document with no findings', () => {
    const empty = fixtureDocument({ files: [], config: parseRepoConfig({}) });
    const md = renderMarkdown(empty);
    expect(md).toContain('**no report was read: nothing was checked**');
    expect(md).toContain('No report was read.');
    expect(md).toContain('| **Total** | **0** | **0** |');
  });
});
