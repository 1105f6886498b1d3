import type { Finding } from './finding.js';
import { SEVERITY_RANK } from './severity.js';

/**
 * The findings document's order (build-document's compareFindings: worst first, unsuppressed first, new before
 * existing, then path, line, package, rule, fingerprint), with every key computed once per finding. Strings
 * are ranked once among their distinct values (a report names a few thousand files over 100,000 findings), so
 * the sort itself compares small integers; the fingerprint breaks the remaining ties. Sorts in place, stably.
 */
export function sortFindings(findings: Finding[]): Finding[] {
  const count = findings.length;
  if (count < 2) return findings;
  const head = new Uint8Array(count);
  const line = new Float64Array(count);
  const path = rankOf(findings, (f) => f.location?.path ?? '\uffff');
  const pkg = rankOf(findings, (f) => f.package?.name ?? '');
  const rule = rankOf(findings, (f) => f.ruleId);
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
  order.sort(
    (a, b) =>
      head[a]! - head[b]! ||
      path[a]! - path[b]! ||
      line[a]! - line[b]! ||
      pkg[a]! - pkg[b]! ||
      rule[a]! - rule[b]! ||
      codeUnits(findings[a]!.fingerprint, findings[b]!.fingerprint) ||
      a - b,
  );
  const sorted = Array.from(order, (i) => findings[i]!);
  for (let i = 0; i < count; i++) findings[i] = sorted[i]!;
  return findings;
}

const codeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Each finding's key as its rank among the distinct keys, in code-unit order. */
function rankOf(findings: Finding[], key: (f: Finding) => string): Uint32Array {
  const distinct = new Map<string, number>();
  for (const f of findings) distinct.set(key(f), 0);
  const keys = [...distinct.keys()].sort(codeUnits);
  for (let i = 0; i < keys.length; i++) distinct.set(keys[i]!, i);
  const ranks = new Uint32Array(findings.length);
  for (let i = 0; i < findings.length; i++) ranks[i] = distinct.get(key(findings[i]!))!;
  return ranks;
}
