import { hash } from 'node:crypto';
import type { Finding, FindingSource, ParsedFinding } from './finding.js';
import { compareSeverity, SEVERITIES } from './severity.js';

// One-shot hashing: no Hash object per finding (createHash was a third of fingerprinting's time).
const sha = (text: string) => hash('sha256', text, 'hex').slice(0, 32);

/** Line numbers never enter a fingerprint: findings keep their identity when code above them moves. */
function normalizeText(text: string | undefined): string {
  // The opening of a message identifies it; hashing whole advisories would cost time for nothing.
  return (text ?? '').slice(0, 400).replace(/\s+/g, ' ').replace(/\d+/g, '#').trim().toLowerCase();
}

/**
 * The identity of a finding, independent of the tool for dependencies (so Snyk and Inspector agree on
 * "CVE-X in openssl 3.1.0"), tool-specific for code, IaC and secrets.
 */
export function identityKey(f: ParsedFinding): string {
  if (f.package && (f.kind === 'dependency' || f.kind === 'container')) {
    const vuln = f.vulnerabilityIds.find((id) => /^(CVE|GHSA)-/.test(id)) ?? f.ruleId;
    return `pkg|${f.location?.path ?? ''}|${f.package.name.toLowerCase()}|${f.package.version ?? ''}|${vuln}`;
  }
  const dash = f.tool.indexOf('-');
  const family = (dash < 0 ? f.tool : f.tool.slice(0, dash)).toLowerCase();
  const detail = f.identity ?? normalizeText(f.location?.snippet) ?? '';
  return `${f.kind}|${family}|${f.ruleId}|${f.location?.path ?? ''}|${detail || normalizeText(f.description ?? f.title)}`;
}

/**
 * Fingerprints one report's findings. Results that share an identity inside one report (the same rule
 * twice in a file, with no scanner fingerprint) are told apart by severity, then by their order in the file.
 * The least severe takes the plain identity and the others carry their severity in it, so a new `error`
 * written above an old `note` of the same rule never takes the note's fingerprint (nor its baseline status,
 * nor a suppression by fingerprint).
 */
export function fingerprintAll(parsed: ParsedFinding[], file?: string): Finding[] {
  const count = parsed.length;
  // One pass: each identity key computed and hashed once, and told apart from the others by its hash (a
  // 32-character key instead of the whole identity, and no array of keys kept). Only keys shared inside the
  // report need ordering (scanners fingerprint most results), so the rest are never sorted.
  const firstAt = new Map<string, number>();
  let shared: Map<string, number[]> | undefined;
  // Parsed findings are fresh objects: complete them in place rather than copying 100,000 of them. Findings of
  // one rule share one (read-only) sources list: mergeFindings copies a list before adding to it.
  const sources = new Map<string, Map<string, Map<string, FindingSource[]>>>();
  for (let i = 0; i < count; i++) {
    const f = parsed[i]! as ParsedFinding & Finding;
    const key = identityKey(f);
    const fingerprint = sha(key);
    const first = firstAt.get(fingerprint);
    if (first === undefined) firstAt.set(fingerprint, i);
    else if (!key.startsWith('pkg|')) {
      shared ??= new Map();
      const group = shared.get(key);
      if (group) group.push(i);
      else shared.set(key, [first, i]);
    }
    let byRule = sources.get(f.tool);
    if (!byRule) sources.set(f.tool, (byRule = new Map()));
    let bySeverity = byRule.get(f.ruleId);
    if (!bySeverity) byRule.set(f.ruleId, (bySeverity = new Map()));
    let list = bySeverity.get(f.originalSeverity);
    if (!list) {
      const source: FindingSource = { tool: f.tool, ruleId: f.ruleId, originalSeverity: f.originalSeverity };
      if (file) source.file = file;
      bySeverity.set(f.originalSeverity, (list = [source]));
    }
    f.fingerprint = fingerprint;
    f.sources = list;
    // Cleared only where set: adding the property to the others would change their shape (a copy of each).
    if (f.identity !== undefined) f.identity = undefined;
  }
  if (shared)
    for (const [key, group] of shared) {
      // Least severe first (SEVERITIES lists the worst first; a value that is not a severity sorts as the
      // worst), then by line, then by order in the file; the first takes the plain identity.
      const sev = (i: number) => Math.max(0, SEVERITIES.indexOf(parsed[i]!.severity));
      const line = (i: number) => parsed[i]!.location?.startLine ?? 0;
      group.sort((a, b) => sev(b) - sev(a) || line(a) - line(b) || a - b);
      // Per severity, how many of the group came before (indexed by SEVERITIES).
      const counts = [0, 0, 0, 0, 0];
      for (let k = 0; k < group.length; k++) {
        const i = group[k]!;
        const s = sev(i);
        const n = counts[s]!;
        counts[s] = n + 1;
        const f = parsed[i]! as ParsedFinding & Finding;
        if (k > 0) f.fingerprint = sha(`${key}#${f.severity}#${n}`);
      }
    }
  return parsed as Finding[];
}

/**
 * Merges findings that share a fingerprint: one finding, every source listed, the worst severity kept.
 * Only findings that absorb another are copied; the rest are returned as they are (no copy of 100,000 objects).
 */
export function mergeFindings(findings: Finding[]): Finding[] {
  const byFp = new Map<string, Finding>();
  const copied = new Set<Finding>();
  for (const f of findings) {
    let existing = byFp.get(f.fingerprint);
    if (!existing) {
      byFp.set(f.fingerprint, f);
      continue;
    }
    if (!copied.has(existing)) {
      existing = {
        ...existing,
        sources: [...existing.sources],
        vulnerabilityIds: [...existing.vulnerabilityIds],
        ...(existing.package
          ? {
              package: {
                ...existing.package,
                dependencyPaths: [...(existing.package.dependencyPaths ?? [])],
              },
            }
          : {}),
      };
      copied.add(existing);
      byFp.set(f.fingerprint, existing);
    }
    for (const s of f.sources)
      if (!existing.sources.some((e) => e.tool === s.tool && e.ruleId === s.ruleId && e.file === s.file))
        existing.sources.push(s);
    if (compareSeverity(f.severity, existing.severity) < 0) {
      existing.severity = f.severity;
      existing.originalSeverity = f.originalSeverity;
    }
    existing.vulnerabilityIds = [...new Set([...existing.vulnerabilityIds, ...f.vulnerabilityIds])];
    if (f.package && existing.package) {
      existing.package.fixedVersion ??= f.package.fixedVersion;
      existing.package.purl ??= f.package.purl;
      if (f.package.dependencyPaths?.length) {
        const paths = (existing.package.dependencyPaths ??= []);
        const known = new Set(paths.map((p) => p.join('>')));
        for (const p of f.package.dependencyPaths) if (!known.has(p.join('>'))) paths.push(p);
      }
    }
    existing.location ??= f.location;
    existing.description ??= f.description;
    existing.remediation ??= f.remediation;
    existing.helpUri ??= f.helpUri;
    existing.cvss ??= f.cvss;
    // Suppressed only if every tool that saw it suppressed it.
    if (existing.suppression?.source === 'scanner' && !f.suppression) delete existing.suppression;
    if (f.rejectedSuppression && !existing.suppression)
      existing.rejectedSuppression ??= f.rejectedSuppression;
  }
  return [...byFp.values()];
}
