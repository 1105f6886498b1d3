import type { FindingsDocument } from '../model/finding.js';

/** What every renderer gets besides the document. */
export interface RenderOptions {
  /** AWS account and region for ASFF (CLI flags, else AWS_REGION and CODEBUILD_BUILD_ARN). */
  accountId?: string;
  region?: string;
  /** Cap on items where the target has one (annotations, SARIF results). */
  max?: number;
}

export type Renderer = (doc: FindingsDocument, options: RenderOptions) => string;

export const renderJson: Renderer = (doc) => JSON.stringify(doc, null, 2) + '\n';

/** `pipewarden report --format <id>`: every output format, by name. */
export const RENDERERS = new Map<string, Renderer>([['json', renderJson]]);
