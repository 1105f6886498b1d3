import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRepoConfig } from '../../../findings/config/repo-config.js';
import { buildDocument } from '../../../findings/document/build-document.js';
import type { FindingsDocument, ScanContext } from '../../../findings/model/finding.js';
import { parseReport } from '../../../findings/parse/parse-report.js';

/** Findings documents built by the engine itself, from real reports or from a SARIF log of any size. */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const NOW = new Date('2026-11-28T12:00:00Z');
const paths = { sourceRoot: '/src/repo' };

/** Real scanner reports (test/fixtures), through the engine with the default gate (HIGH). */
export function realDocument(context: ScanContext): FindingsDocument {
  const files = [
    'snyk/test-report-with-reachability.json',
    'snyk/iac-test-report.json',
    'sarif-other/codeql-action-valid-sarif.sarif',
    'inspector/scan-sbom-output_alpine-3.18.2.cdx.json',
  ];
  const reports = files.map((f) =>
    parseReport(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')), f, paths),
  );
  return buildDocument({ reports, config: parseRepoConfig({}), context, now: NOW });
}

/**
 * `count` findings, each in its own place in a file (so each can be an annotation), a third of them at
 * HIGH (error) so the gate fails when there are any; `text` sets each result's message.
 */
export function sarifDocument(
  count: number,
  context: ScanContext,
  text: (i: number) => string = (i) => `Finding number ${i}: untrusted input reaches a sink`,
): FindingsDocument {
  const sarif = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: { driver: { name: 'synthetic-scanner', rules: [{ id: 'RULE-1' }, { id: 'RULE-2' }] } },
        results: Array.from({ length: count }, (_, i) => ({
          ruleId: i % 2 ? 'RULE-1' : 'RULE-2',
          level: i % 3 === 0 ? 'error' : 'warning',
          message: { text: text(i) },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: `src/module-${Math.floor(i / 100)}/file-${i % 100}.ts` },
                region: { startLine: 1 + (i % 400), endLine: 1 + (i % 400) },
              },
            },
          ],
        })),
      },
    ],
  };
  const report = parseReport(sarif, 'synthetic.sarif', paths);
  return buildDocument({ reports: [report], config: parseRepoConfig({}), context, now: NOW });
}
