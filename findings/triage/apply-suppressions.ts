import picomatch from 'picomatch';
import type { SuppressionRule } from '../config/repo-config.js';
import type { Finding } from '../model/finding.js';
import { parseDay } from '../model/parse-day.js';

/**
 * A rule's matcher: which field(s) matched (`fingerprint+path`), or undefined. Every matcher given must match.
 * The glob is compiled and the package and id split once per rule, not once per finding.
 */
function matcherOf(rule: SuppressionRule): (f: Finding) => string | undefined {
  const want = rule.vulnerability ? rule.vulnerability.toUpperCase() : undefined;
  // "name" or "name@version"
  const [name, version] = !rule.package
    ? []
    : rule.package.startsWith('@')
      ? [rule.package.split('@').slice(0, 2).join('@'), rule.package.split('@')[2]]
      : rule.package.split('@');
  const inPath = rule.path ? picomatch(rule.path, { dot: true }) : undefined;
  const how = (['fingerprint', 'rule', 'vulnerability', 'package', 'path'] as const)
    .filter((k) => rule[k])
    .join('+');
  return (f) => {
    if (rule.fingerprint && rule.fingerprint !== f.fingerprint) return undefined;
    if (rule.rule && rule.rule !== f.ruleId && !f.sources.some((s) => s.ruleId === rule.rule))
      return undefined;
    if (want !== undefined && !f.vulnerabilityIds.some((id) => id.toUpperCase() === want)) return undefined;
    if (rule.package && (!f.package || f.package.name !== name || (version && f.package.version !== version)))
      return undefined;
    if (inPath && (!f.location || !inPath(f.location.path))) return undefined;
    return how;
  };
}

/**
 * Applies `.github/pipewarden.yml` suppressions. An expired one stops suppressing and is reported;
 * one that matches nothing is reported too, so stale entries get cleaned up.
 */
export function applySuppressions(
  findings: Finding[],
  rules: SuppressionRule[],
  today = new Date(),
): { warnings: string[] } {
  const day = today.toISOString().slice(0, 10);
  const warnings = expireScannerSuppressions(findings, day);
  rules.forEach((rule, i) => {
    const label = `suppressions[${i}] (${rule.reason})`;
    let hits = 0;
    const matches = matcherOf(rule);
    for (const f of findings) {
      const how = matches(f);
      if (!how) continue;
      hits++;
      if (rule.expires && rule.expires < day) continue;
      if (f.suppression?.source === 'config') continue;
      f.suppression = {
        source: 'config',
        reason: rule.reason,
        matchedBy: how,
        ...(rule.expires ? { expires: rule.expires } : {}),
        ...(rule.approvedBy ? { approvedBy: rule.approvedBy } : {}),
      };
    }
    if (rule.expires && rule.expires < day)
      warnings.push(
        `${label} expired on ${rule.expires}: it no longer suppresses ${hits} finding(s); renew or remove it`,
      );
    else if (hits === 0) warnings.push(`${label} matches no finding; remove it if the issue is gone`);
  });
  return { warnings };
}

/**
 * A scanner's ignore (`.snyk` `expires`, SARIF suppression `properties.expiration`) ends on its expiry day, as a
 * config suppression does; one whose expiry is not a real day (`99999`) is not honoured, since it could never
 * end. The finding counts again, with the ignore kept as `rejectedSuppression`; one warning per report file.
 */
export function expireScannerSuppressions(findings: Finding[], day: string): string[] {
  const perFile = new Map<string, { count: number; first: string }>();
  for (const f of findings) {
    const s = f.suppression;
    if (s?.source !== 'scanner' || s.expires === undefined) continue;
    const until = parseDay(s.expires);
    if (until !== undefined && until >= day) continue;
    delete f.suppression;
    const because =
      until === undefined
        ? `its expiry ${JSON.stringify(String(s.expires).slice(0, 40))} is not a date`
        : `expired on ${until}`;
    f.rejectedSuppression = { source: 'scanner', reason: s.reason, because };
    const file = f.sources[0]?.file ?? '(report)';
    const seen = perFile.get(file);
    if (seen) seen.count++;
    else perFile.set(file, { count: 1, first: `${f.ruleId}: ${because}` });
  }
  return [...perFile].map(
    ([file, { count, first }]) =>
      `${file}: ${count} finding(s) ignored in the scanner past the ignore's expiry are not treated as suppressed (the first, ${first}); renew the ignore with a real date, or fix them`,
  );
}
