import type { Finding } from './finding.js';
import { compareSeverity, SEVERITY_RANK } from './severity.js';

// Code-unit order, not locale order: the same on every machine, and far cheaper on 100,000 findings.
const codeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The findings document's order: worst first, unsuppressed first, new before existing, then by place. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    Number(!!a.suppression) - Number(!!b.suppression) ||
    (a.status === 'new' ? 0 : 1) - (b.status === 'new' ? 0 : 1) ||
    codeUnits(a.location?.path ?? '\uffff', b.location?.path ?? '\uffff') ||
    (a.location?.startLine ?? 0) - (b.location?.startLine ?? 0) ||
    codeUnits(a.package?.name ?? '', b.package?.name ?? '') ||
    codeUnits(a.ruleId, b.ruleId) ||
    codeUnits(a.fingerprint, b.fingerprint)
  );
}

/**
 * The findings document's order (compareFindings': worst first, unsuppressed first, new before
 * existing, then path, line, package, rule, fingerprint), with the leading keys computed once per finding. Paths
 * are ranked once among their distinct values (a report names a few thousand files over 100,000 findings), so
 * most comparisons are of small integers; package, rule and fingerprint only break the remaining ties, compared
 * as they are (ranking them would sort tens of thousands of distinct names for a few comparisons each). Sorts in
 * place, stably.
 */
export function sortFindings(findings: Finding[]): Finding[] {
  const count = findings.length;
  if (count < 2) return findings;
  const head = new Uint8Array(count);
  const line = new Float64Array(count);
  const path = pathRanks(findings);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const f = findings[i]!;
    // A value that is not a severity ranks as the worst, as compareSeverity has it.
    const rank = Object.hasOwn(SEVERITY_RANK, f.severity)
      ? SEVERITY_RANK[f.severity]
      : SEVERITY_RANK.CRITICAL;
    head[i] = (SEVERITY_RANK.CRITICAL - rank) * 4 + (f.suppression ? 2 : 0) + (f.status === 'new' ? 0 : 1);
    line[i] = f.location?.startLine ?? 0;
    order[i] = i;
  }
  order.sort((a, b) => {
    const byPlace = head[a]! - head[b]! || path[a]! - path[b]! || line[a]! - line[b]!;
    if (byPlace) return byPlace;
    const fa = findings[a]!;
    const fb = findings[b]!;
    return (
      codeUnits(fa.package?.name ?? '', fb.package?.name ?? '') ||
      codeUnits(fa.ruleId, fb.ruleId) ||
      codeUnits(fa.fingerprint, fb.fingerprint) ||
      a - b
    );
  });
  const sorted = Array.from(order, (i) => findings[i]!);
  for (let i = 0; i < count; i++) findings[i] = sorted[i]!;
  return findings;
}

/** Each finding's path as its rank among the distinct paths, in code-unit order (no path sorts last). */
function pathRanks(findings: Finding[]): Uint32Array {
  // One map lookup per finding: each distinct path gets a number in order of appearance, remapped to its rank.
  const seen = new Map<string, number>();
  const distinct: string[] = [];
  const ranks = new Uint32Array(findings.length);
  for (let i = 0; i < findings.length; i++) {
    const key = findings[i]!.location?.path ?? '\uffff';
    let n = seen.get(key);
    if (n === undefined) {
      n = distinct.length;
      seen.set(key, n);
      distinct.push(key);
    }
    ranks[i] = n;
  }
  const byName = Array.from(distinct.keys()).sort((a, b) => codeUnits(distinct[a]!, distinct[b]!));
  const rankOf = new Uint32Array(distinct.length);
  for (let r = 0; r < byName.length; r++) rankOf[byName[r]!] = r;
  for (let i = 0; i < ranks.length; i++) ranks[i] = rankOf[ranks[i]!]!;
  return ranks;
}
