import type { FindingsDocument } from '../model/finding.js';
import { renderAnnotationsJson } from './render-annotations.js';
import { renderAsffText } from './render-asff.js';
import { renderJsonChunks } from './render-json.js';
import { renderJunitChunks } from './render-junit.js';
import { renderMarkdown } from './render-markdown.js';
import { renderSarifChunks } from './render-sarif.js';

/** What every renderer gets besides the document. */
export interface RenderOptions {
  /** AWS account and region for ASFF (CLI flags, else AWS_REGION and CODEBUILD_BUILD_ARN). */
  accountId?: string;
  region?: string;
  /** Cap on items where the target has one (annotations, SARIF results). */
  max?: number;
}

/** What a renderer returns: a whole string, or chunks (text or UTF-8 bytes) for outputs too large to hold at once. */
export type RenderOutput = string | Iterable<string | Uint8Array>;
export type Renderer = (doc: FindingsDocument, options: RenderOptions) => RenderOutput;

/** A renderer's output as one string (for uploads of a bounded size). */
export function outputText(out: RenderOutput): string {
  if (typeof out === 'string') return out;
  const decoder = new TextDecoder();
  let text = '';
  for (const chunk of out)
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

export const renderJson: Renderer = (doc) => renderJsonChunks(doc);

/** `pipewarden report --format <id>`: every output format, by name. */
export const RENDERERS = new Map<string, Renderer>([
  ['json', renderJson],
  ['markdown', (doc) => renderMarkdown(doc)],
  ['annotations', (doc, o) => renderAnnotationsJson(doc, o.max !== undefined ? { max: o.max } : {})],
  ['sarif', (doc, o) => renderSarifChunks(doc, o.max !== undefined ? { max: o.max } : {})],
  ['junit', (doc) => renderJunitChunks(doc)],
  ['asff', (doc, o) => renderAsffText(doc, o)],
]);
