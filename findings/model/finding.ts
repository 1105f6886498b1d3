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
  branch?: string;
  pullRequest?: number;
  pipelineExecutionId?: string;
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

/** The findings document (DESIGN.md): the contract every part of pipewarden reads. Schema: findings/document/findings-document.schema.json */
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
  /** Things the user should know: expired suppressions, rejected paths, trimmed output. */
  warnings: string[];
}
