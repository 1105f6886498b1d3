import type { FindingsDocument } from '../model/finding.js';
import { fitSarifChunks, type SarifOptions } from './fit-sarif-size.js';
import type { SarifLog } from './sarif-runs.js';

// The renderer's entry: the mapping lives in sarif-results.ts, the runs and their frame in sarif-runs.ts,
// GitHub's size limits in fit-sarif-size.ts. The log's type and GitHub's limits are re-exported for the bot,
// which uploads what this renders; everything else is imported from the module that defines it.
export { GITHUB_SARIF_LIMITS } from './sarif-runs.js';
export type { SarifLimits, SarifLog } from './sarif-runs.js';

/**
 * One SARIF 2.1.0 log for GitHub code scanning: one run per tool with its own category
 * (`automationDetails.id` = `pipewarden/<tool>/`), rules with `security-severity` and CWE tags, results
 * with pipewarden's fingerprint in `partialFingerprints`, suppressions as `external` with their reason.
 * Within GitHub's upload limits: past 20 tools the least severe share one run; past 25,000 results a run,
 * `max`, or 10 MB gzipped, the least severe results are left out and the run's notifications say how many.
 */
export function renderSarif(doc: FindingsDocument, options: SarifOptions = {}): SarifLog {
  return JSON.parse(renderSarifText(doc, options)) as SarifLog;
}

/** The `sarif` output of `pipewarden report`, as compact JSON (size counts against the limit). */
export function renderSarifText(doc: FindingsDocument, options: SarifOptions = {}): string {
  return Buffer.concat([...fitSarifChunks(doc, options)]).toString('utf8');
}

/** The same, in chunks: the CLI writes them without joining a string as large as the log. */
export function renderSarifChunks(doc: FindingsDocument, options: SarifOptions = {}): Iterable<Buffer> {
  return fitSarifChunks(doc, options);
}
