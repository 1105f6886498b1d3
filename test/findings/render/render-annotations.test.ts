import { describe, expect, it } from '@jest/globals';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { SEVERITY_RANK, type Severity } from '../../../findings/model/severity.js';
import {
  ANNOTATION_LIMITS,
  renderAnnotations,
  type CheckAnnotation,
} from '../../../findings/render/render-annotations.js';
import { RENDERERS } from '../../../findings/render/renderers.js';
import {
  BASELINE_FIXTURES,
  PR_FIXTURES,
  fixtureDocument,
  reordered,
  syntheticDocument,
} from './render-helpers.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const severityOf = (a: CheckAnnotation) => a.title!.split(':')[0] as Severity;

/** What GitHub's check-runs API requires of one annotation. */
function expectValid(a: CheckAnnotation) {
  expect(a.path).toMatch(/^[^/]/);
  expect(Number.isInteger(a.start_line) && a.start_line >= 1).toBe(true);
  expect(Number.isInteger(a.end_line) && a.end_line >= a.start_line).toBe(true);
  if (a.start_column !== undefined || a.end_column !== undefined) {
    expect(a.start_line).toBe(a.end_line);
    expect(a.start_column).toBeGreaterThanOrEqual(1);
    expect(a.end_column).toBeGreaterThanOrEqual(a.start_column!);
  }
  expect(['notice', 'warning', 'failure']).toContain(a.annotation_level);
  expect(a.title!.length).toBeLessThanOrEqual(ANNOTATION_LIMITS.title);
  expect(a.message.length).toBeGreaterThan(0);
  expect(bytes(a.message)).toBeLessThanOrEqual(ANNOTATION_LIMITS.messageBytes);
  expect(bytes(a.raw_details ?? '')).toBeLessThanOrEqual(ANNOTATION_LIMITS.rawDetailsBytes);
}

describe('renderAnnotations over the real fixtures', () => {
  const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });
  const { annotations, omitted } = renderAnnotations(doc);
  const annotatable = doc.findings.filter((f) => f.location && !f.suppression);

  it('annotates every unsuppressed finding that has a file, and only those', () => {
    expect(annotatable.length).toBeGreaterThan(20);
    expect(annotations).toHaveLength(annotatable.length);
    expect(omitted).toBe(0);
    const suppressedPaths = doc.findings.filter((f) => f.suppression && f.location);
    expect(suppressedPaths.length).toBeGreaterThan(0);
    for (const f of suppressedPaths)
      expect(annotations.some((a) => a.raw_details?.includes(f.fingerprint))).toBe(false);
  });

  it('gives every annotation valid lines, columns, level and sizes', () => {
    annotations.forEach(expectValid);
    // Columns survive where the scanner gave them on one line (Snyk Code, CodeQL).
    expect(annotations.some((a) => a.start_column !== undefined)).toBe(true);
  });

  it('sets the level by severity and puts the worst first', () => {
    const expected: Record<Severity, string> = {
      CRITICAL: 'failure',
      HIGH: 'failure',
      MEDIUM: 'warning',
      LOW: 'notice',
      INFO: 'notice',
    };
    for (const a of annotations) expect(a.annotation_level).toBe(expected[severityOf(a)]);
    const ranks = annotations.map((a) => SEVERITY_RANK[severityOf(a)]);
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    expect(new Set(annotations.map((a) => a.annotation_level))).toEqual(
      new Set(['failure', 'warning', 'notice']),
    );
  });

  it('annotates a file-level finding (line unknown) on line 1', () => {
    const noLine = annotatable.find((f) => !f.location!.startLine)!;
    expect(noLine).toBeDefined();
    const a = annotations.find((x) => x.raw_details!.includes(noLine.fingerprint))!;
    expect([a.start_line, a.end_line, a.start_column]).toEqual([1, 1, undefined]);
  });

  it('caps at max, worst first, and counts the rest; minSeverity filters before the cap', () => {
    const capped = renderAnnotations(doc, { max: 5 });
    expect(capped.annotations).toEqual(annotations.slice(0, 5));
    expect(capped.omitted).toBe(annotatable.length - 5);
    const high = renderAnnotations(doc, { minSeverity: 'HIGH' });
    expect(high.annotations.map(severityOf).every((s) => s === 'HIGH' || s === 'CRITICAL')).toBe(true);
    expect(high.annotations).toHaveLength(
      annotatable.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL').length,
    );
    expect(renderAnnotations(doc, { max: 0 })).toEqual({ annotations: [], omitted: annotatable.length });
  });

  it('is deterministic whatever the order of the findings', () => {
    expect(renderAnnotations(reordered(doc, 11))).toEqual({ annotations, omitted });
  });

  it('is the CLI `annotations` format: {"annotations": [...], "omitted": N}', () => {
    const out = RENDERERS.get('annotations')!(doc, { max: 10 });
    const text = typeof out === 'string' ? out : [...out].join('');
    const parsed = JSON.parse(text) as { annotations: CheckAnnotation[]; omitted: number };
    expect(parsed.annotations).toEqual(annotations.slice(0, 10));
    expect(parsed.omitted).toBe(annotatable.length - 10);
    // One annotation a line, and an empty list is still JSON.
    expect(text.split('\n').filter((l) => l.startsWith('    {"path"'))).toHaveLength(10);
    const none = RENDERERS.get('annotations')!(doc, { max: 0 });
    expect(JSON.parse(typeof none === 'string' ? none : [...none].join(''))).toEqual({
      annotations: [],
      omitted: annotatable.length,
    });
  });
});

describe('renderAnnotations limits', () => {
  it('cuts titles to 255 characters and messages and details to 64 KB, on character boundaries', () => {
    const doc: FindingsDocument = syntheticDocument(3, { tools: 1, rules: 1 });
    const huge = '😀'.repeat(40_000); // 160,000 bytes of UTF-8, surrogate pairs in UTF-16
    doc.findings = doc.findings.map((f) => ({
      ...f,
      title: 'T'.repeat(254) + '😀 and more',
      description: huge,
      remediation: huge,
    }));
    for (const a of renderAnnotations(doc).annotations) {
      expectValid(a);
      expect(a.title!.endsWith('…')).toBe(true);
      expect(a.message.endsWith('…')).toBe(true);
      expect(a.message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      expect(bytes(a.message)).toBeGreaterThan(ANNOTATION_LIMITS.messageBytes - 8);
    }
  });

  it('drops columns on multi-line findings and reversed ranges', () => {
    const doc = syntheticDocument(30, { tools: 1 });
    doc.findings[0] = {
      ...doc.findings[0]!,
      location: { path: 'a.ts', startLine: 9, endLine: 4, startColumn: 8, endColumn: 2 },
    };
    const { annotations } = renderAnnotations(doc);
    annotations.forEach(expectValid);
    const multi = doc.findings.filter((f) => f.location!.endLine! > f.location!.startLine!).length;
    expect(multi).toBeGreaterThan(0);
    expect(
      annotations.filter((a) => a.end_line > a.start_line).every((a) => a.start_column === undefined),
    ).toBe(true);
    const reversed = annotations.find((a) => a.path === 'a.ts')!;
    expect([reversed.start_line, reversed.end_line, reversed.start_column]).toEqual([9, 9, undefined]);
  });

  it('keeps control and bidi characters out of the text', () => {
    const doc = syntheticDocument(1, { tools: 1, text: () => 'evil\u202E txt.exe \u0000\u001b[31m red' });
    const [a] = renderAnnotations(doc).annotations;
    expect(a!.message).toContain('evil txt.exe [31m red');
  });
});
