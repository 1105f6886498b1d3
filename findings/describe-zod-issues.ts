import type { z } from 'zod';

/**
 * One wording for schema errors across pipewarden's configs and inputs (repository config, deployment config,
 * bot settings, pipeline events): `invalid field "<path>": <what is wrong>`, every problem on one line.
 */
type Issue = z.core.$ZodIssue;

/** A field's path as users write it: `vpc.publicSubnetCidrs[1]`, `(top level)` for the document itself. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** What is wrong with the field, with the fix where zod's own words leave it out. */
export function describeIssueDetail(issue: Issue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key(s) ${issue.keys.join(', ')}; remove or fix the spelling`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `is required (${issue.expected})`;
  if (issue.code === 'invalid_value' && 'values' in issue)
    return `accepted values: ${issue.values.join(', ')}`;
  return issue.message;
}

/** `invalid field "<path>": <detail>` for one issue. */
export function describeIssue(issue: Issue): string {
  return `invalid field "${formatIssuePath(issue.path)}": ${describeIssueDetail(issue)}`;
}

/** Every issue, on one line: fixing a file one error per run is slow. */
export function describeIssues(issues: readonly Issue[]): string {
  if (issues.length === 0) return 'invalid';
  const all = issues.map(describeIssue).join('; ');
  return issues.length > 1 ? `${issues.length} problems: ${all}` : all;
}
