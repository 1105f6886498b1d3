import type { ProposedPolicy } from '../config/policy-file.js';
import type { RepoConfig } from '../config/repo-config.js';
import type {
  AppliedPolicy,
  Finding,
  FindingsDocument,
  InputSummary,
  ScanContext,
} from '../model/finding.js';
import { mergeFindings } from '../model/fingerprint.js';
import { sortFindings } from '../model/order-findings.js';
import type { Severity } from '../model/severity.js';
import type { LoadedReport } from '../parse/parse-report.js';
import { applySuppressions } from '../triage/apply-suppressions.js';
import { checkScannerSuppressions } from '../triage/check-scanner-suppressions.js';
import { compareBaseline } from '../triage/compare-baseline.js';
import { comparePolicy, invalidPolicyChange, sameConfig } from '../triage/compare-policy.js';
import { evaluateGate } from '../triage/evaluate-gate.js';
import { VERSION } from '../version.js';

export interface BuildOptions {
  reports: LoadedReport[];
  /** Reports that were asked for but could not be read: the gate fails closed on them. */
  missing?: string[];
  baseline?: LoadedReport;
  config: RepoConfig;
  /** The policy text applied and where it came from; recorded as `policy`. */
  policy?: AppliedPolicy;
  /** The change's own config (--proposed-config): compared, never applied. */
  proposed?: ProposedPolicy;
  context: ScanContext;
  gate?: { failOn?: Severity; newOnly?: boolean };
  /** Warnings of the caller's own (how the policy was chosen), listed first. */
  notes?: string[];
  now?: Date;
  /**
   * The reports are read for this document only (the CLI): their findings are triaged in place rather than
   * copied (100,000 copies cost more than fingerprinting them). Otherwise a report can be built twice.
   */
  consumeReports?: boolean;
  /**
   * The findings are only counted, never listed in order (`gate` without --out): the document's order is not
   * computed (a tenth of the gate's CPU time over 160,000 findings). `fixed` is ordered all the same.
   */
  unordered?: boolean;
}

export function buildDocument(options: BuildOptions): FindingsDocument {
  const now = options.now ?? new Date();
  const warnings = [...(options.notes ?? []), ...options.reports.flatMap((r) => r.warnings)];
  // Suppressions and the baseline mark findings in place: on copies, unless the caller gives the reports up.
  const merged = mergeFindings(options.reports.flatMap((r) => r.findings));
  const findings = options.consumeReports ? merged : merged.map((f) => ({ ...f }));
  // The main pipeline runs reviewed code: its scanner ignores were reviewed. Any other run with a baseline
  // honours an ignore from the code under review only when the base branch has it too.
  if (options.baseline && options.context.pipelineKind !== 'main')
    warnings.push(...checkScannerSuppressions(findings, options.baseline.findings).warnings);
  warnings.push(...applySuppressions(findings, options.config.suppressions, now).warnings);
  let fixed: Finding[] = [];
  if (options.baseline) {
    fixed = sortFindings(compareBaseline(findings, options.baseline.findings).fixed);
  }
  // The document's order (compareFindings'), with each finding's keys computed once.
  if (!options.unordered) sortFindings(findings);
  const inputs: InputSummary[] = options.reports.map((r) => ({
    file: r.file,
    format: r.format,
    findings: r.findings.length,
  }));
  const missing = options.missing ?? [];
  const allowMissing = options.config.gate.allowMissingReports;
  if (missing.length && allowMissing)
    warnings.push(`missing reports allowed by the config: ${missing.join(', ')}`);
  const policy = {
    failOn: options.gate?.failOn ?? options.config.gate.failOn,
    newOnly: options.gate?.newOnly ?? options.config.gate.newOnly,
  };
  const proposed = options.proposed;
  if (proposed?.found && 'error' in proposed)
    warnings.push(
      `the proposed policy ${proposed.file} is not a valid config (${proposed.error}); the gate used ${policyLabel(options.policy)}, and after merge every gate would stop with an input error`,
    );
  const doc: FindingsDocument = {
    schemaVersion: '1.0',
    generatedAt: now.toISOString(),
    generator: { name: 'pipewarden', version: VERSION },
    context: options.context,
    inputs,
    findings,
    fixed,
    warnings,
  };
  if (options.baseline)
    doc.baseline = { file: options.baseline.file, findings: options.baseline.findings.length };
  doc.gate = evaluateGate(findings, policy, {
    missingInputs: allowMissing ? [] : missing,
    hasBaseline: !!options.baseline,
  });
  if (options.policy) doc.policy = options.policy;
  if (proposed?.found && 'error' in proposed)
    doc.policyChange = invalidPolicyChange(proposed.file, proposed.error);
  else if (proposed?.found && !sameConfig(options.config, proposed.config))
    doc.policyChange = comparePolicy(
      {
        findings,
        applied: options.config,
        appliedGate: policy,
        proposed: proposed.config,
        flags: options.gate ?? {},
        missing,
        hasBaseline: !!options.baseline,
        now,
      },
      proposed.file,
    );
  return doc;
}

/** `.github/pipewarden.yml of main@0a1b2c3d4e5f`, `the defaults`, or the file. */
export function policyLabel(policy: AppliedPolicy | undefined): string {
  if (!policy) return 'the given config';
  if (policy.origin === 'default') return 'pipewarden’s defaults';
  const where = policy.branch
    ? ` of ${policy.branch}${policy.commit ? `@${policy.commit.slice(0, 12)}` : ''}`
    : policy.origin === 'base-branch'
      ? ' of the base branch'
      : '';
  return `${policy.file ?? 'the policy'}${where}`;
}
