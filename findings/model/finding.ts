import type { Severity } from './severity.js';

/** Which scanner family a finding comes from; `tool` is the precise producer. */
export type FindingKind = 'code' | 'dependency' | 'container' | 'iac' | 'secret' | 'other';

export interface FindingLocation {
  /** Repository-relative POSIX path (never absolute, never escaping the repository). */
  path: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
  snippet?: string;
}

export interface FindingPackage {
  name: string;
  version?: string;
  /** The lowest version that fixes it, when the scanner knows one. */
  fixedVersion?: string;
  ecosystem?: string;
  purl?: string;
  /** Dependency paths from the project root to this package (Snyk `from`), merged across duplicates. */
  dependencyPaths?: string[][];
}

/** One scanner's report of a finding; a finding seen by two tools has two sources. */
export interface FindingSource {
  tool: string;
  ruleId: string;
  originalSeverity: string;
  /** The report file it came from, as given on the command line. */
  file?: string;
}

export interface Suppression {
  /** `scanner`: the scanner marked it ignored; `config`: `.github/pipewarden.yml` suppresses it. */
  source: 'scanner' | 'config';
  reason: string;
  expires?: string;
  approvedBy?: string;
  /** How the config entry matched (fingerprint, rule, vulnerability, package, path). */
  matchedBy?: string;
  /**
   * A scanner ignore declared in the code under review (`.snyk`, SARIF `suppressions`): a run that is not the
   * main pipeline's honours it only when the baseline has the same finding suppressed by the scanner too.
   */
  inRepository?: boolean;
}

/** A scanner's ignore that pipewarden did not honour: the finding counts as unsuppressed. */
export interface RejectedSuppression {
  source: 'scanner';
  /** The scanner's reason, when it gave one. */
  reason?: string;
  /** Why it was not honoured, one line. */
  because: string;
}

export interface Finding {
  /** Stable across re-runs and line moves; the same vulnerability in the same package from two tools shares it. */
  fingerprint: string;
  /** The producer of the first source (e.g. `snyk-open-source`, `inspector-sbom`, `codeguru-security`, `CodeQL`). */
  tool: string;
  kind: FindingKind;
  ruleId: string;
  title: string;
  description?: string;
  severity: Severity;
  /** The scanner's own severity word or score, kept verbatim. */
  originalSeverity: string;
  location?: FindingLocation;
  package?: FindingPackage;
  /** CVE, GHSA, CWE, Snyk ids…, de-duplicated, CVEs first. */
  vulnerabilityIds: string[];
  cvss?: { score: number; vector?: string; version?: string };
  helpUri?: string;
  remediation?: string;
  sources: FindingSource[];
  /** Relative to a baseline; absent when no baseline was given. */
  status?: 'new' | 'existing';
  suppression?: Suppression;
  /** A scanner ignore that was not honoured (no reason, or on this branch only). */
  rejectedSuppression?: RejectedSuppression;
}

/** What a parser returns before fingerprinting and merging. */
export type ParsedFinding = Omit<Finding, 'fingerprint' | 'sources' | 'status'> & {
  /** Extra identity supplied by the scanner (SARIF partialFingerprints, Snyk IaC resource path). */
  identity?: string;
};

export interface ScanContext {
  /** `owner/name` */
  repo?: string;
  commit?: string;
  /** When the commit was made (ISO 8601, PIPEWARDEN_COMMIT_TIME): orders baselines, never the gate's run time. */
  commitTime?: string;
  branch?: string;
  pullRequest?: number;
  /** The CodePipeline pipeline's name (PIPEWARDEN_PIPELINE): with the execution id, the run's store prefix. */
  pipeline?: string;
  pipelineExecutionId?: string;
  /** Which pipeline ran the gate (PIPEWARDEN_PIPELINE_KIND): `main` runs reviewed code, `feature` does not. */
  pipelineKind?: 'main' | 'feature';
  buildId?: string;
  /** Base URL of the GitHub server (https://github.com or a GHE host), for links. */
  serverUrl?: string;
}

/** One input file and what was read from it: the document is honest about what it checked. */
export interface InputSummary {
  file: string;
  format: string;
  findings: number;
}

export interface GateResult {
  passed: boolean;
  failOn: Severity;
  newOnly: boolean;
  /** Findings that fail the gate (not suppressed, at or above the threshold, new when newOnly). */
  failing: number;
  /** Why it passed or failed, one line each. */
  reasons: string[];
}

/** The `.github/pipewarden.yml` the gate applied, and where it came from. */
export interface AppliedPolicy {
  /**
   * `repository`: the checkout's own file (the main pipeline: reviewed code); `base-branch`: the policy the
   * base branch's last main-pipeline run applied (fetch baseline --policy-out), whatever the branch proposes;
   * `default`: no file, pipewarden's defaults.
   */
  origin: 'repository' | 'base-branch' | 'default';
  /** The repository path of the policy file (.github/pipewarden.yml). */
  file?: string;
  /** For `base-branch`: the branch and commit whose policy it is. */
  branch?: string;
  commit?: string;
  /** The YAML text applied (`{}` for the defaults). */
  text: string;
}

/**
 * What a pull request's own `.github/pipewarden.yml` (--proposed-config) would change if it were the policy:
 * shown to reviewers, never used for the verdict.
 */
export interface PolicyChange {
  /** The proposed file, as given on the command line. */
  file: string;
  /** false: the proposed file is not a valid config (after merge every gate would stop with an input error). */
  valid: boolean;
  /** Why it is invalid, one line. */
  error?: string;
  /** The proposed gate settings (absent when invalid). */
  gate?: { failOn: Severity; newOnly: boolean; allowMissingReports: boolean };
  /** Fingerprints the proposed policy would suppress that the applied one does not. */
  wouldSuppress: string[];
  /** Fingerprints the applied policy suppresses that the proposed one would not. */
  wouldUnsuppress: string[];
  /** Fingerprints that fail the gate now and would not under the proposed policy. */
  wouldLetThrough: string[];
  /** Fingerprints that would fail the gate under the proposed policy and do not now. */
  wouldFail: string[];
  /** The verdict under the proposed policy (false when it is invalid). */
  wouldPass: boolean;
  /** What changed, one line each (gate settings, suppressions added and removed, other sections). */
  summary: string[];
}

/** The findings document (docs/architecture.md, the contracts): what every part of pipewarden reads. Schema: findings/document/findings-document.schema.json */
export interface FindingsDocument {
  schemaVersion: '1.0';
  generatedAt: string;
  generator: { name: 'pipewarden'; version: string };
  context: ScanContext;
  inputs: InputSummary[];
  findings: Finding[];
  /** In the baseline, gone now. */
  fixed: Finding[];
  /** Whether a baseline was compared (status is then set on every finding). */
  baseline?: { file: string; findings: number };
  gate?: GateResult;
  /** The policy the gate applied (the main pipeline's latest.json carries main's policy to pull requests). */
  policy?: AppliedPolicy;
  /** Present when the run was given a proposed policy that differs from the applied one. */
  policyChange?: PolicyChange;
  /** Things the user should know: expired suppressions, rejected paths, trimmed output. */
  warnings: string[];
}
