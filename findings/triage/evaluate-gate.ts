import type { Finding, GateResult } from '../model/finding.js';
import { atLeast, type Severity } from '../model/severity.js';

export interface GatePolicy {
  failOn: Severity;
  newOnly: boolean;
}

/** Does this finding count against the gate? Suppressed ones never do; with newOnly, existing ones don't. */
export function countsForGate(f: Finding, policy: GatePolicy): boolean {
  if (f.suppression) return false;
  if (policy.newOnly && f.status === 'existing') return false;
  return atLeast(f.severity, policy.failOn);
}

export function evaluateGate(
  findings: Finding[],
  policy: GatePolicy,
  problems: { missingInputs: string[]; hasBaseline: boolean },
): GateResult {
  const failing = findings.filter((f) => countsForGate(f, policy));
  const reasons: string[] = [];
  for (const missing of problems.missingInputs) reasons.push(`report missing or unreadable: ${missing}`);
  if (policy.newOnly && !problems.hasBaseline)
    reasons.push('new-only was asked without a baseline: every finding is treated as new');
  if (failing.length)
    reasons.push(
      `${failing.length} finding(s) at or above ${policy.failOn}${policy.newOnly ? ' that are new' : ''} and not suppressed`,
    );
  const passed = failing.length === 0 && problems.missingInputs.length === 0;
  if (passed)
    reasons.push(`no unsuppressed finding at or above ${policy.failOn}${policy.newOnly ? ' is new' : ''}`);
  return { passed, failOn: policy.failOn, newOnly: policy.newOnly, failing: failing.length, reasons };
}
