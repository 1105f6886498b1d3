import type { RepoConfig, SuppressionRule } from '../config/repo-config.js';
import type { Finding, PolicyChange } from '../model/finding.js';
import { applySuppressions } from './apply-suppressions.js';
import { countsForGate, evaluateGate, type GatePolicy } from './evaluate-gate.js';

/** JSON with sorted keys: two configs that say the same thing compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date))
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function sameConfig(a: RepoConfig, b: RepoConfig): boolean {
  return canonical(a) === canonical(b);
}

function describeRule(rule: SuppressionRule): string {
  const matchers = (['fingerprint', 'rule', 'vulnerability', 'package', 'path'] as const)
    .filter((k) => rule[k])
    .map((k) => `${k} ${rule[k]}`);
  return `${matchers.join(', ')} (${rule.reason}${rule.expires ? `, expires ${rule.expires}` : ''})`;
}

/** One line per difference a reviewer should see: gate settings, suppressions, the other sections. */
function summarize(applied: RepoConfig, proposed: RepoConfig): string[] {
  const lines: string[] = [];
  for (const key of ['failOn', 'newOnly', 'allowMissingReports'] as const)
    if (applied.gate[key] !== proposed.gate[key])
      lines.push(`gate.${key}: ${String(applied.gate[key])} → ${String(proposed.gate[key])}`);
  const before = new Set(applied.suppressions.map(canonical));
  const after = new Set(proposed.suppressions.map(canonical));
  for (const rule of proposed.suppressions)
    if (!before.has(canonical(rule))) lines.push(`adds suppression: ${describeRule(rule)}`);
  for (const rule of applied.suppressions)
    if (!after.has(canonical(rule))) lines.push(`removes suppression: ${describeRule(rule)}`);
  for (const key of ['comment', 'annotations', 'approvals', 'pipeline'] as const)
    if (canonical(applied[key]) !== canonical(proposed[key]))
      lines.push(`${key}: ${canonical(applied[key])} → ${canonical(proposed[key])}`);
  return lines;
}

export interface ComparePolicyInput {
  /** The document's findings, as the applied policy left them (suppressions, baseline status). */
  findings: Finding[];
  applied: RepoConfig;
  /** The gate policy applied (config, or command-line flags over it). */
  appliedGate: GatePolicy;
  proposed: RepoConfig;
  /** Command-line gate flags: they would override the proposed config as they override the applied one. */
  flags: { failOn?: GatePolicy['failOn']; newOnly?: boolean };
  missing: string[];
  hasBaseline: boolean;
  now: Date;
}

/**
 * What the gate would say under the proposed policy, on the same findings: which findings its suppressions
 * would hide, which it would let through or newly fail, and its verdict. Informational only: the verdict
 * of the run is the applied policy's.
 */
export function comparePolicy(input: ComparePolicyInput, file: string): PolicyChange {
  const { findings, proposed } = input;
  // Scanner suppressions (already checked) stay; config ones are re-decided by the proposed rules.
  const replay = findings.map((f) => {
    const copy = { ...f };
    if (copy.suppression?.source === 'config') delete copy.suppression;
    return copy;
  });
  applySuppressions(replay, proposed.suppressions, input.now);
  const gate: GatePolicy = {
    failOn: input.flags.failOn ?? proposed.gate.failOn,
    newOnly: input.flags.newOnly ?? proposed.gate.newOnly,
  };
  const verdict = evaluateGate(replay, gate, {
    missingInputs: proposed.gate.allowMissingReports ? [] : input.missing,
    hasBaseline: input.hasBaseline,
  });
  const change: PolicyChange = {
    file,
    valid: true,
    gate: {
      failOn: proposed.gate.failOn,
      newOnly: proposed.gate.newOnly,
      allowMissingReports: proposed.gate.allowMissingReports,
    },
    wouldSuppress: [],
    wouldUnsuppress: [],
    wouldLetThrough: [],
    wouldFail: [],
    wouldPass: verdict.passed,
    summary: summarize(input.applied, proposed),
  };
  findings.forEach((now, i) => {
    const then = replay[i]!;
    if (then.suppression && !now.suppression) change.wouldSuppress.push(now.fingerprint);
    if (!then.suppression && now.suppression) change.wouldUnsuppress.push(now.fingerprint);
    const failsNow = countsForGate(now, input.appliedGate);
    const failsThen = countsForGate(then, gate);
    if (failsNow && !failsThen) change.wouldLetThrough.push(now.fingerprint);
    if (!failsNow && failsThen) change.wouldFail.push(now.fingerprint);
  });
  return change;
}

/** A proposed file that is not a valid config: after merge every gate would stop on it. */
export function invalidPolicyChange(file: string, error: string): PolicyChange {
  return {
    file,
    valid: false,
    error,
    wouldSuppress: [],
    wouldUnsuppress: [],
    wouldLetThrough: [],
    wouldFail: [],
    wouldPass: false,
    summary: [`not a valid config: ${error}`],
  };
}
