/**
 * The one severity table: every scanner's vocabulary → CRITICAL | HIGH | MEDIUM | LOW | INFO.
 * The scanner's own word is always kept next to it (`originalSeverity`). Documented in docs/severity.md.
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; used for sorting and thresholds. */
export const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, INFO: 0 };

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

/** Sort key: worst first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[b] - SEVERITY_RANK[a];
}

const WORDS: Record<string, Severity> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  moderate: 'MEDIUM', // GitHub advisories, npm audit
  low: 'LOW',
  info: 'INFO',
  informational: 'INFO',
  none: 'INFO', // CycloneDX rating "none"
  // Unknown / not yet scored is not "safe": Inspector UNTRIAGED and CycloneDX "unknown" count as MEDIUM.
  untriaged: 'MEDIUM',
  unknown: 'MEDIUM',
};

/** A severity word from CodeGuru, Snyk, Inspector, CycloneDX or GitHub (any case), or undefined. */
export function severityFromWord(word: unknown): Severity | undefined {
  if (typeof word !== 'string') return undefined;
  return WORDS[word.trim().toLowerCase()];
}

/** SARIF `level` (the result's, or inherited from the rule): error → HIGH, warning → MEDIUM, note → LOW, none → INFO. */
export function severityFromSarifLevel(level: unknown): Severity | undefined {
  switch (level) {
    case 'error':
      return 'HIGH';
    case 'warning':
      return 'MEDIUM';
    case 'note':
      return 'LOW';
    case 'none':
      return 'INFO';
    default:
      return undefined;
  }
}

/** CVSS-style score (SARIF `security-severity`, Inspector score): GitHub code scanning's bands. */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFO';
}

/** The representative score of a severity, for outputs that need a number (SARIF security-severity). */
export const SEVERITY_SCORE: Record<Severity, number> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  INFO: 0.0,
};
