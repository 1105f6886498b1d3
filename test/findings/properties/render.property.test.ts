import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { findingsDocumentProblem } from '../../../findings/document/validate-document.js';
import type { Finding, FindingsDocument } from '../../../findings/model/finding.js';
import { renderAsff } from '../../../findings/render/render-asff.js';
import { renderJunit } from '../../../findings/render/render-junit.js';
import { renderMarkdown } from '../../../findings/render/render-markdown.js';
import { renderSarif } from '../../../findings/render/render-sarif.js';
import { parseXml } from '../render/parse-xml.js';
import { fixtureDocument } from '../render/render-helpers.js';
import { errorsOf, sarifValidator } from '../render/validate-schema.js';

// Arbitrary scanner text in every text field of real findings (Snyk with Markdown advisories, Inspector SBOM,
// CodeQL SARIF) never lets markup, mentions or non-http(s) links through the PR comment, and never breaks
// the SARIF, JUnit or ASFF outputs. Bounded: a fixed number of runs over a small document.
const BASE = fixtureDocument({
  files: [
    'snyk/test-report-with-reachability.json',
    'sarif-other/codeql-action-valid-sarif.sarif',
    'inspector/scan-sbom-output_dockerfile-only.cdx.json',
  ],
});
const RUNS = 60;

/** Strings built to hurt: markup, mentions, links, Markdown, control and bidi characters, mixed with any text. */
const hostilePiece = fc.constantFrom(
  '<img src=x onerror=alert(1)>',
  '</details><h1>ALL CLEAR</h1>',
  '</summary>',
  '<script>',
  '<a href="javascript:alert(1)">x</a>',
  '@octocat',
  '@org/team',
  ' #12 ',
  'GH-7',
  '[x](javascript:alert(1))',
  '[ok](https://example.com/a)',
  '[d](data:text/html,hi)',
  '![p](https://evil.example/p.png)',
  '<https://evil.example>',
  '## Heading\n',
  '\n- item\n',
  '\n```\n',
  '`',
  '**',
  '_',
  '|',
  '\u202e',
  '\u0000',
  '\r\n',
  '&lt;',
  '\\',
);
const hostile = fc
  .array(
    fc.oneof(hostilePiece, fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 })),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(''));
const nonEmpty = hostile.map((s) => (s.length ? s : 'x'));

const textFields = fc.record({
  title: hostile,
  description: hostile,
  remediation: hostile,
  ruleId: nonEmpty,
  tool: nonEmpty,
  originalSeverity: hostile,
  packageName: nonEmpty,
  packageVersion: hostile,
  reason: nonEmpty,
  warning: hostile,
});
type Texts = typeof textFields extends fc.Arbitrary<infer T> ? T : never;

/** The base document with the texts in every text field of its first findings; still schema-valid. */
function withTexts(texts: Texts[]): FindingsDocument {
  const findings: Finding[] = BASE.findings.map((f, i) => {
    const t = texts[i % texts.length]!;
    return {
      ...f,
      title: t.title,
      description: t.description,
      remediation: t.remediation,
      ruleId: t.ruleId,
      tool: t.tool,
      originalSeverity: t.originalSeverity,
      sources: f.sources.map((s) => ({ ...s, ruleId: t.ruleId, tool: t.tool })),
      ...(f.package ? { package: { ...f.package, name: t.packageName, version: t.packageVersion } } : {}),
      ...(i % 3 === 0 ? { suppression: { source: 'scanner' as const, reason: t.reason } } : {}),
    };
  });
  const doc = { ...BASE, findings, warnings: texts.map((t) => t.warning) };
  // The contract is the document as written (JSON): fingerprinting leaves `identity: undefined` on findings in
  // memory (a stable object shape is faster), which JSON drops and the validator would otherwise see as a key.
  expect(findingsDocumentProblem(JSON.parse(JSON.stringify(doc)))).toBeUndefined();
  return doc;
}

/** The HTML pipewarden itself writes in the comment; anything else starting with `<` came from the input. */
function foreignHtml(md: string): string[] {
  const ours =
    /<!-- pipewarden:comment -->|<\/?(details|summary|b|code|sub)>|<br>|<a href="https:\/\/github\.com\/[^"<>]*">|<\/a>/g;
  return md.replace(ours, '').match(/<[^\n]{0,40}/g) ?? [];
}

/** Fenced code blocks: GitHub shows their content as text (no HTML, links or mentions). */
function withoutFences(md: string): string {
  return md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
}

/** Text GitHub scans for mentions: outside code spans and fenced blocks. */
function outsideCode(md: string): string {
  return withoutFences(md).replace(/<code>[^<]*<\/code>/g, '');
}

const sarifValid = sarifValidator();

describe('renderers under arbitrary scanner text (fast-check)', () => {
  it('the PR comment: no foreign HTML, balanced <details>, no mentions, only http(s) links', () => {
    fc.assert(
      fc.property(fc.array(textFields, { minLength: 1, maxLength: 4 }), (texts) => {
        const md = renderMarkdown(withTexts(texts));
        // Fenced blocks are shown as text: `</details>` inside one closes nothing.
        const rendered = withoutFences(md);
        expect(foreignHtml(rendered)).toEqual([]);
        expect(rendered.match(/<details>/g)?.length ?? 0).toBe(rendered.match(/<\/details>/g)?.length ?? 0);
        expect(outsideCode(md)).not.toMatch(/(^|[^\w`\\])@(?!\u200B)[A-Za-z0-9-]/m);
        for (const m of withoutFences(md).matchAll(/(?<!\\)\]\(([^)]*)\)/g))
          expect(m[1]).toMatch(/^https?:\/\//);
        // eslint-disable-next-line no-control-regex
        expect(md).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202e]/);
      }),
      { numRuns: RUNS },
    );
  });

  it('SARIF stays valid against the official schema, JUnit stays well-formed XML, ASFF keeps its limits', () => {
    fc.assert(
      fc.property(fc.array(textFields, { minLength: 1, maxLength: 4 }), (texts) => {
        const doc = withTexts(texts);
        const sarif = renderSarif(doc);
        expect(sarifValid(JSON.parse(JSON.stringify(sarif)))).toBe(true);
        expect(errorsOf(sarifValid)).toEqual([]);
        const junit = parseXml(renderJunit(doc));
        expect(junit.name).toBe('testsuites');
        for (const f of renderAsff(doc, { accountId: '123456789012', region: 'eu-central-1' })) {
          for (const field of ['Id', 'GeneratorId', 'Title', 'Description'] as const) {
            expect(typeof f[field]).toBe('string');
            expect((f[field] as string).trim()).not.toBe('');
          }
          expect(f.Title!.length).toBeLessThanOrEqual(256);
          expect(f.Description!.length).toBeLessThanOrEqual(1024);
          expect(f.Id!.length).toBeLessThanOrEqual(512);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
