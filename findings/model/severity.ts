/**
 * The one severity table: every scanner's vocabulary → CRITICAL | HIGH | MEDIUM | LOW | INFO.
 * The scanner's own word is always kept next to it (`originalSeverity`). Documented in docs/findings.md (Severity).
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; used for sorting and thresholds. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({
  CRITICAL: 4,
  HIGH: 3,
  MEDIUM: 2,
  LOW: 1,
  INFO: 0,
});

// Scanner text is looked up in Maps only: a word like `constructor` or `__proto__` must never reach the
// prototype chain (it would come back as a function, counted nowhere, failing no gate).
const RANKS = new Map<unknown, number>(Object.entries(SEVERITY_RANK));

/** Is this one of the five severities (own value, not anything an object inherits)? */
export function isSeverity(value: unknown): value is Severity {
  return RANKS.has(value);
}

/** A value that is not a severity ranks as the worst: a comparison never lets it through a gate. */
const rank = (s: Severity): number => RANKS.get(s) ?? SEVERITY_RANK.CRITICAL;

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return rank(severity) >= rank(threshold);
}

/** Sort key: worst first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return rank(b) - rank(a);
}

const WORDS = new Map<string, Severity>([
  ['critical', 'CRITICAL'],
  ['high', 'HIGH'],
  ['medium', 'MEDIUM'],
  ['moderate', 'MEDIUM'], // GitHub advisories, npm audit
  ['low', 'LOW'],
  ['info', 'INFO'],
  ['informational', 'INFO'],
  ['none', 'INFO'], // CycloneDX rating "none"
  // Unknown / not yet scored is not "safe": Inspector UNTRIAGED and CycloneDX "unknown" count as MEDIUM.
  ['untriaged', 'MEDIUM'],
  ['unknown', 'MEDIUM'],
]);

/** A severity word from CodeGuru, Snyk, Inspector, CycloneDX or GitHub (any case), or undefined. */
export function severityFromWord(word: unknown): Severity | undefined {
  if (typeof word !== 'string') return undefined;
  return WORDS.get(word.trim().toLowerCase());
}

const LEVELS = new Map<unknown, Severity>([
  ['error', 'HIGH'],
  ['warning', 'MEDIUM'],
  ['note', 'LOW'],
  ['none', 'INFO'],
]);

/** SARIF `level` (the result's, or inherited from the rule): error → HIGH, warning → MEDIUM, note → LOW, none → INFO. */
export function severityFromSarifLevel(level: unknown): Severity | undefined {
  return LEVELS.get(level);
}

/**
 * A SARIF `level` outside the four the spec allows (`"Error"`, `"critical"`, `"fatal"`): the most severe
 * reasonable reading, never a silent MEDIUM. A level word in another case is that level; a severity word is
 * that severity; anything else is read as `error` (HIGH), the most severe level SARIF has.
 */
export function severityFromUnknownSarifLevel(level: unknown): Severity {
  if (typeof level !== 'string') return 'HIGH';
  const word = level.trim().toLowerCase();
  if (word === 'fatal') return 'CRITICAL';
  return LEVELS.get(word) ?? WORDS.get(word) ?? 'HIGH';
}

/** CVSS-style score (SARIF `security-severity`, Inspector score): GitHub code scanning's bands. */
export function severityFromScore(score: number): Severity {
  // NaN compares false everywhere: it would fall through to INFO. Callers check the range; fail closed here.
  if (Number.isNaN(score)) return 'CRITICAL';
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
